using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Rekor.Research;
using PrivateSigstore.Rekor.V2;
using PrivateSigstore.Witness;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>
/// A research log (a Rekor v2 test log that misbehaves on command) on 127.0.0.1:0, with a witness that knows its key and
/// origin, and the HTTP calls the tests make: uploads, checkpoints (optionally as a named client), faults, and the
/// add-checkpoint requests the log would send the witness.
/// </summary>
internal sealed class ResearchLogRig : IAsyncDisposable
{
    private readonly WebApplication _log;
    private readonly WebApplication _witness;

    private ResearchLogRig(WebApplication log, WebApplication witness)
    {
        _log = log;
        _witness = witness;
        Url = new Uri(Address(log));
        WitnessUrl = new Uri(Address(witness));
        Trust = log.Services.GetRekorV2TrustInfo();
        Http = new HttpClient { BaseAddress = Url };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public Uri Url { get; }

    public Uri WitnessUrl { get; }

    public RekorV2TrustInfo Trust { get; }

    public HttpClient Http { get; }

    public static void Loopback(WebApplicationBuilder b)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Logging.ClearProviders();
    }

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<ResearchLogRig> StartAsync()
    {
        var directory = MonitorHost.TempDirectory();
        var log = await ResearchLogApp.BuildAsync(new RekorV2Options { DataDirectory = Path.Combine(directory, "log"), LogId = "research-log", Origin = "localhost" }, Loopback, Ct);
        await log.StartAsync(Ct);
        var trust = log.Services.GetRekorV2TrustInfo();
        var verifierKey = Ed25519NoteVerifier.FromSubjectPublicKeyInfo(trust.Origin, trust.SubjectPublicKeyInfo).VerifierKey;
        var witness = await WitnessApp.BuildAsync(new WitnessOptions
        {
            DataDirectory = Path.Combine(directory, "witness"),
            Logs = [new WitnessLogOptions { Origin = trust.Origin, VerifierKey = verifierKey }],
        }, configure: Loopback, cancellationToken: Ct);
        await witness.StartAsync(Ct);
        return new ResearchLogRig(log, witness);
    }

    /// <summary>A monitor following the research log (with the marked origin and the log's key).</summary>
    public MonitorOptions MonitorOptions() => new()
    {
        DataDirectory = MonitorHost.TempDirectory(),
        Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.RekorV2, Url = Url.AbsoluteUri, PublicKey = Trust.PublicKeyPem, Origin = Trust.Origin }],
        PollIntervalMilliseconds = 20,
    };

    /// <summary>Uploads a fresh key-signed hashedrekord; returns the 201 TransparencyLogEntry.</summary>
    public async Task<JsonObject> AppendAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = RandomNumberGenerator.GetBytes(32);
        var body = new JsonObject
        {
            ["hashedRekordRequestV002"] = new JsonObject
            {
                ["digest"] = Convert.ToBase64String(digest),
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence)),
                    ["verifier"] = new JsonObject
                    {
                        ["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) },
                        ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                    },
                },
            },
        };
        using var response = await Http.PostAsync(new Uri("api/v2/log/entries", UriKind.Relative), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task AppendAsync(int count)
    {
        for (var i = 0; i < count; i++) await AppendAsync();
    }

    /// <summary>The served checkpoint, as a client with <c>X-Research-Client: <paramref name="client"/></c> (or none) sees it.</summary>
    public async Task<SignedCheckpoint> CheckpointAsync(string? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/v2/checkpoint", UriKind.Relative));
        if (client is not null) request.Headers.Add(ResearchLogApp.ClientHeader, client);
        using var response = await Http.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
        return SignedCheckpoint.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Sets a fault through the admin API; returns the plan.</summary>
    public async Task<JsonObject> FaultAsync(string name, JsonObject? body = null)
    {
        using var response = await Http.PostAsync(new Uri("research/v1/faults/" + name, UriKind.Relative), new StringContent((body ?? []).ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task ClearAsync(string? name = null)
    {
        using var response = await Http.DeleteAsync(new Uri("research/v1/faults" + (name is null ? "" : "/" + name), UriKind.Relative), Ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Sends the witness what the log would for <paramref name="view"/> (served or fork): old <paramref name="old"/>, the
    /// consistency proof computed in that view, its checkpoint. Returns the witness's status and body.
    /// </summary>
    public async Task<(HttpStatusCode Status, string Body)> WitnessAsync(ulong old, string view = "served")
    {
        var request = await Http.GetStringAsync(new Uri($"research/v1/add-checkpoint?old={old}&view={view}", UriKind.Relative), Ct);
        using var witness = new HttpClient();
        using var response = await witness.PostAsync(new Uri(WitnessUrl, "add-checkpoint"), new StringContent(request), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _witness.StopAsync(CancellationToken.None);
        await _witness.DisposeAsync();
        await _log.StopAsync(CancellationToken.None);
        await _log.DisposeAsync();
    }
}
