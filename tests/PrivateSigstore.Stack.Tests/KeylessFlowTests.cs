using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Fulcio.Tests.Oidc;
using PrivateSigstore.Keys;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Stack.Tests;

/// <summary>
/// The whole keyless flow with unchanged clients: the npm <c>sigstore</c> package signs and attests against our CA (SCT
/// embedded from our CT log) and our Rekor, and <c>@sigstore/verify</c> accepts the bundles with our trusted_root.json
/// and its DEFAULT thresholds; then the SCT, the CT log's tree head, inclusion and consistency proofs are checked with Core.
/// </summary>
public sealed class KeylessFlowTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigstore_js_signs_and_attests_keylessly_and_its_bundles_verify_with_our_trusted_root()
    {
        NodeScript.Require();
        await using var idp = await TestOidcIssuer.StartAsync();
        var idpKey = TestOidcIssuer.NewEcKey("ec-1");
        idp.Publish(idpKey);
        var dir = Directory.CreateTempSubdirectory("psig-keyless-").FullName;

        // The TUF port stays across the restart below (a client's mirror URL); every other service moves.
        var tufPort = FreePort();
        var stack = await StartStackAsync(dir, idp, tufPort);
        var tufCache = Directory.CreateTempSubdirectory("psig-keyless-tuf-").FullName;
        try
        {
            // A trusted root that names another CA (same logs): the bundle's certificate must not verify with it.
            var ours = TrustedRootJson.Parse(File.ReadAllText(stack.TrustedRootPath));
            using var otherRootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
            var now = DateTimeOffset.UtcNow;
            using var otherRoot = CaCertificates.CreateRoot(otherRootKey, "Other Root", "Other Org", now.AddDays(-1), now.AddYears(1));
            var other = ours with
            {
                CertificateAuthorities = TrustMaterialBuilder.TrustedRoot([new TrustedAuthority(stack.FulcioUrl, [otherRoot.RawData], now.AddDays(-1))], [], []).CertificateAuthorities,
            };
            var otherPath = Path.Combine(dir, "other_root.json");
            File.WriteAllText(otherPath, TrustedRootJson.Serialize(other));

            var token = TestOidcIssuer.Mint(idpKey, new Dictionary<string, object>
            {
                ["iss"] = idp.BaseUrl,
                ["aud"] = "sigstore",
                ["sub"] = "user-7",
                ["email"] = "dave@example.com",
                ["email_verified"] = true,
                ["iat"] = now.ToUnixTimeSeconds(),
                ["nbf"] = now.ToUnixTimeSeconds(),
                ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
            });
            var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
            var run = await NodeScript.RunAsync("keyless-interop.mjs", new Dictionary<string, string>
            {
                ["FULCIO_URL"] = stack.FulcioUrl,
                ["REKOR_URL"] = stack.RekorUrl,
                ["TRUSTED_ROOT"] = stack.TrustedRootPath,
                ["OTHER_TRUSTED_ROOT"] = otherPath,
                ["ID_TOKEN"] = token,
                ["EXPECTED_SAN"] = "dave@example.com",
                ["EXPECTED_ISSUER"] = idp.BaseUrl,
                ["OUT_DIR"] = outDir,
            }, Ct);
            Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
            Assert.Equal("hashedrekord", run.Summary!["blob"]!["tlogKind"]!["kind"]!.GetValue<string>());
            Assert.Equal("dsse", run.Summary["attestation"]!["tlogKind"]!["kind"]!.GetValue<string>());
            foreach (var negative in new[] { "otherIdentity", "otherIssuer", "tamperedArtifact", "otherCa" })
            {
                Assert.False(run.Summary["negatives"]![negative]!["ok"]!.GetValue<bool>(), negative);
            }

            await CheckSctAndCtLogAsync(stack, outDir);
            await CheckTufAsync(stack, idp, idpKey, tufCache);
        }
        finally
        {
            await stack.DisposeAsync();
        }

        // A restart on other ports changes the trust files (their URLs): the stack publishes targets v2 with its development
        // targets key, and the client's refresh from its cache (same mirror) gets the new files.
        var before = await File.ReadAllBytesAsync(Path.Combine(dir, "data", StackHost.TrustedRootFile), Ct);
        await using var restarted = await StartStackAsync(dir, idp, tufPort);
        Assert.NotEqual(before, await File.ReadAllBytesAsync(restarted.TrustedRootPath, Ct));
        Assert.Equal(2, Tuf.TufRepository.Open(restarted.TufDirectory).PublishedTargets!.Version);
        var refreshed = await RunTufClientAsync(restarted, tufCache);
        AssertTargetsAreTheStacksFiles(restarted, refreshed);
    }

    /// <summary>
    /// The stack's TUF repository with the unchanged clients: @sigstore/tuf bootstraps from data/tuf/root.json and the
    /// stack's mirror and gets both trust files byte for byte; sigstore-js signs with the signing config it got through
    /// TUF and verifies with tufMirrorURL + tufRootPath.
    /// </summary>
    private static async Task CheckTufAsync(StackHost stack, TestOidcIssuer idp, Microsoft.IdentityModel.Tokens.SecurityKey idpKey, string cache)
    {
        Assert.True(File.Exists(stack.TufRootPath), "the first root is left at data/tuf/root.json");
        var registry = JsonNode.Parse(await File.ReadAllTextAsync(stack.ServiceRegistryPath, Ct))!;
        Assert.Equal(stack.TufUrl, registry["tuf"]!.GetValue<string>());
        AssertTargetsAreTheStacksFiles(stack, await RunTufClientAsync(stack, cache));

        var now = DateTimeOffset.UtcNow;
        var token = TestOidcIssuer.Mint(idpKey, new Dictionary<string, object>
        {
            ["iss"] = idp.BaseUrl,
            ["aud"] = "sigstore",
            ["sub"] = "user-9",
            ["email"] = "frank@example.com",
            ["email_verified"] = true,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
        });
        var run = await NodeScript.RunAsync("tuf-keyless.mjs", new Dictionary<string, string>
        {
            ["TUF_MIRROR_URL"] = stack.TufUrl,
            ["TUF_ROOT_PATH"] = stack.TufRootPath,
            ["TUF_CACHE_DIR"] = Directory.CreateTempSubdirectory("psig-tuf-keyless-").FullName,
            ["ID_TOKEN"] = token,
            ["EXPECTED_SAN"] = "frank@example.com",
            ["EXPECTED_ISSUER"] = idp.BaseUrl,
        }, Ct);
        Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
        Assert.Equal(stack.FulcioUrl, run.Summary!["signingConfig"]!["fulcioURL"]!.GetValue<string>());
        Assert.Equal(stack.RekorUrl, run.Summary["signingConfig"]!["rekorURL"]!.GetValue<string>());
    }

    private static async Task<JsonNode> RunTufClientAsync(StackHost stack, string cache)
    {
        var run = await NodeScript.RunAsync("tuf-client.mjs", new Dictionary<string, string>
        {
            ["TUF_CLIENT"] = "sigstore",
            ["TUF_MIRROR_URL"] = stack.TufUrl,
            ["TUF_ROOT_PATH"] = stack.TufRootPath,
            ["TUF_CACHE_DIR"] = cache,
            ["TUF_TARGETS"] = $"{StackHost.TrustedRootFile},{StackHost.SigningConfigFile}",
        }, Ct);
        Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
        return run.Summary!;
    }

    private static void AssertTargetsAreTheStacksFiles(StackHost stack, JsonNode summary)
    {
        foreach (var (name, path) in new[] { (StackHost.TrustedRootFile, stack.TrustedRootPath), (StackHost.SigningConfigFile, stack.SigningConfigPath) })
        {
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), summary["targets"]![name]!["sha256"]!.GetValue<string>());
            Assert.Equal(bytes.Length, summary["targets"]![name]!["length"]!.GetValue<int>());
        }
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Issue 14's proof: the unchanged sigstore-js builds bundles from the stack's OWN signing_config.v0.2.json with
    /// <c>bundleBuilderFromSigningConfig</c> — a message signature and a DSSE envelope, logged to Rekor v2 and timestamped
    /// by the TSA — and @sigstore/verify accepts both with the stack's trusted_root.json and DEFAULT thresholds; a
    /// tampered artifact, timestamp or inclusion proof, and a missing timestamp, are rejected. psig verifies the same
    /// bundles.
    /// </summary>
    [Fact]
    public async Task Sigstore_js_signs_from_our_signing_config_with_rekor_v2_and_the_tsa_and_verifies_with_default_thresholds()
    {
        NodeScript.Require();
        await using var idp = await TestOidcIssuer.StartAsync();
        var idpKey = TestOidcIssuer.NewEcKey("ec-2");
        idp.Publish(idpKey);
        var dir = Directory.CreateTempSubdirectory("psig-v2-").FullName;
        await using var stack = await StartStackAsync(dir, idp);
        var now = DateTimeOffset.UtcNow;
        var token = TestOidcIssuer.Mint(idpKey, new Dictionary<string, object>
        {
            ["iss"] = idp.BaseUrl,
            ["aud"] = "sigstore",
            ["sub"] = "user-8",
            ["email"] = "erin@example.com",
            ["email_verified"] = true,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
        });
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        var run = await NodeScript.RunAsync("signing-config-v2.mjs", new Dictionary<string, string>
        {
            ["SIGNING_CONFIG"] = stack.SigningConfigPath,
            ["TRUSTED_ROOT"] = stack.TrustedRootPath,
            ["ID_TOKEN"] = token,
            ["EXPECTED_SAN"] = "erin@example.com",
            ["EXPECTED_ISSUER"] = idp.BaseUrl,
            ["OUT_DIR"] = outDir,
        }, Ct);
        Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
        Assert.Equal("hashedrekord", run.Summary!["message"]!["kindVersion"]!["kind"]!.GetValue<string>());
        Assert.Equal("0.0.2", run.Summary["message"]!["kindVersion"]!["version"]!.GetValue<string>());
        Assert.Equal("0.0.2", run.Summary["dsse"]!["kindVersion"]!["version"]!.GetValue<string>());
        Assert.Equal(1, run.Summary["message"]!["timestamps"]!.GetValue<int>());
        Assert.Equal(1, run.Summary["dsse"]!["timestamps"]!.GetValue<int>());
        foreach (var negative in new[] { "tamperedArtifact", "tamperedTimestamp", "missingTimestamp", "tamperedProof" })
        {
            Assert.StartsWith("rejected", run.Summary["negatives"]![negative]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // The entries are in our Rekor v2 log: its checkpoint covers them.
        using var http = new HttpClient { BaseAddress = new Uri(stack.RekorV2Url) };
        var checkpoint = await http.GetStringAsync("/api/v2/checkpoint", Ct);
        Assert.StartsWith("127.0.0.1\n2\n", checkpoint, StringComparison.Ordinal);
    }

    /// <summary>The stack on free ports, its CA trusting only the test issuer (type email), development keys.</summary>
    private static Task<StackHost> StartStackAsync(string dir, TestOidcIssuer idp, int tufPort = 0)
    {
        var config = Path.Combine(dir, "fulcio-config.json");
        File.WriteAllText(config, new JsonObject
        {
            ["OIDCIssuers"] = new JsonObject { [idp.BaseUrl] = new JsonObject { ["IssuerURL"] = idp.BaseUrl, ["ClientID"] = "sigstore", ["Type"] = "email" } },
        }.ToJsonString());
        return StackHost.StartAsync(new StackOptions
        {
            DataDirectory = Path.Combine(dir, "data"),
            RekorPort = 0,
            FulcioPort = 0,
            CtLogPort = 0,
            IdentityPort = 0,
            TsaPort = 0,
            RekorV2Port = 0,
            TufPort = tufPort,
            WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0,
            FulcioConfigPath = config,
            LogLevel = "Warning",
            UseSoftHsm = false, // SoftHSM2 is configured once per process; the child-process test covers it
        }, Ct);
    }

    /// <summary>The embedded SCT verifies independently, and the CT log's STH and proofs verify with Core.</summary>
    private static async Task CheckSctAndCtLogAsync(StackHost stack, string outDir)
    {
        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "blob.sigstore.json")))!;
        var material = bundle["verificationMaterial"]!;
        // v0.3 bundles carry the leaf alone; older ones a chain whose first certificate is the leaf.
        var leafNode = material["certificate"] ?? material["x509CertificateChain"]?["certificates"]?[0];
        Assert.True(leafNode is not null, $"no certificate in the bundle: {material.ToJsonString()[..Math.Min(300, material.ToJsonString().Length)]}");
        var leafDer = Convert.FromBase64String(leafNode!["rawBytes"]!.GetValue<string>());
        using var leaf = X509CertificateLoader.LoadCertificate(leafDer);
        var trusted = TrustedRootJson.Parse(File.ReadAllText(stack.TrustedRootPath));
        using var issuer = X509CertificateLoader.LoadCertificate(trusted.CertificateAuthorities[0].CertChain!.Certificates[0].RawBytes);
        byte[] issuerSpki = issuer.PublicKey.ExportSubjectPublicKeyInfo();
        byte[] ctSpki = trusted.Ctlogs[0].PublicKey!.RawBytes!;
        using var ctKey = ECDsa.Create();
        ctKey.ImportSubjectPublicKeyInfo(ctSpki, out _);

        // The SCT: signed data rebuilt from the final certificate (SCT list removed) and the issuer key hash.
        var sct = Assert.Single(SctList.FromExtension(leaf.Extensions[Core.Certificates.SigstoreOids.SctList]!));
        Assert.Equal(SHA256.HashData(ctSpki), sct.LogId);
        Assert.True(SctVerification.VerifyEmbedded(leafDer, issuerSpki, sct, ctKey), "the embedded SCT does not verify");

        using var http = new HttpClient { BaseAddress = new Uri(stack.CtLogUrl) };
        var sth = JsonNode.Parse(await http.GetStringAsync("/ct/v1/get-sth", Ct))!;
        ulong size = sth["tree_size"]!.GetValue<ulong>();
        ulong timestamp = sth["timestamp"]!.GetValue<ulong>();
        byte[] root = Convert.FromBase64String(sth["sha256_root_hash"]!.GetValue<string>());
        var signature = DigitallySigned.Parse(Convert.FromBase64String(sth["tree_head_signature"]!.GetValue<string>()));
        Assert.True(ctKey.VerifyData(TreeHeadSignature.SignedData(timestamp, size, root), signature.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), "the STH signature does not verify");
        Assert.Equal(2UL, size); // the blob's and the attestation's precertificates

        // Inclusion: the precertificate entry the SCT promised (its timestamp, the issuer key hash, the TBS without the poison).
        var entry = MerkleTreeLeaf.ForPrecert(sct.Timestamp, SHA256.HashData(issuerSpki), Precertificate.GetTbsWithoutSctList(leafDer), []);
        byte[] leafHash = Rfc6962.HashLeaf(entry.Serialize());
        var proof = JsonNode.Parse(await http.GetStringAsync($"/ct/v1/get-proof-by-hash?hash={Uri.EscapeDataString(Convert.ToBase64String(leafHash))}&tree_size={size}", Ct))!;
        ulong index = proof["leaf_index"]!.GetValue<ulong>();
        ProofVerifier.VerifyInclusion(leafHash, index, size, [.. proof["audit_path"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))], root);

        // Consistency from size 1 (whose root is the first leaf's hash) to the current head.
        var first = JsonNode.Parse(await http.GetStringAsync("/ct/v1/get-entries?start=0&end=0", Ct))!;
        byte[] root1 = Rfc6962.HashLeaf(Convert.FromBase64String(first["entries"]![0]!["leaf_input"]!.GetValue<string>()));
        var consistency = JsonNode.Parse(await http.GetStringAsync($"/ct/v1/get-sth-consistency?first=1&second={size}", Ct))!;
        ProofVerifier.VerifyConsistency(1, size, [.. consistency["consistency"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))], root1, root);
    }
}
