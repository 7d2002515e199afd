using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>
/// The unchanged sigstore-js client against our Rekor v1 service (tests/interop/rekor-interop.mjs): it signs and
/// submits through @sigstore/sign's RekorWitness and verifies with @sigstore/verify against a trusted root that
/// lists only our log. The script runs once per class (<see cref="NodeInteropFixture"/>); each test checks one
/// part of its summary and prints the Node output and the service's warnings when it fails.
/// </summary>
public sealed class InteropTests(NodeInteropFixture fixture) : IClassFixture<NodeInteropFixture>
{
    [Fact]
    public void ScriptSucceeds() => Check(run =>
    {
        Assert.False(run.TimedOut, "the Node script timed out");
        Assert.Equal(0, run.ExitCode);
        Assert.True(Bool(run.Summary, "ok"), "summary.ok is not true");
        Assert.Empty(run.Summary!["failures"]!.AsArray());
    });

    [Fact]
    public void RunsThePinnedSigstoreJsOnANodeItSupports() => Check(run =>
    {
        // sigstore 5.x declares engines.node ^22.22.2 || ^24.15.0 || >=26.0.0.
        var node = Str(run.Summary, "node");
        Assert.StartsWith("v", node);
        Assert.True(int.Parse(node[1..node.IndexOf('.', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) >= 22, $"Node {node} is too old for sigstore 5.x");
        var pinned = JsonNode.Parse(File.ReadAllText(Path.Combine(NodeInteropFixture.InteropDirectory, "package.json")))!["dependencies"]!.AsObject();
        var packages = run.Summary!["packages"]!.AsObject();
        foreach (var name in new[] { "@sigstore/sign", "@sigstore/verify", "@sigstore/bundle", "@sigstore/core", "@sigstore/protobuf-specs" })
        {
            Assert.Equal(pinned[name]!.GetValue<string>(), packages[name]!.GetValue<string>());
        }
    });

    [Fact]
    public void HashedRekordFromSigstoreJsVerifies() => Check(run => AssertVerified(run.Summary!["hashedrekord"], "hashedrekord"));

    [Fact]
    public void DsseFromSigstoreJsVerifies() => Check(run => AssertVerified(run.Summary!["dsse"], "dsse"));

    [Fact]
    public void TamperedBundlesAreRejected() => Check(run =>
    {
        var negatives = run.Summary!["negatives"]!;
        var cases = negatives["cases"]!.AsObject();
        foreach (var name in new[]
                 {
                     "hashedrekord-tampered-artifact", "hashedrekord-flipped-proof-hash", "hashedrekord-flipped-SET",
                     "hashedrekord-tampered-integratedTime", "hashedrekord-tampered-checkpoint", "hashedrekord-untrusted-log-key",
                     "dsse-tampered-payload", "dsse-flipped-proof-hash",
                 })
        {
            Assert.True(cases[name] is not null, $"negative case {name} did not run");
            Assert.True(Bool(cases[name], "rejected"), $"negative case {name} was not rejected: {cases[name]!.ToJsonString()}");
        }
        Assert.True(Bool(negatives, "ok"));
    });

    [Fact]
    public void DuplicateSubmissionYieldsTheSameEntry() => Check(run =>
    {
        var conflict = run.Summary!["conflict409"]!;
        Assert.True(Bool(conflict, "ok"), conflict.ToJsonString());
        foreach (var field in new[] { "logIndex", "logId", "integratedTime", "canonicalizedBody" })
        {
            Assert.True(Bool(conflict["sameEntry"], field), $"the 409 refetch returned a different {field}");
        }
        Assert.True(Bool(conflict, "refetchedVerified"));
        // Without fetchOnConflict sigstore-js surfaces the 409 itself.
        Assert.Contains("(409)", Str(conflict, "withoutFetch"), StringComparison.Ordinal);
    });

    private static void AssertVerified(JsonNode? result, string kind)
    {
        Assert.NotNull(result);
        Assert.Equal(kind, Str(result["kindVersion"], "kind"));
        Assert.Equal("0.0.1", Str(result["kindVersion"], "version"));
        Assert.True(Bool(result, "hasSET"), "no SET (inclusionPromise)");
        Assert.True(Bool(result, "hasCheckpoint"), "no signed checkpoint");
        Assert.True(Bool(result, "verified"), "not verified with tlog 1 / ctlog 0 / timestamp 0");
        Assert.True(Bool(result, "verifiedWithIntegratedTimeAsTimestamp"), "not verified with the SET's integratedTime as the one timestamp");
        Assert.True(Bool(result, "verifiedProofOnly"), "not verified by inclusion proof + checkpoint alone");
        Assert.True(Bool(result, "verifiedSETOnly"), "not verified by the SET alone");
        // Not checked by sigstore-js, relied on by cosign and sigstore-go: upstream Rekor's exact body bytes and UUID.
        Assert.True(Bool(result, "bodyMatchesUpstream"), "the canonical body differs from upstream Rekor's (see failures)");
        Assert.True(Bool(result, "entryUUIDMatchesLeafHash"), "the entry UUID is not tree id + leaf hash");
        Assert.True(Bool(result, "ok"));
    }

    /// <summary>Runs the assertions on the script's run; on failure prints the Node output and the service log.</summary>
    private void Check(Action<NodeRun> assertions)
    {
        var run = fixture.Require();
        try
        {
            Assert.True(run.Summary is not null, "the Node script wrote no JSON summary");
            assertions(run);
        }
        catch (Exception)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(run.Report());
            throw;
        }
    }

    private static bool Bool(JsonNode? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string Str(JsonNode? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
