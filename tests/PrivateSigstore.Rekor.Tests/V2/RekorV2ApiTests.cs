using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Rekor.Tests.V2;

/// <summary>The Rekor v2 write API and tlog-tiles reads against a real Kestrel: every key type, proofs, tiles, export.</summary>
public sealed class RekorV2ApiTests(RekorV2Fixture rekor) : IClassFixture<RekorV2Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The canonical hashedrekord 0.0.2 body, written here independently (JCS key order, std base64).</summary>
    private static string ExpectedBody(string hash, byte[] digest, byte[] sig, string details, string verifierField, byte[] raw) =>
        "{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{\"hashedRekordV002\":{\"data\":{\"algorithm\":\"" + hash +
        "\",\"digest\":\"" + Convert.ToBase64String(digest) + "\"},\"signature\":{\"content\":\"" + Convert.ToBase64String(sig) +
        "\",\"verifier\":{\"keyDetails\":\"" + details + "\",\"" + verifierField + "\":{\"rawBytes\":\"" + Convert.ToBase64String(raw) + "\"}}}}}}";

    private async Task<JsonObject> VerifiedAppendAsync(JsonObject request, string expectedKind)
    {
        using var response = await rekor.PostAsync(request.ToJsonString());
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var tle = JsonNode.Parse(text)!.AsObject();

        // Shape: protojson names, int64 as strings, integratedTime "0", logId = the C2SP key id.
        Assert.Equal(expectedKind, tle["kindVersion"]!["kind"]!.GetValue<string>());
        Assert.Equal("0.0.2", tle["kindVersion"]!["version"]!.GetValue<string>());
        Assert.Equal("0", tle["integratedTime"]!.GetValue<string>());
        Assert.Equal(rekor.Trust.KeyIdBase64, tle["logId"]!["keyId"]!.GetValue<string>());
        var index = ulong.Parse(tle["logIndex"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var proof = tle["inclusionProof"]!.AsObject();
        Assert.Equal(tle["logIndex"]!.GetValue<string>(), proof["logIndex"]!.GetValue<string>());

        // The checkpoint verifies with the published key, and names the origin.
        var envelope = proof["checkpoint"]!["envelope"]!.GetValue<string>();
        var note = SignedNote.Parse(envelope);
        Assert.Single(note.Verify([rekor.Trust.NoteVerifier()]));
        var lines = note.Text.Split('\n');
        Assert.Equal("127.0.0.1", lines[0]);
        var size = ulong.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture);
        var root = Convert.FromBase64String(lines[2]);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), proof["treeSize"]!.GetValue<string>());
        Assert.Equal(lines[2], proof["rootHash"]!.GetValue<string>());

        // The inclusion proof of the body's leaf hash against the checkpoint's root.
        var body = Convert.FromBase64String(tle["canonicalizedBody"]!.GetValue<string>());
        var hashes = proof["hashes"]!.AsArray().Select(h => Convert.FromBase64String(h!.GetValue<string>())).ToList();
        ProofVerifier.VerifyInclusion(TilesReader.LeafHash(body), index, size, hashes, root);
        return tle;
    }

    [Theory]
    [InlineData("P256", "SHA2_256")]
    [InlineData("P384", "SHA2_384")]
    [InlineData("P521", "SHA2_512")]
    [InlineData("RSA2048", "SHA2_256")]
    [InlineData("RSA3072", "SHA2_256")]
    [InlineData("RSA4096", "SHA2_256")]
    [InlineData("ED25519PH", "SHA2_512")]
    public async Task Hashedrekord_with_each_key_type_is_logged_with_a_verifying_proof_and_the_upstream_body(string keyType, string hash)
    {
        var (spki, details, digest, sig) = V2Requests.Sign(keyType);
        var tle = await VerifiedAppendAsync(V2Requests.HashedRekord(digest, sig, V2Requests.KeyVerifier(spki, details)), "hashedrekord");
        var body = Encoding.UTF8.GetString(Convert.FromBase64String(tle["canonicalizedBody"]!.GetValue<string>()));
        Assert.Equal(ExpectedBody(hash, digest, sig, details, "publicKey", spki), body);
    }

    [Fact]
    public async Task Hashedrekord_with_a_certificate_verifier_stores_the_certificate_as_given()
    {
        var cert = V2Requests.SelfSignedCertificate(V2Requests.P256);
        var digest = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
        var sig = V2Requests.P256.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var tle = await VerifiedAppendAsync(V2Requests.HashedRekord(digest, sig, V2Requests.CertVerifier(cert, "PKIX_ECDSA_P256_SHA_256")), "hashedrekord");
        var body = Encoding.UTF8.GetString(Convert.FromBase64String(tle["canonicalizedBody"]!.GetValue<string>()));
        Assert.Equal(ExpectedBody("SHA2_256", digest, sig, "PKIX_ECDSA_P256_SHA_256", "x509Certificate", cert), body);
    }

    [Fact]
    public async Task Dsse_as_sigstore_js_sends_it_is_logged_as_dsse_0_0_2()
    {
        const string payload = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
        var tle = await VerifiedAppendAsync(V2Requests.Dsse(payload + Guid.NewGuid()), "dsse");
        var body = JsonNode.Parse(Convert.FromBase64String(tle["canonicalizedBody"]!.GetValue<string>()))!;
        Assert.Equal("SHA2_256", body["spec"]!["dsseV002"]!["payloadHash"]!["algorithm"]!.GetValue<string>());
        Assert.Single(body["spec"]!["dsseV002"]!["signatures"]!.AsArray());
    }

    [Fact]
    public async Task A_duplicate_gets_409_with_x_log_index_and_the_tree_does_not_grow()
    {
        var request = V2Requests.Valid().ToJsonString();
        using var first = await rekor.PostAsync(request);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var index = JsonNode.Parse(await first.Content.ReadAsStringAsync(Ct))!["logIndex"]!.GetValue<string>();
        var size = await rekor.TreeSizeAsync();
        using var second = await rekor.PostAsync(request);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(index, second.Headers.GetValues("x-log-index").Single());
        var error = JsonNode.Parse(await second.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(6, error["code"]!.GetValue<int>());
        Assert.Equal($"an equivalent entry already exists in the transparency log with index {index}", error["message"]!.GetValue<string>());
        Assert.Empty(error["details"]!.AsArray());
        Assert.Equal(size, await rekor.TreeSizeAsync());
    }

    [Fact]
    public async Task The_independent_tiles_reader_rebuilds_the_checkpoint_root_and_full_tiles_are_immutable()
    {
        // Enough entries for a full level-0 tile and bundle.
        var size0 = await rekor.TreeSizeAsync();
        var needed = (int)Math.Max(0, 300 - (long)size0);
        for (var i = 0; i < needed; i += 50)
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Min(50, needed - i)).Select(async _ =>
            {
                using var r = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            }));
        }

        var reader = TilesReader.Over(rekor.Http);
        var (origin, size, root, note) = await reader.CheckpointAsync();
        Assert.Equal("127.0.0.1", origin);
        Assert.Single(SignedNote.Parse(note).Verify([rekor.Trust.NoteVerifier()]));
        var leaves = await reader.LeafHashesAsync(size);
        Assert.Equal(root, TilesReader.Root(leaves));
        var entries = await reader.EntriesAsync(size);
        Assert.Equal(leaves.Select(Convert.ToHexString), entries.Select(e => Convert.ToHexString(TilesReader.LeafHash(e))));
        Assert.All(entries, e => Assert.StartsWith("{\"apiVersion\":\"0.0.2\",\"kind\":", Encoding.UTF8.GetString(e), StringComparison.Ordinal));

        // Cache headers: full tiles and bundles immutable, partial ones and the checkpoint short-lived.
        using var full = await rekor.Http.GetAsync("/api/v2/tile/0/000", Ct);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(8192, (await full.Content.ReadAsByteArrayAsync(Ct)).Length);
        Assert.Equal(RekorV2Endpoints.ImmutableCache, full.Headers.CacheControl!.ToString());
        using var fullBundle = await rekor.Http.GetAsync("/api/v2/tile/entries/000", Ct);
        Assert.Equal(RekorV2Endpoints.ImmutableCache, fullBundle.Headers.CacheControl!.ToString());
        using var partial = await rekor.Http.GetAsync("/api/v2/" + TilesReader.TilePath(0, 1, (int)(size - 256)), Ct);
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal(RekorV2Endpoints.PartialCache, partial.Headers.CacheControl!.ToString());
        using var level1 = await rekor.Http.GetAsync("/api/v2/tile/1/000.p/1", Ct);
        Assert.Equal(HttpStatusCode.OK, level1.StatusCode);
        using var checkpoint = await rekor.Http.GetAsync("/api/v2/checkpoint", Ct);
        Assert.Equal("no-cache", checkpoint.Headers.CacheControl!.ToString());
        Assert.StartsWith("text/plain", checkpoint.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);

        // Beyond the tree: 404; malformed: 400.
        foreach (var path in new[] { "tile/0/001", "tile/0/999", "tile/entries/x001/000", "tile/2/000.p/1", "tile/entries/001.p/255" })
        {
            using var r = await rekor.Http.GetAsync("/api/v2/" + path, Ct);
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, path);
        }
        foreach (var path in new[] { "tile/0/1", "tile/64/000", "tile/0/x000/001", "tile/0/000.p/0", "tile/0/000.p/256", "tile/entries/abc", "tile/00/000", "tile/0/000.p/01" })
        {
            using var r = await rekor.Http.GetAsync("/api/v2/" + path, Ct);
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, path);
        }
    }

    [Fact]
    public async Task Export_tiles_writes_a_static_tree_that_the_independent_reader_reads_as_the_live_log()
    {
        for (var i = 0; i < 20; i++)
        {
            using var r = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        var log = rekor.App.Services.GetService(typeof(RekorV2Log)) as RekorV2Log;
        var directory = Path.Combine(rekor.DataDirectory, "export-" + Guid.NewGuid().ToString("N"));
        var result = await RekorV2Export.ExportAsync(log!.Log, directory, Ct);

        var files = TilesReader.FromDirectory(directory);
        var live = TilesReader.Over(rekor.Http);
        var (_, size, root, note) = await files.CheckpointAsync();
        Assert.Equal(result.TreeSize, size);
        Assert.Single(SignedNote.Parse(note).Verify([rekor.Trust.NoteVerifier()]));
        var leaves = await files.LeafHashesAsync(size);
        Assert.Equal(root, TilesReader.Root(leaves));
        Assert.Equal((await live.LeafHashesAsync(size)).Select(Convert.ToHexString), leaves.Select(Convert.ToHexString));
        Assert.Equal((await live.EntriesAsync(size)).Select(Convert.ToHexString), (await files.EntriesAsync(size)).Select(Convert.ToHexString));
        Assert.Equal(await live.LeafHashesAsync(size), leaves);

        // A second export only adds what is new (full tiles are immutable).
        var again = await RekorV2Export.ExportAsync(log.Log, directory, Ct);
        Assert.True(again.TilesWritten <= result.TilesWritten);
    }

    [Fact]
    public async Task The_trust_info_is_the_c2sp_ed25519_key_id_of_the_origin_and_key()
    {
        var pub = Core.Crypto.Ed25519.PublicKeyFromSubjectPublicKeyInfo(rekor.Trust.SubjectPublicKeyInfo);
        var expected = SHA256.HashData([.. Encoding.UTF8.GetBytes("127.0.0.1"), 0x0A, 0x01, .. pub]);
        Assert.Equal(expected, rekor.Trust.KeyId);
        Assert.Equal(Core.Bundle.PublicKeyDetails.PkixEd25519, rekor.Trust.KeyDetails);
        var checkpoint = await rekor.Http.GetStringAsync("/api/v2/checkpoint", Ct);
        var signatureLine = checkpoint.Split('\n').Single(l => l.StartsWith('\u2014'));
        var hint = Convert.FromBase64String(signatureLine.Split(' ')[2])[..4];
        Assert.Equal(expected[..4], hint);
        Assert.True(File.Exists(Path.Combine(rekor.DataDirectory, "checkpoint-key.pem")));
    }
}

/// <summary>Settings and lifecycle: DSSE refused as upstream, restart, frozen log.</summary>
public sealed class RekorV2SettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_AcceptDsse_false_dsse_is_refused_as_upstream_and_hashedrekord_still_works()
    {
        await using var rekor = new RekorV2NoDsseFixture();
        await rekor.InitializeAsync();
        var size = await rekor.TreeSizeAsync();
        using var refused = await rekor.PostAsync(V2Requests.Dsse("{}").ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(3, error["code"]!.GetValue<int>());
        Assert.Equal("invalid type, must be hashedrekord", error["message"]!.GetValue<string>());
        Assert.Equal(size, await rekor.TreeSizeAsync());
        using var ok = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public async Task A_restart_keeps_the_log_and_the_key()
    {
        await using var rekor = new RekorV2Fixture();
        await rekor.InitializeAsync();
        for (var i = 0; i < 5; i++)
        {
            using var r = await rekor.PostAsync(V2Requests.Valid("P384").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        var before = await rekor.Http.GetStringAsync("/api/v2/checkpoint", Ct);
        var keyId = rekor.Trust.KeyId;
        await rekor.StopAsync();
        await rekor.StartAsync();
        Assert.Equal(keyId, rekor.Trust.KeyId);
        var after = await TilesReader.Over(rekor.Http).CheckpointAsync();
        Assert.Equal(before.Split('\n')[..3], after.Note.Split('\n')[..3]);
        Assert.Equal(after.Root, TilesReader.Root(await TilesReader.Over(rekor.Http).LeafHashesAsync(after.Size)));
        using var r2 = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, r2.StatusCode);
        Assert.Equal(after.Size + 1, await rekor.TreeSizeAsync());
    }

    [Fact]
    public async Task A_frozen_log_answers_405_with_upstreams_message_and_still_serves_reads()
    {
        await using var rekor = new FrozenFixture();
        await rekor.InitializeAsync();
        using var r = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal(RekorV2ErrorFilter.FrozenMessage + "\n", await r.Content.ReadAsStringAsync(Ct));
        Assert.Equal(0UL, await rekor.TreeSizeAsync());
    }

    [Fact]
    public async Task An_ecdsa_p256_checkpoint_key_is_an_option()
    {
        await using var rekor = new EcdsaFixture();
        await rekor.InitializeAsync();
        Assert.Equal(Core.Bundle.PublicKeyDetails.PkixEcdsaP256Sha256, rekor.Trust.KeyDetails);
        Assert.Equal(SHA256.HashData(rekor.Trust.SubjectPublicKeyInfo), rekor.Trust.KeyId);
        using var r = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var note = SignedNote.Parse(JsonNode.Parse(await r.Content.ReadAsStringAsync(Ct))!["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>());
        Assert.Single(note.Verify([rekor.Trust.NoteVerifier()]));
    }

    [Theory]
    [InlineData("RekorV2:Origin", "127.0.0.1:3001")]
    [InlineData("RekorV2:Origin", "https://log.example.com")]
    [InlineData("RekorV2:Key:Algorithm", "EcdsaP384Sha384")]
    [InlineData("RekorV2:MaxRequestBytes", "10")]
    public async Task Bad_settings_fail_at_build_naming_the_setting(string key, string value)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => RekorV2App.BuildAsync(["--" + key, value, "--RekorV2:DataDirectory", Path.Combine(Path.GetTempPath(), "psig-rekor2-tests", Guid.NewGuid().ToString("N"))], cancellationToken: Ct));
        Assert.Contains(key.Split(':')[^1], e.Message, StringComparison.Ordinal);
    }

    private sealed class FrozenFixture : RekorV2Fixture
    {
        protected override IEnumerable<string> ExtraArgs => ["--RekorV2:ReadOnly", "true"];
    }

    private sealed class EcdsaFixture : RekorV2Fixture
    {
        protected override IEnumerable<string> ExtraArgs => ["--RekorV2:Key:Algorithm", "EcdsaP256Sha256"];
    }
}
