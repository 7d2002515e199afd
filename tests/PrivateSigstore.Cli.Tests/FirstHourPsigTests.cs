using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Cli.Tests;

/// <summary>Not run in parallel with other classes: these tests set PSIG_KEY_PASSWORD, which every key-loading command reads.</summary>
[CollectionDefinition(nameof(KeyPasswordEnvironment), DisableParallelization = true)]
public sealed class KeyPasswordEnvironment;

/// <summary>
/// Issue 21, psig's first hour: generate-key-pair, Ed25519 keys with our real Rekor, errors naming the URL and the
/// reason, log commands that verify checkpoints with a trusted root, log search, verify-attestation --type. Each runs
/// psig with the arguments a user types and checks the message and the exit code.
/// </summary>
[Collection(nameof(KeyPasswordEnvironment))]
public sealed class FirstHourPsigTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(rekor.Directory, Guid.NewGuid().ToString("N")[..8])).FullName;

    [Fact]
    public async Task Generate_key_pair_writes_an_encrypted_key_that_signs_and_refuses_to_overwrite()
    {
        var dir = NewDirectory();
        var prefix = Path.Combine(dir, "release");
        Environment.SetEnvironmentVariable("PSIG_KEY_PASSWORD", "correct horse");
        try
        {
            var generated = await Psig.RunAsync("generate-key-pair", "--output-key-prefix", prefix);
            Assert.True(generated.ExitCode == 0, generated.Error);
            Assert.Equal($"Private key written to {prefix}.key\nPublic key written to {prefix}.pub\n", generated.Error.ReplaceLineEndings("\n"));
            var pem = await File.ReadAllTextAsync(prefix + ".key", Ct);
            Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", pem, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
            Assert.StartsWith("-----BEGIN PUBLIC KEY-----", await File.ReadAllTextAsync(prefix + ".pub", Ct), StringComparison.Ordinal);

            // The key signs (psig decrypts it with the password) and the public key verifies.
            var artifact = rekor.NewFile("generated.txt", "signed with a generated key\n");
            var sign = await Psig.RunAsync("sign-blob", artifact, "--key", prefix + ".key", "--rekor-url", rekor.Url);
            Assert.True(sign.ExitCode == 0, sign.Error);
            var verify = await Psig.RunAsync("verify-blob", artifact, "--key", prefix + ".pub", "--trusted-root", rekor.TrustedRootPath);
            Assert.True(verify.ExitCode == 0, verify.Error);
            Assert.EndsWith(": Verified OK\n", verify.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);

            // A second run refuses to overwrite either file.
            var again = await Psig.RunAsync("generate-key-pair", "--output-key-prefix", prefix);
            Assert.Equal(2, again.ExitCode);
            Assert.Equal($"psig: {prefix}.key already exists; refusing to overwrite it (remove it, or choose another --output-key-prefix)\n", again.Error.ReplaceLineEndings("\n"));
            Assert.Equal(pem, await File.ReadAllTextAsync(prefix + ".key", Ct));

            // A wrong password is a clear usage error.
            Environment.SetEnvironmentVariable("PSIG_KEY_PASSWORD", "wrong");
            var wrong = await Psig.RunAsync("sign-blob", artifact, "--key", prefix + ".key", "--rekor-url", rekor.Url);
            Assert.Equal(2, wrong.ExitCode);
            Assert.Equal($"psig: --key: cannot decrypt key file {prefix}.key: wrong password, or the file is corrupt\n", wrong.Error.ReplaceLineEndings("\n"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PSIG_KEY_PASSWORD", null);
        }

        // No password and no terminal: refused, nothing written.
        var other = Path.Combine(dir, "other");
        var noPassword = await Psig.RunAsync("generate-key-pair", "--output-key-prefix", other);
        Assert.Equal(2, noPassword.ExitCode);
        Assert.Equal("psig: no password for the private key: set PSIG_KEY_PASSWORD (it may be empty), or run psig on a terminal\n", noPassword.Error.ReplaceLineEndings("\n"));
        Assert.False(File.Exists(other + ".key"));
        Assert.False(File.Exists(other + ".pub"));
    }

    [Fact]
    public async Task An_ed25519_key_signs_blobs_that_our_rekor_accepts_and_psig_verifies()
    {
        var dir = NewDirectory();
        var seed = RandomNumberGenerator.GetBytes(32);
        var keyPath = Path.Combine(dir, "ed25519.key");
        await File.WriteAllTextAsync(keyPath, PemEncodingHelper("PRIVATE KEY", [.. Convert.FromHexString("302e020100300506032b657004220420"), .. seed]), Ct);
        var pubPath = Path.Combine(dir, "ed25519.pub");
        await File.WriteAllTextAsync(pubPath, GoPem.EncodePublicKey(Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(Core.Crypto.Ed25519.PublicKeyFromSeed(seed))), Ct);
        var artifact = rekor.NewFile("ed25519.txt", "signed with Ed25519\n");

        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", keyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        // Ed25519ph over SHA-512, as upstream Rekor's hashedrekord wants for Ed25519 keys.
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(artifact + ".sigstore.json", Ct))!;
        Assert.Equal("SHA2_512", bundle["messageSignature"]!["messageDigest"]!["algorithm"]!.GetValue<string>());
        var body = JsonNode.Parse(Convert.FromBase64String(bundle["verificationMaterial"]!["tlogEntries"]![0]!["canonicalizedBody"]!.GetValue<string>()))!;
        Assert.Equal("sha512", body["spec"]!["data"]!["hash"]!["algorithm"]!.GetValue<string>());

        var verify = await Psig.RunAsync("verify-blob", artifact, "--key", pubPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        await File.WriteAllTextAsync(artifact, "changed\n", Ct);
        Assert.Equal(1, (await Psig.RunAsync("verify-blob", artifact, "--key", pubPath, "--trusted-root", rekor.TrustedRootPath)).ExitCode);
    }

    // RFC 8410 OneAsymmetricKey for Ed25519: the fixed prefix and the 32-byte seed.
    private static string PemEncodingHelper(string label, byte[] der) => new string(System.Security.Cryptography.PemEncoding.Write(label, der)) + "\n";

    [Fact]
    public async Task Log_get_of_a_missing_entry_names_the_url_and_the_reason()
    {
        var result = await Psig.RunAsync("log", "get", "--log-index", "999999", "--rekor-url", rekor.Url);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"Error: GET {rekor.Url}/api/v1/log/entries?logIndex=999999: HTTP 404 Not Found: no entry at log index 999999\n", result.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_rekor_url_of_the_wrong_service_is_named_as_such()
    {
        // Any URL where no Rekor answers: 404 with an empty body.
        var wrong = rekor.Url + "/not-rekor";

        var info = await Psig.RunAsync("log", "info", "--rekor-url", wrong);
        var get = await Psig.RunAsync("log", "get", "--log-index", "0", "--rekor-url", wrong);

        Assert.Equal(1, info.ExitCode);
        Assert.Equal($"Error: GET {wrong}/api/v1/log: HTTP 404 Not Found: the server gave no reason; is {wrong}/ a Rekor v1 log?\n", info.Error.ReplaceLineEndings("\n"));
        Assert.Equal(1, get.ExitCode);
        Assert.Equal($"Error: GET {wrong}/api/v1/log/entries?logIndex=0: HTTP 404 Not Found: no entry at log index 0, or {wrong}/ is not a Rekor v1 log (the server gave no reason)\n", get.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_ca_that_is_not_running_is_named_with_its_url()
    {
        var artifact = rekor.NewFile("refused.txt", "no CA\n");
        var token = "eyJhbGciOiJub25lIn0." + Convert.ToBase64String("""{"sub":"someone","email":"someone@example.com"}"""u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".c2ln";

        var result = await Psig.RunAsync("sign-blob", artifact, "--identity-token", token, "--fulcio-url", "http://127.0.0.1:1", "--rekor-url", rekor.Url);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error: POST http://127.0.0.1:1/api/v2/signingCert: Connection refused", result.Error, StringComparison.Ordinal);
        Assert.EndsWith(": is the Fulcio CA running at http://127.0.0.1:1/?\n", result.Error.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_commands_verify_the_checkpoint_with_the_trusted_root_not_only_the_servers_key()
    {
        var artifact = rekor.NewFile("pinned.txt", "pinned\n");
        Assert.Equal(0, (await Psig.RunAsync("sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);

        var pinned = await Psig.RunAsync("log", "info", "--rekor-url", rekor.Url, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(pinned.ExitCode == 0, pinned.Error);
        Assert.Contains("Checkpoint signature: verified with the trusted root's key of ", pinned.Out, StringComparison.Ordinal);
        Assert.Contains($"(--trusted-root {rekor.TrustedRootPath})", pinned.Out, StringComparison.Ordinal);

        // Without a trusted root (and no TUF cache) the log's own key is used, and psig says so.
        var home = NewDirectory();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var unpinned = await PsigApp.RunAsync(["log", "info", "--rekor-url", rekor.Url], new CliConsole(output, error, false) { Home = home }, Ct);
        Assert.Equal(0, unpinned);
        Assert.Contains("Checkpoint signature: verified with the key the log itself serves (not pinned: give --trusted-root, or psig initialize)", output.ToString(), StringComparison.Ordinal);

        // Another stack's root (same log URL, another key): the checkpoint is refused, by every log command.
        var other = JsonNode.Parse(rekor.TrustedRootJson)!;
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        other["tlogs"]![0]!["publicKey"]!["rawBytes"] = Convert.ToBase64String(otherKey.ExportSubjectPublicKeyInfo());
        var otherRoot = Path.Combine(NewDirectory(), "other_trusted_root.json");
        await File.WriteAllTextAsync(otherRoot, other.ToJsonString(), Ct);
        var refused = await Psig.RunAsync("log", "info", "--rekor-url", rekor.Url, "--trusted-root", otherRoot);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"Checkpoint signature: NOT VERIFIED: not signed by any log key in the trusted root (--trusted-root {otherRoot}): is {rekor.Url}/ the log that trusted root lists?", refused.Out, StringComparison.Ordinal);
        var proof = await Psig.RunAsync("log", "proof", "--log-index", "0", "--rekor-url", rekor.Url, "--trusted-root", otherRoot);
        Assert.Equal(1, proof.ExitCode);
        Assert.Contains("Checkpoint: FAILED: not signed by any log key in the trusted root", proof.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_search_finds_entries_by_key_digest_and_artifact_a_page_at_a_time()
    {
        var dir = NewDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyPath = Path.Combine(dir, "search.key");
        var pubPath = Path.Combine(dir, "search.pub");
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem(), Ct);
        await File.WriteAllTextAsync(pubPath, GoPem.EncodePublicKey(key.ExportSubjectPublicKeyInfo()), Ct);
        var artifacts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var artifact = rekor.NewFile($"search{i}.txt", $"search {i} {Guid.NewGuid()}\n");
            Assert.Equal(0, (await Psig.RunAsync("sign-blob", artifact, "--key", keyPath, "--rekor-url", rekor.Url)).ExitCode);
            artifacts.Add(artifact);
        }

        // The search index is written after the entry (a queue): wait until all three are found.
        JsonElement all = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var found = await Psig.RunAsync("log", "search", "--public-key", pubPath, "--rekor-url", rekor.Url, "--json");
            Assert.True(found.ExitCode == 0, found.Error);
            all = JsonDocument.Parse(found.Out).RootElement.Clone();
            if (all.GetProperty("total").GetInt32() == 3) break;
            await Task.Delay(100, Ct);
        }
        Assert.Equal(3, all.GetProperty("total").GetInt32());
        Assert.Equal(3, all.GetProperty("entries").GetArrayLength());
        Assert.All(all.GetProperty("entries").EnumerateArray(), e => Assert.Equal("hashedrekord", e.GetProperty("kind").GetString()));

        var page2 = await Psig.RunAsync("log", "search", "--public-key", pubPath, "--limit", "2", "--page", "2", "--rekor-url", rekor.Url);
        Assert.True(page2.ExitCode == 0, page2.Error);
        Assert.StartsWith("3 entries found; page 2 of 2 (2 per page: --page, --limit)\n", page2.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal(2, page2.Out.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Length);
        var page1 = await Psig.RunAsync("log", "search", "--public-key", pubPath, "--limit", "2", "--rekor-url", rekor.Url);
        Assert.EndsWith("next page: --page 2\n", page1.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        var digest = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(artifacts[1], Ct)));
        var bySha = JsonDocument.Parse((await Psig.RunAsync("log", "search", "--sha256", digest, "--rekor-url", rekor.Url, "--json")).Out).RootElement;
        var byArtifact = JsonDocument.Parse((await Psig.RunAsync("log", "search", "--artifact", artifacts[1], "--rekor-url", rekor.Url, "--json")).Out).RootElement;
        Assert.Equal(1, bySha.GetProperty("total").GetInt32());
        Assert.Equal(bySha.GetProperty("entries")[0].GetProperty("uuid").GetString(), byArtifact.GetProperty("entries")[0].GetProperty("uuid").GetString());

        var none = await Psig.RunAsync("log", "search", "--rekor-url", rekor.Url);
        Assert.Equal(2, none.ExitCode);
        Assert.Equal("psig: give --email, --sha256 (or --artifact), or --public-key\n", none.Error.ReplaceLineEndings("\n"));
        var bad = await Psig.RunAsync("log", "search", "--sha256", "abc", "--rekor-url", rekor.Url);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("psig: --sha256 abc: not a SHA-256 digest (64 hex digits, optionally prefixed sha256:)\n", bad.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Verify_attestation_type_filters_by_predicate_type_with_cosigns_short_names()
    {
        var artifact = rekor.NewFile("typed.bin", "typed subject\n");
        var predicate = rekor.NewFile("predicate.json", """{"buildDefinition":{"buildType":"https://example.com/build"}}""");
        var bundle = artifact + ".intoto.sigstore.json";
        var attest = await Psig.RunAsync("attest", artifact, "--predicate", predicate, "--type", "slsaprovenance1", "--key", rekor.KeyPath, "--rekor-url", rekor.Url, "--bundle", bundle);
        Assert.True(attest.ExitCode == 0, attest.Error);

        var uri = await Psig.RunAsync("verify-attestation", artifact, "--bundle", bundle, "--type", "https://slsa.dev/provenance/v1", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        var shortName = await Psig.RunAsync("verify-attestation", artifact, "--bundle", bundle, "--type", "slsaprovenance1", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        var other = await Psig.RunAsync("verify-attestation", artifact, "--bundle", bundle, "--type", "spdx", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        var notAType = await Psig.RunAsync("verify-attestation", artifact, "--bundle", bundle, "--type", "provenance", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);

        Assert.True(uri.ExitCode == 0, uri.Error);
        Assert.True(shortName.ExitCode == 0, shortName.Error);
        Assert.Equal(1, other.ExitCode);
        Assert.Equal("Error: the attestation's predicate type is https://slsa.dev/provenance/v1, not https://spdx.dev/Document (--type)\n", other.Error.ReplaceLineEndings("\n"));
        Assert.Equal(2, notAType.ExitCode);
        Assert.StartsWith("psig: --type provenance: not a predicate type URI nor one of custom|slsaprovenance|", notAType.Error, StringComparison.Ordinal);
    }
}
