using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Rekor;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>
/// Real upstream Rekor v1 entries (testdata/rekor-entries/README.md): the proposed entry a client sent is
/// rebuilt from the bundle (signature, key or certificate, digest or DSSE envelope) and canonicalized; the
/// result must equal the logged <c>canonicalizedBody</c> byte for byte, and its leaf hash must be the leaf the
/// log committed to (inclusion proof to the logged root, or the log's signed entry timestamp).
/// </summary>
public sealed class GoldenEntryTests
{
    private const string PublicGoodLogId = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
    private static readonly byte[] PublicGoodKey = Convert.FromBase64String("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var item in LoadCases())
        {
            data.Add(item.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reproduces_the_logged_canonical_body_byte_for_byte(string name)
    {
        var golden = Golden.Load(name);

        var entry = RekorEntries.Canonicalize(golden.Proposed, RekorEntryPolicy.Default);

        Assert.Equal(Encoding.UTF8.GetString(golden.LoggedBody), Encoding.UTF8.GetString(entry.Body));
        Assert.Equal(golden.LoggedBody, entry.Body);
        Assert.Equal((golden.Kind, golden.Version), (entry.Kind, entry.ApiVersion));
        Assert.Equal((golden.Kind, golden.Version), RekorEntries.ReadKind(golden.LoggedBody));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_leaf_hash_is_the_leaf_the_log_committed_to(string name)
    {
        var golden = Golden.Load(name);

        var entry = RekorEntries.Canonicalize(golden.Proposed, RekorEntryPolicy.Default);

        Assert.Equal(Rfc6962.HashLeaf(golden.LoggedBody), entry.LeafHash);
        var checkedSomething = false;
        if (golden.Proof is { } proof)
        {
            ProofVerifier.VerifyInclusion(entry.LeafHash, proof.Index, proof.Size, proof.Hashes, proof.Root);
            checkedSomething = true;
        }

        if (golden.Set is { } set && set.LogId == PublicGoodLogId)
        {
            var payload = SignedEntryTimestamp.Payload(Convert.ToBase64String(entry.Body), set.IntegratedTime, set.LogId, set.LogIndex);
            Assert.True(SignedEntryTimestamp.Verify(payload, set.Signature, PublicGoodKey));
            checkedSomething = true;
        }

        Assert.True(checkedSomething, "neither an inclusion proof nor a public-good SET to check the leaf against");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_canonicalization_gives_the_same_leaf(string name)
    {
        var golden = Golden.Load(name);

        var entry = RekorEntries.Canonicalize(golden.Proposed, RekorEntryPolicy.Search);

        Assert.Equal(golden.LoggedBody, entry.Body);
    }

    [Fact]
    public void The_npm_provenance_entry_has_the_uuid_published_for_it()
    {
        var entry = RekorEntries.Canonicalize(Golden.Load("intoto-sigstore-js-2.0.0-provenance").Proposed, RekorEntryPolicy.Default);

        Assert.Equal("83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", Convert.ToHexStringLower(entry.LeafHash));
        Assert.Equal("24296fb24b8ad77a83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", RekorLogEntry.EntryId(2605736670972794746, entry.LeafHash));
        Assert.NotNull(entry.Attestation);
    }

    [Fact]
    public void Hashedrekord_index_keys_are_the_key_hash_the_san_subjects_and_the_digest()
    {
        var golden = Golden.Load("hashedrekord-othername");
        var entry = RekorEntries.Canonicalize(golden.Proposed, RekorEntryPolicy.Default);
        using var body = JsonDocument.Parse(golden.LoggedBody);
        var spec = body.RootElement.GetProperty("spec");
        var pem = Convert.FromBase64String(spec.GetProperty("signature").GetProperty("publicKey").GetProperty("content").GetString()!);
        var digest = spec.GetProperty("data").GetProperty("hash").GetProperty("value").GetString()!;

        Assert.Equal(
            [Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(pem)), "foo!oidc.local", "sha256:" + digest],
            entry.IndexKeys);
        Assert.Null(entry.Attestation);
    }

    [Fact]
    public void Dsse_index_keys_include_the_in_toto_subjects()
    {
        var golden = Golden.Load("dsse-conformance-intoto-in-dsse-v3");
        var entry = RekorEntries.Canonicalize(golden.Proposed, RekorEntryPolicy.Default);
        using var body = JsonDocument.Parse(golden.LoggedBody);
        var spec = body.RootElement.GetProperty("spec");
        var verifier = Convert.FromBase64String(spec.GetProperty("signatures")[0].GetProperty("verifier").GetString()!);

        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(verifier)), entry.IndexKeys[0]);
        Assert.Contains("sha256:" + spec.GetProperty("payloadHash").GetProperty("value").GetString(), entry.IndexKeys);
        Assert.Contains("sha256:" + spec.GetProperty("envelopeHash").GetProperty("value").GetString(), entry.IndexKeys);
        Assert.Contains(entry.IndexKeys, k => k.StartsWith("sha256:", StringComparison.Ordinal) && k.Length == 71);
        Assert.All(entry.IndexKeys, k => Assert.Equal(k.ToLowerInvariant(), k));
    }

    [Fact]
    public void Intoto_0_0_1_keeps_the_attestation_and_indexes_the_statement_subject()
    {
        var golden = Golden.Load("intoto-0.0.1-cosign-zlabjp");
        var entry = RekorEntries.Canonicalize(golden.Proposed, RekorEntryPolicy.Default);

        Assert.Contains("sha256:f8cf8a16b23744aa2ff562b4251c026f2218f9871b7b2834d39d8baba9778e4b", entry.IndexKeys);
        Assert.Contains("sha256:3dbd76ff6dc789a8bfd7b3303b15dd6fbac052af442f830b2eb527ab26976cf3", entry.IndexKeys);
        Assert.Contains("sha1:b24673de2d8a1f1ae5dd4b5a74b6b4ec2e4f88de", entry.IndexKeys);
        Assert.StartsWith("{\"_type\":\"https://in-toto.io/Statement/v0.1\"", Encoding.UTF8.GetString(entry.Attestation!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hashedrekord-othername")]
    [InlineData("dsse-sigstore-js-22797666")]
    [InlineData("intoto-0.0.1-cosign-zlabjp")]
    public void Keys_are_re_encoded_however_the_client_wrote_the_pem(string name)
    {
        var golden = Golden.Load(name);
        foreach (var style in new[] { PemStyle.Go, PemStyle.NoFinalNewline, PemStyle.Unusual })
        {
            var entry = RekorEntries.Canonicalize(Golden.Load(name, style).Proposed, RekorEntryPolicy.Default);
            Assert.Equal(golden.LoggedBody, entry.Body);
        }
    }

    internal static IEnumerable<JsonElement> LoadCases()
    {
        using var document = JsonDocument.Parse(TestData.ReadBytes("rekor-entries", "cases.json"));
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    internal enum PemStyle
    {
        Go,
        NoFinalNewline,
        Unusual,
    }

    internal sealed record InclusionProof(ulong Index, ulong Size, byte[][] Hashes, byte[] Root);

    internal sealed record Promise(string LogId, long LogIndex, long IntegratedTime, byte[] Signature);

    /// <summary>One golden case: the proposed entry rebuilt from upstream material, and what the log stored.</summary>
    internal sealed record Golden(string Kind, string Version, byte[] Proposed, byte[] LoggedBody, InclusionProof? Proof, Promise? Set)
    {
        public static Golden Load(string name, PemStyle? style = null)
        {
            var item = LoadCases().Single(c => c.GetProperty("name").GetString() == name);
            var kind = item.GetProperty("kind").GetString()!;
            return kind == "intoto-0.0.1" ? LoadCosign(item, style) : LoadBundle(item, kind, style);
        }

        private static Golden LoadBundle(JsonElement item, string kind, PemStyle? style)
        {
            using var bundle = TestData.ReadJson("rekor-entries", item.GetProperty("bundle").GetString()!);
            var root = bundle.RootElement;
            var material = root.GetProperty("verificationMaterial");
            var tlog = material.GetProperty("tlogEntries")[0];
            var logged = tlog.GetProperty("canonicalizedBody").GetBytesFromBase64();
            var version = tlog.GetProperty("kindVersion").GetProperty("version").GetString()!;
            using var loggedJson = JsonDocument.Parse(logged);
            var loggedSpec = loggedJson.RootElement.GetProperty("spec");

            var publicKeyFile = item.TryGetProperty("publicKeyFile", out var keyFile) ? TestData.ReadText("rekor-entries", keyFile.GetString()!) : null;
            var certificate = LeafCertificate(material);
            string Pem(PemStyle fallback) => publicKeyFile is not null && style is null
                ? publicKeyFile
                : publicKeyFile is not null
                    ? Styled(GoPem.PublicKeyType, GoPem.DecodePublicKey(publicKeyFile), style!.Value)
                    : Styled(GoPem.CertificateType, certificate!, style ?? fallback);

            JsonObject proposed;
            switch (kind)
            {
                case "hashedrekord":
                    var message = root.GetProperty("messageSignature");
                    var digest = message.GetProperty("messageDigest");
                    var algorithm = digest.GetProperty("algorithm").GetString() switch
                    {
                        "SHA2_384" => "sha384",
                        "SHA2_512" => "sha512",
                        _ => "sha256",
                    };
                    proposed = ProposedEntries.HashedRekord(
                        message.GetProperty("signature").GetBytesFromBase64(),
                        Pem(PemStyle.Unusual),
                        algorithm,
                        Convert.ToHexStringLower(digest.GetProperty("digest").GetBytesFromBase64()));
                    break;
                case "dsse":
                    var envelope = root.GetProperty("dsseEnvelope");
                    var fields = item.GetProperty("envelopeSignatureFields").EnumerateArray().Select(f => f.GetString()).ToList();
                    var envelopeJson = ProposedEntries.EnvelopeJson(
                        envelope.GetProperty("payloadType").GetString()!,
                        envelope.GetProperty("payload").GetBytesFromBase64(),
                        envelope.GetProperty("signatures").EnumerateArray().Select(s => (
                            s.GetProperty("sig").GetBytesFromBase64(),
                            fields.Contains("keyid") ? (s.TryGetProperty("keyid", out var id) ? id.GetString() : string.Empty) : null)));
                    proposed = ProposedEntries.Dsse(envelopeJson, Pem(PemStyle.Unusual));
                    break;
                default:
                    var dsse = root.GetProperty("dsseEnvelope");
                    var pemStyle = item.TryGetProperty("pemStyle", out var s2) && s2.GetString() == "no-final-newline" ? PemStyle.NoFinalNewline : PemStyle.Go;
                    var pem = Pem(pemStyle);
                    var signatures = dsse.GetProperty("signatures").EnumerateArray()
                        .Select(s => (s.GetProperty("sig").GetString()!, pem, s.TryGetProperty("keyid", out var id) ? id.GetString()! : string.Empty))
                        .ToList();
                    var payloadType = dsse.GetProperty("payloadType").GetString()!;
                    var payload = dsse.GetProperty("payload").GetString()!;
                    var loggedHash = loggedSpec.GetProperty("content").GetProperty("hash").GetProperty("value").GetString()!;
                    if (item.GetProperty("clientHash").GetString() == "sigstore-js")
                    {
                        // The client hash is reproduced, not copied from the log.
                        Assert.Equal(loggedHash, ProposedEntries.SigstoreJsHash(payloadType, payload, signatures));
                        loggedHash = ProposedEntries.SigstoreJsHash(payloadType, payload, signatures);
                    }

                    proposed = ProposedEntries.IntotoV002(payloadType, payload, signatures, loggedHash);
                    break;
            }

            return new Golden(
                tlog.GetProperty("kindVersion").GetProperty("kind").GetString()!,
                version,
                ProposedEntries.Bytes(proposed),
                logged,
                ProofOf(tlog),
                PromiseOf(tlog));
        }

        private static Golden LoadCosign(JsonElement item, PemStyle? style)
        {
            using var rekorBundle = TestData.ReadJson("rekor-entries", item.GetProperty("rekorBundle").GetString()!);
            var payload = rekorBundle.RootElement.GetProperty("Payload");
            var logged = Convert.FromBase64String(payload.GetProperty("body").GetString()!);
            var envelope = Encoding.UTF8.GetString(TestData.ReadBytes("rekor-entries", item.GetProperty("envelopeFile").GetString()!));
            var pem = TestData.ReadText("rekor-entries", item.GetProperty("publicKeyFile").GetString()!);
            if (style is { } s)
            {
                pem = Styled(GoPem.CertificateType, GoPem.DecodeCertificates(pem)[0], s);
            }

            var set = new Promise(
                payload.GetProperty("logID").GetString()!,
                payload.GetProperty("logIndex").GetInt64(),
                payload.GetProperty("integratedTime").GetInt64(),
                Convert.FromBase64String(rekorBundle.RootElement.GetProperty("SignedEntryTimestamp").GetString()!));
            return new Golden("intoto", "0.0.1", ProposedEntries.Bytes(ProposedEntries.IntotoV001(envelope, pem)), logged, null, set);
        }

        private static byte[]? LeafCertificate(JsonElement material)
        {
            if (material.TryGetProperty("x509CertificateChain", out var chain))
            {
                return chain.GetProperty("certificates")[0].GetProperty("rawBytes").GetBytesFromBase64();
            }

            return material.TryGetProperty("certificate", out var certificate) ? certificate.GetProperty("rawBytes").GetBytesFromBase64() : null;
        }

        private static string Styled(string type, byte[] der, PemStyle style) => style switch
        {
            PemStyle.Go => GoPem.Encode(type, der),
            PemStyle.NoFinalNewline => GoPem.Encode(type, der).TrimEnd('\n'),
            _ => ProposedEntries.UnusualPem(type, der),
        };

        private static InclusionProof? ProofOf(JsonElement tlog)
        {
            if (!tlog.TryGetProperty("inclusionProof", out var proof) || proof.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new InclusionProof(
                ulong.Parse(proof.GetProperty("logIndex").GetString()!, CultureInfo.InvariantCulture),
                ulong.Parse(proof.GetProperty("treeSize").GetString()!, CultureInfo.InvariantCulture),
                [.. proof.GetProperty("hashes").EnumerateArray().Select(h => h.GetBytesFromBase64())],
                proof.GetProperty("rootHash").GetBytesFromBase64());
        }

        private static Promise? PromiseOf(JsonElement tlog)
        {
            if (!tlog.TryGetProperty("inclusionPromise", out var promise) || promise.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new Promise(
                Convert.ToHexStringLower(tlog.GetProperty("logId").GetProperty("keyId").GetBytesFromBase64()),
                long.Parse(tlog.GetProperty("logIndex").GetString()!, CultureInfo.InvariantCulture),
                long.Parse(tlog.GetProperty("integratedTime").GetString()!, CultureInfo.InvariantCulture),
                promise.GetProperty("signedEntryTimestamp").GetBytesFromBase64());
        }
    }
}
