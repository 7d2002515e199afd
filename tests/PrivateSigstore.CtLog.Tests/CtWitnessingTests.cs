using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Witness;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>
/// Issue 16: the CT log's checkpoints (a C2SP note over the same tree as its STH, ECDSA key type 0x02) are cosigned by its
/// witness and served at <c>GET /checkpoint</c>, as static-ct-api logs serve theirs.
/// </summary>
public sealed class CtWitnessingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_ct_log_serves_a_witness_cosigned_checkpoint_of_the_same_tree_as_its_sth()
    {
        using var ca = new TestCa();
        var data = Path.Combine(Path.GetTempPath(), "psig-ctlog-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256)) await File.WriteAllTextAsync(Path.Combine(data, "test-log-key.pem"), key.ExportPkcs8PrivateKeyPem(), Ct);
        var spki = CtLogHost.PublicKey(data);
        var origin = new CtLogOptions().Origin;

        await using var witness = await WitnessApp.BuildAsync(new WitnessOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(data, "witness")).FullName,
            Logs = [new WitnessLogOptions { Origin = origin, VerifierKey = NoteVerifierKeys.FormatEcdsa(origin, spki) }],
        }, configure: b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.ClearProviders();
        }, cancellationToken: Ct);
        await witness.StartAsync(Ct);
        var witnessUrl = witness.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        using var http = new HttpClient();
        var vkey = JsonNode.Parse(await http.GetStringAsync(new Uri(witnessUrl + "/api/v1/witness"), Ct))!["verifierKey"]!.GetValue<string>();

        await using var host = await CtLogHost.StartAsync(data, ca.RootPem,
            "--CtLog:Witnessing:Witnesses:0:Url", witnessUrl, "--CtLog:Witnessing:Witnesses:0:VerifierKey", vkey);
        for (var i = 0; i < 3; i++) await host.AddAsync("add-chain", ca.Chain(ca.Leaf()));

        using var response = await host.Http.GetAsync("/checkpoint", Ct);
        var note = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, note);
        var sth = await host.GetJsonAsync("/ct/v1/get-sth");
        var checkpoint = SignedCheckpoint.Parse(note).Checkpoint;
        Assert.Equal(origin, checkpoint.Origin);
        Assert.Equal(sth["tree_size"]!.GetValue<ulong>(), checkpoint.Size);
        Assert.Equal(sth["sha256_root_hash"]!.GetValue<string>(), Convert.ToBase64String(checkpoint.RootHash));
        var (name, key2) = Cosignature.ParseVerifierKey(vkey);
        var parsed = SignedNote.Parse(note);
        Assert.Contains(parsed.Signatures, s => Cosignature.Verify(s, name, key2, parsed.Text, out _));
        // The witness holds the same tree.
        var status = JsonNode.Parse(await http.GetStringAsync(new Uri(witnessUrl + "/api/v1/witness"), Ct))!["logs"]![0]!;
        Assert.Equal(checkpoint.Size, status["size"]!.GetValue<ulong>());
    }
}
