using System.Text.Json.Nodes;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Tests.Support;
using static PrivateSigstore.Stack.Tests.StackProcessTests;

namespace PrivateSigstore.Stack.Tests;

/// <summary>
/// Issue 15's rotation drill: every rotatable key of the stack is rotated while it is stopped, and bundles made before
/// and after verify with the new trusted root (psig and the unchanged sigstore-js), while bundles made after do not
/// verify with the old one.
/// </summary>
public sealed class KeyRotationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Services = ["rekor", "rekor-v2", "ctlog", "tsa", "fulcio-intermediate"];

    /// <summary>
    /// The drill as an operator runs it (child processes, the stack's SoftHSM2 token when installed): start, sign with
    /// Rekor v2 + TSA and with Rekor v1, stop; rotate-key for every service; start, sign again; check trusted_root.json's
    /// history and verify all four bundles.
    /// </summary>
    [Fact]
    public async Task Rotating_every_key_keeps_old_bundles_verifiable_and_new_bundles_need_the_new_trusted_root()
    {
        NodeScript.Require();
        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var work = Directory.CreateDirectory(Path.Combine(data, "..", Guid.NewGuid().ToString("N") + "-work")).FullName;
        var port = FreePort();
        var before = await Artifact(work, "before");
        var after = await Artifact(work, "after");
        string trustedRoot = Path.Combine(data, StackHost.TrustedRootFile);
        string oldRoot = Path.Combine(work, "old_trusted_root.json");
        string tufRoot = Path.Combine(data, "tuf", "root.json");
        string tufCache = Path.Combine(work, "sigstore-js-tuf-cache");
        var psigHome = new Dictionary<string, string> { ["PSIG_HOME"] = Path.Combine(work, "psig-home") };

        // 1. First start: sign twice (v2 + TSA as the signing config says, and v1), and a rotation is refused while it runs.
        var (verifyArgs, _) = await RunAsync(data, port, async printed =>
        {
            await SignBothAsync(printed, before);

            // Clients take their trust from the stack's TUF repository: psig and the real @sigstore/tuf.
            var (init, initOutput) = await PsigAsync(["initialize", "--mirror", await TufUrlAsync(data), "--root", tufRoot], psigHome);
            Assert.True(init == 0, initOutput);
            Assert.Equal(await File.ReadAllTextAsync(trustedRoot, Ct), await TufTrustedRootAsync(data, tufCache));

            var (exit, output) = await RunOnceAsync(["rotate-key", "rekor", "--data", data]);
            Assert.True(exit == 2, output);
            Assert.Contains("stop it", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
            return PrintedPsig(printed, "verify-blob", before.Artifact);
        });
        File.Copy(trustedRoot, oldRoot);

        // 2. Stopped: rotate every key.
        foreach (var service in Services)
        {
            var (exit, output) = await RunOnceAsync(["rotate-key", service, "--data", data]);
            Assert.True(exit == 0, output);
            Assert.Contains($"Rotated {service}: key generation 1 -> 2", output, StringComparison.Ordinal);
            Assert.Contains("Clients need the new trusted_root.json", output, StringComparison.Ordinal);
        }

        // 3. Second start: sign again; psig verifies all four bundles with the new root, and the new ones fail with the old root.
        await RunAsync(data, port, async printed =>
        {
            // Before any new entry, both Rekor logs already serve their head signed by the new key.
            var services = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, StackHost.ServiceRegistryFile), Ct))!;
            var newRoot = TrustedRootJson.Parse(await File.ReadAllTextAsync(trustedRoot, Ct));
            using var http = new HttpClient();
            var v1Head = JsonNode.Parse(await http.GetStringAsync(new Uri(services["rekor"]!.GetValue<string>() + "/api/v1/log"), Ct))!["signedTreeHead"]!.GetValue<string>();
            var v2Head = await http.GetStringAsync(new Uri(services["rekor-v2"]!.GetValue<string>() + "/api/v2/checkpoint"), Ct);
            Assert.Equal(KeyHint(newRoot.Tlogs[2].LogId!.KeyId), Assert.Single(Core.Notes.SignedNote.Parse(v1Head).Signatures).KeyHash);
            // Rekor v2's checkpoint also carries the stack witness's cosignature (issue 16): one log signature, by the new key.
            Assert.Equal(KeyHint(newRoot.Tlogs[3].LogId!.KeyId), Assert.Single(Core.Notes.SignedNote.Parse(v2Head).Signatures, s => s.Name != "witness.privatesigstore.local").KeyHash);

            await SignBothAsync(printed, after);
            foreach (var (artifact, bundle) in new[] { before.V2, before.V1, after.V2, after.V1 })
            {
                var (exit, output) = await PsigAsync(Verify(verifyArgs, artifact, bundle, trustedRoot));
                Assert.True(exit == 0, output);
            }

            foreach (var (artifact, bundle) in new[] { after.V2, after.V1 })
            {
                var (exit, output) = await PsigAsync(Verify(verifyArgs, artifact, bundle, oldRoot));
                Assert.True(exit == 1, output);
            }

            // The stack published the new trusted root as a TUF targets update: @sigstore/tuf refreshes from its cache
            // and gets it; psig, initialized again, verifies all four bundles with no --trusted-root, from TUF.
            Assert.Equal(await File.ReadAllTextAsync(trustedRoot, Ct), await TufTrustedRootAsync(data, tufCache));
            var (init, initOutput) = await PsigAsync(["initialize", "--mirror", await TufUrlAsync(data), "--root", tufRoot], psigHome);
            Assert.True(init == 0, initOutput);
            foreach (var (artifact, bundle) in new[] { before.V2, before.V1, after.V2, after.V1 })
            {
                var args = Verify(verifyArgs, artifact, bundle, oldRoot);
                args.RemoveRange(args.IndexOf("--trusted-root"), 2);
                var (exit, output) = await PsigAsync(args, psigHome);
                Assert.True(exit == 0, output);
            }

            return 0;
        });

        // 4. The trusted root's history: each old entry ends when its successor starts (the second start).
        var root = TrustedRootJson.Parse(await File.ReadAllTextAsync(trustedRoot, Ct));
        var previous = TrustedRootJson.Parse(await File.ReadAllTextAsync(oldRoot, Ct));
        Assert.Equal(4, root.Tlogs.Count);
        Assert.Equal(2, root.Ctlogs.Count);
        Assert.Equal(2, root.CertificateAuthorities.Count);
        Assert.Equal(2, root.TimestampAuthorities.Count);
        var ranges = root.Tlogs.Concat(root.Ctlogs).Select(l => l.PublicKey!.ValidFor!)
            .Concat(root.CertificateAuthorities.Concat(root.TimestampAuthorities).Select(a => a.ValidFor!)).ToList();
        var rotation = ranges.First(r => r.End is not null).End;
        Assert.Equal(5, ranges.Count(r => r.End == rotation));
        Assert.Equal(5, ranges.Count(r => r.Start == rotation && r.End is null));
        // The old entries are the first root's, unchanged but for their end.
        Assert.Equal(previous.Tlogs.Select(t => Convert.ToHexString(t.LogId!.KeyId)), root.Tlogs.Take(2).Select(t => Convert.ToHexString(t.LogId!.KeyId)));
        Assert.Equal(previous.Tlogs.Select(t => t.PublicKey!.ValidFor!.Start), root.Tlogs.Take(2).Select(t => t.PublicKey!.ValidFor!.Start));
        Assert.Equal(previous.CertificateAuthorities[0].CertChain!.Certificates[^1].RawBytes, root.CertificateAuthorities[1].CertChain!.Certificates[^1].RawBytes); // same CA root
        Assert.NotEqual(previous.CertificateAuthorities[0].CertChain!.Certificates[0].RawBytes, root.CertificateAuthorities[1].CertChain!.Certificates[0].RawBytes); // new intermediate
        // Rekor v1 kept its tree: one database, and the new entry's index follows the old ones.
        Assert.Single(Directory.GetFiles(Path.Combine(data, "rekor"), "rekor-*.db"));
        Assert.True(LogIndex(after.V1.Bundle) > LogIndex(before.V1.Bundle), "Rekor v1 started a new tree after the rotation");
        Assert.True(LogIndex(after.V2.Bundle) > LogIndex(before.V2.Bundle), "Rekor v2 started a new tree after the rotation");

        // 5. The unchanged sigstore-js verifier: the same verdicts.
        var demo = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "identity", "demo-credentials.json"), Ct))!;
        var issuer = verifyArgs[verifyArgs.IndexOf("--certificate-oidc-issuer") + 1];
        async Task<ScriptRun> NodeVerify((string Artifact, string Bundle) b, string rootPath) => await NodeScript.RunAsync("verify-keyless.mjs", new Dictionary<string, string>
        {
            ["TRUSTED_ROOT"] = rootPath,
            ["BUNDLE"] = b.Bundle,
            ["ARTIFACT"] = b.Artifact,
            ["EXPECTED_SAN"] = demo["WorkloadEmail"]!.GetValue<string>(),
            ["EXPECTED_ISSUER"] = issuer,
        }, Ct);
        foreach (var bundle in new[] { before.V2, before.V1, after.V2, after.V1 })
        {
            var run = await NodeVerify(bundle, trustedRoot);
            Assert.True(run.ExitCode == 0, $"{bundle.Bundle}\n{run.Report()}");
        }

        foreach (var bundle in new[] { after.V2, after.V1 })
        {
            var run = await NodeVerify(bundle, oldRoot);
            Assert.True(run.ExitCode == 1 && run.Summary?["ok"]?.GetValue<bool>() == false, $"{bundle.Bundle} verified with the old root\n{run.Report()}");
        }
    }

    /// <summary>
    /// Development keys (PEM files, in-process): every key rotates to a new PEM file, the CA's new intermediate is signed
    /// by the development root, the TSA gets a new development chain; the restarted services serve the new keys and the
    /// Rekor v1 tree is kept.
    /// </summary>
    [Fact]
    public async Task With_development_keys_rotation_writes_new_pem_keys_and_the_restarted_services_use_them()
    {
        var data = Path.Combine(Directory.CreateTempSubdirectory("psig-rotate-pem-").FullName, "data");
        var options = new StackOptions
        {
            DataDirectory = data, RekorPort = 0, FulcioPort = 0, CtLogPort = 0, IdentityPort = 0, TsaPort = 0, RekorV2Port = 0, TufPort = 0, WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0,
            LogLevel = "Warning", UseSoftHsm = false, // SoftHSM2 is configured once per process; the drill above covers it
        };
        string oldKey;
        await using (var stack = await StackHost.StartAsync(options, Ct))
        {
            using var http = new HttpClient();
            oldKey = await http.GetStringAsync(new Uri(stack.RekorUrl + "/api/v1/log/publicKey"), Ct);
        }

        var rotations = Enum.GetValues<RotatableService>().Select(s => StackKeyRotation.Rotate(data, s)).ToList();
        Assert.Equal(Services, rotations.Select(r => r.Name));
        Assert.All(rotations, r => Assert.Equal((1, 2), (r.PreviousGeneration, r.Generation)));
        foreach (var file in new[] { "rekor/rekor-key-g2.pem", "rekor-v2/checkpoint-key-g2.pem", "ctlog/ctlog-key-g2.pem", "tsa/tsa-key-g2.pem", "tsa/tsa-chain-g2.pem", "fulcio/ca-intermediate-key-g2.pem", "fulcio/ca-chain-g2.pem" })
        {
            Assert.True(File.Exists(Path.Combine(data, file)), file);
        }

        await using (var stack = await StackHost.StartAsync(options, Ct))
        {
            using var http = new HttpClient();
            var newKey = await http.GetStringAsync(new Uri(stack.RekorUrl + "/api/v1/log/publicKey"), Ct);
            Assert.NotEqual(oldKey, newKey);
            Assert.Equal(Core.Pem.GoPem.EncodePublicKey(rotations[0].SubjectPublicKeyInfo), newKey);
            var tsaChain = await http.GetStringAsync(new Uri(stack.TsaUrl + "/api/v1/timestamp/certchain"), Ct);
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(data, "tsa", "tsa-chain-g2.pem"), Ct), tsaChain);
            var root = TrustedRootJson.Parse(await File.ReadAllTextAsync(stack.TrustedRootPath, Ct));
            Assert.Equal([4, 2, 2, 2], new[] { root.Tlogs.Count, root.Ctlogs.Count, root.CertificateAuthorities.Count, root.TimestampAuthorities.Count });
            using var intermediate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(root.CertificateAuthorities[1].CertChain!.Certificates[0].RawBytes);
            Assert.Contains("g2", intermediate.Subject, StringComparison.Ordinal);
            Assert.Equal(rotations[4].SubjectPublicKeyInfo, intermediate.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.Equal(root.CertificateAuthorities[0].CertChain!.Certificates[^1].RawBytes, root.CertificateAuthorities[1].CertChain!.Certificates[^1].RawBytes);
        }

        Assert.Single(Directory.GetFiles(Path.Combine(data, "rekor"), "rekor-*.db"));
    }

    [Fact]
    public async Task Rotate_key_help_lists_the_services_and_an_unknown_service_or_an_unused_data_directory_is_one_line_and_exit_2()
    {
        var (exit, help) = await RunOnceAsync(["rotate-key", "--help"]);
        Assert.Equal(0, exit);
        foreach (var service in Services) Assert.Contains(service, help, StringComparison.Ordinal);

        var data = Path.Combine(Path.GetTempPath(), "psig-stack-tests", Guid.NewGuid().ToString("N"));
        var (unknownExit, unknown) = await RunOnceAsync(["rotate-key", "identity", "--data", data]);
        Assert.Equal(2, unknownExit);
        Assert.Contains("'identity' not recognized", unknown, StringComparison.Ordinal);

        var (emptyExit, empty) = await RunOnceAsync(["rotate-key", "ctlog", "--data", data]);
        Assert.Equal(2, emptyExit);
        Assert.Contains("no stack has run with data directory", empty, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", empty + unknown, StringComparison.Ordinal);
    }

    private sealed record Signed(string Artifact, (string Artifact, string Bundle) V2, (string Artifact, string Bundle) V1);

    private static async Task<string> TufUrlAsync(string data) =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, StackHost.ServiceRegistryFile), Ct))!["tuf"]!.GetValue<string>();

    /// <summary>trusted_root.json as the real @sigstore/tuf client gets it from the stack's TUF repository (refreshing <paramref name="cache"/>).</summary>
    private static async Task<string> TufTrustedRootAsync(string data, string cache)
    {
        var run = await NodeScript.RunAsync("tuf-client.mjs", new Dictionary<string, string>
        {
            ["TUF_CLIENT"] = "sigstore",
            ["TUF_MIRROR_URL"] = await TufUrlAsync(data),
            ["TUF_ROOT_PATH"] = Path.Combine(data, "tuf", "root.json"),
            ["TUF_CACHE_DIR"] = cache,
            ["TUF_TARGETS"] = "trusted_root.json,signing_config.v0.2.json",
        }, Ct);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return run.Summary!["targets"]!["trusted_root.json"]!["text"]!.GetValue<string>();
    }

    private static async Task<Signed> Artifact(string work, string name)
    {
        var artifact = Path.Combine(work, name + ".txt");
        await File.WriteAllTextAsync(artifact, $"signed {name} the rotation {Guid.NewGuid()}\n", Ct);
        return new Signed(artifact, (artifact, artifact + ".v2.sigstore.json"), (artifact, artifact + ".v1.sigstore.json"));
    }

    /// <summary>psig signs as the demo workload with the printed command: once as the signing config says (Rekor v2 + TSA), once with Rekor v1.</summary>
    private static async Task SignBothAsync(string printed, Signed signed)
    {
        foreach (var (bundle, extra) in new[] { (signed.V2.Bundle, Array.Empty<string>()), (signed.V1.Bundle, ["--rekor-version", "1"]) })
        {
            var args = PrintedPsig(printed, "sign-blob", signed.Artifact);
            args[args.IndexOf("--bundle") + 1] = bundle;
            args.AddRange(extra);
            var (exit, output) = await PsigAsync(args);
            Assert.True(exit == 0, output);
        }

        Assert.Equal("0.0.2", TlogEntry(signed.V2.Bundle)["kindVersion"]!["version"]!.GetValue<string>());
        Assert.Equal("0.0.1", TlogEntry(signed.V1.Bundle)["kindVersion"]!["version"]!.GetValue<string>());
    }

    private static List<string> Verify(List<string> printedVerify, string artifact, string bundle, string trustedRoot)
    {
        var args = new List<string>(printedVerify);
        args[args.IndexOf("verify-blob") + 1] = artifact;
        args[args.IndexOf("--bundle") + 1] = bundle;
        args[args.IndexOf("--trusted-root") + 1] = trustedRoot;
        return args;
    }

    private static uint KeyHint(byte[] logId) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(logId);

    private static JsonNode TlogEntry(string bundle) => JsonNode.Parse(File.ReadAllText(bundle))!["verificationMaterial"]!["tlogEntries"]![0]!;

    // proto3 JSON omits a zero logIndex.
    private static long LogIndex(string bundle) =>
        TlogEntry(bundle)["logIndex"] is { } index ? long.Parse(index.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : 0;
}
