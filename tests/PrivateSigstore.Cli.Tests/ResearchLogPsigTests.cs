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
using PrivateSigstore.Rekor.Research;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// The research log's faults that a monitor cannot see — entries held back, an acknowledged entry dropped before anyone
/// read the tree — caught by the client that holds the acknowledgment: <c>psig log verify-consistency --first-checkpoint</c>
/// with the checkpoint of its upload's answer. The faults are set with the <c>research-log</c> command.
/// </summary>
public sealed class ResearchLogPsigTests : IAsyncLifetime
{
    private WebApplication? _log;
    private readonly string _directory = Directory.CreateTempSubdirectory("psig-research-").FullName;
    private readonly HttpClient _http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Url { get; set; } = "";

    public async ValueTask InitializeAsync()
    {
        _log = await ResearchLogApp.BuildAsync(new RekorV2Options { DataDirectory = Path.Combine(_directory, "log"), LogId = "research-log", Origin = "localhost" }, b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.ClearProviders();
        }, Ct);
        await _log.StartAsync(Ct);
        Url = _log.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_log is not null)
        {
            await _log.StopAsync(CancellationToken.None);
            await _log.DisposeAsync();
        }
    }

    private async Task<(int Code, string Out, string Error)> ResearchAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ResearchLogCommand.RunAsync([.. args, "--admin-url", Url], output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Uploads a key-signed hashedrekord and saves the checkpoint of the answer (what the client holds); returns its path.</summary>
    private async Task<string> UploadAsync(string name)
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
        using var response = await _http.PostAsync(new Uri(Url + "/api/v2/log/entries"), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var path = Path.Combine(_directory, name + ".checkpoint");
        await File.WriteAllTextAsync(path, JsonNode.Parse(text)!["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>(), Ct);
        return path;
    }

    private static Task<Psig.Result> Consistency(string url, string firstCheckpoint) =>
        Psig.RunAsync("log", "verify-consistency", "--rekor-url", url, "--rekor-version", "2", "--first-checkpoint", firstCheckpoint);

    [Fact]
    public async Task A_client_holding_its_upload_checkpoint_catches_held_back_and_dropped_entries()
    {
        await UploadAsync("first");
        await UploadAsync("second");

        // Hold: the upload is acknowledged against a checkpoint of size 3; the log serves 2.
        var hold = await ResearchAsync("hold");
        Assert.True(hold.Code == 0, hold.Error);
        Assert.Contains("\"hold\"", hold.Out, StringComparison.Ordinal);
        var held = await UploadAsync("held");
        var behind = await Consistency(Url, held);
        Assert.Equal(1, behind.ExitCode);
        Assert.Contains("Tree 3 -> 2: NOT CONSISTENT", behind.Out, StringComparison.Ordinal);

        // Released: the client's checkpoint is in the log's history.
        Assert.Equal(0, (await ResearchAsync("clear", "hold")).Code);
        var released = await Consistency(Url, held);
        Assert.True(released.ExitCode == 0, released.Out + released.Error);
        Assert.Contains("Tree 3 -> 3: consistent", released.Out, StringComparison.Ordinal);

        // Drop the client's entry (the last one): the served tree shrinks, then regrows without it.
        var drop = await ResearchAsync("drop");
        Assert.True(drop.Code == 0, drop.Error);
        Assert.Contains("NOT CONSISTENT", (await Consistency(Url, held)).Out, StringComparison.Ordinal);
        await UploadAsync("after-drop");
        var regrown = await Consistency(Url, held);
        Assert.Equal(1, regrown.ExitCode);
        Assert.Contains("Tree 3 -> 3: NOT CONSISTENT", regrown.Out, StringComparison.Ordinal);

        var show = await ResearchAsync("show");
        Assert.Equal(0, show.Code);
        var plan = JsonNode.Parse(show.Out)!;
        Assert.Equal("research.localhost", plan["origin"]!.GetValue<string>());
        Assert.Equal(4UL, plan["honestSize"]!.GetValue<ulong>());
        Assert.Equal(2UL, plan["faults"]!["drop"]![0]!.GetValue<ulong>());
        Assert.StartsWith("research.localhost+", plan["verifierKey"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", plan["publicKey"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_research_log_command_has_help_and_one_line_errors()
    {
        var help = await ResearchAsync("--help");
        Assert.Equal(0, help.Code);
        foreach (var command in new[] { "serve", "show", "fork", "hold", "rewrite", "drop", "bad-checkpoint", "clear" })
        {
            Assert.Contains(command, help.Out, StringComparison.Ordinal);
        }
        var noIndex = await ResearchAsync("rewrite");
        Assert.Equal(2, noIndex.Code);
        Assert.Contains("give --index N", noIndex.Error, StringComparison.Ordinal);
        var badMode = await ResearchAsync("bad-checkpoint", "--mode", "lie");
        Assert.Equal(2, badMode.Code);
        var unknown = await ResearchAsync("clear", "lie");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("unknown fault \"lie\"", unknown.Error, StringComparison.Ordinal);
        var beyond = await ResearchAsync("drop", "--index", "7");
        Assert.Equal(1, beyond.Code);
        Assert.Contains("beyond the log's 0 entries", beyond.Error, StringComparison.Ordinal);

        using var output = new StringWriter();
        using var error = new StringWriter();
        var notUrl = await ResearchLogCommand.RunAsync(["show", "--admin-url", "not a url"], output, error);
        Assert.Equal(2, notUrl);
        Assert.Contains("--admin-url not a url is not an http(s) URL", error.ToString(), StringComparison.Ordinal);
        error.GetStringBuilder().Clear();
        var unreachable = await ResearchLogCommand.RunAsync(["show", "--admin-url", "http://127.0.0.1:1"], output, error);
        Assert.Equal(1, unreachable);
        Assert.StartsWith("research-log: cannot reach http://127.0.0.1:1/", error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().Trim().Split('\n'));
    }
}
