using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Json;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>Entries signed here with every key type upstream allows, checked against hand-built canonical bodies.</summary>
public sealed class GeneratedEntryTests
{
    private static readonly byte[] Artifact = Encoding.UTF8.GetBytes("hello, private sigstore\n");

    public static TheoryData<SignerKind, string> AllowedKeyTypes => new()
    {
        { SignerKind.P256, "sha256" },
        { SignerKind.P384, "sha384" },
        { SignerKind.P521, "sha512" },
        { SignerKind.Rsa2048, "sha256" },
        { SignerKind.Rsa3072, "sha256" },
        { SignerKind.Rsa4096, "sha256" },
        { SignerKind.Ed25519, "sha512" },
    };

    [Theory]
    [MemberData(nameof(AllowedKeyTypes))]
    public void Hashedrekord_with_a_public_key(SignerKind kind, string algorithm)
    {
        var signer = TestSigner.Of(kind);
        var (digest, hash) = Digest(algorithm);
        var signature = signer.SignDigest(digest, hash);

        // The client's PEM is unusual; the body carries Go's PEM.
        var proposed = ProposedEntries.HashedRekord(signature, ProposedEntries.UnusualPem("PUBLIC KEY", signer.SubjectPublicKeyInfo), algorithm, Convert.ToHexStringLower(digest));
        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(proposed), RekorEntryPolicy.Default);

        var expected = HashedRekordBody(signature, signer.PublicKeyPem, algorithm, Convert.ToHexStringLower(digest));
        Assert.Equal(expected, Encoding.UTF8.GetString(entry.Body));
        Assert.Equal(Rfc6962.HashLeaf(entry.Body), entry.LeafHash);
        Assert.Equal(
            [Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(signer.PublicKeyPem))), $"{algorithm}:{Convert.ToHexStringLower(digest)}"],
            entry.IndexKeys);
        Assert.Equal(("hashedrekord", "0.0.1"), (entry.Kind, entry.ApiVersion));
    }

    [Theory]
    [MemberData(nameof(AllowedKeyTypes))]
    public void Hashedrekord_with_a_certificate(SignerKind kind, string algorithm)
    {
        var signer = TestSigner.Of(kind);
        var certificate = TestCertificates.SelfSigned(signer, "Signer@Example.com");
        var (digest, hash) = Digest(algorithm);
        var signature = signer.SignDigest(digest, hash);

        var proposed = ProposedEntries.HashedRekord(signature, ProposedEntries.UnusualPem("CERTIFICATE", certificate), algorithm, Convert.ToHexStringLower(digest));
        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(proposed), RekorEntryPolicy.Default);

        Assert.Equal(HashedRekordBody(signature, TestCertificates.Pem(certificate), algorithm, Convert.ToHexStringLower(digest)), Encoding.UTF8.GetString(entry.Body));
        Assert.Contains("signer@example.com", entry.IndexKeys);
    }

    [Fact]
    public void Hashedrekord_with_a_verified_certificate_chain_keeps_the_whole_chain()
    {
        var rootKey = TestSigner.Of(SignerKind.P384);
        var intermediateKey = TestSigner.Of(SignerKind.Rsa2048);
        var leafKey = TestSigner.Of(SignerKind.P256);
        var root = TestCertificates.Ca("CN=root", rootKey);
        var intermediate = TestCertificates.Ca("CN=intermediate", intermediateKey, ("CN=root", rootKey), pathLength: 0);
        var leaf = TestCertificates.Leaf(leafKey, ("CN=intermediate", intermediateKey));
        var (digest, hash) = Digest("sha256");
        var signature = leafKey.SignDigest(digest, hash);

        var chainPem = string.Concat(ProposedEntries.UnusualPem("CERTIFICATE", leaf), "\n", ProposedEntries.UnusualPem("CERTIFICATE", intermediate), "\n", ProposedEntries.UnusualPem("CERTIFICATE", root));
        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.HashedRekord(signature, chainPem, "sha256", Convert.ToHexStringLower(digest))), RekorEntryPolicy.Default);

        Assert.Equal(HashedRekordBody(signature, TestCertificates.Pem(leaf, intermediate, root), "sha256", Convert.ToHexStringLower(digest)), Encoding.UTF8.GetString(entry.Body));
        Assert.Contains("signer@example.com", entry.IndexKeys);
    }

    [Fact]
    public void Hashedrekord_accepts_an_ieee_p1363_ecdsa_signature_and_stores_it_as_given()
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var (digest, _) = Digest("sha256");
        var signature = signer.Ecdsa.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.HashedRekord(signature, signer.PublicKeyPem, "sha256", Convert.ToHexStringLower(digest))), RekorEntryPolicy.Default);

        Assert.Equal(HashedRekordBody(signature, signer.PublicKeyPem, "sha256", Convert.ToHexStringLower(digest)), Encoding.UTF8.GetString(entry.Body));
    }

    [Fact]
    public void Hashedrekord_keeps_the_digest_as_given_and_lower_cases_only_the_index_key()
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var (digest, hash) = Digest("sha256");
        var upper = Convert.ToHexString(digest);

        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.HashedRekord(signer.SignDigest(digest, hash), signer.PublicKeyPem, "sha256", upper)), RekorEntryPolicy.Default);

        Assert.Contains($"\"value\":\"{upper}\"", Encoding.UTF8.GetString(entry.Body), StringComparison.Ordinal);
        Assert.Contains("sha256:" + upper.ToLowerInvariant(), entry.IndexKeys);
    }

    [Fact]
    public void Algorithm_policy_is_configurable_like_upstream_client_signing_algorithms()
    {
        var signer = TestSigner.Of(SignerKind.P384);
        var (digest, hash) = Digest("sha256");
        var proposed = ProposedEntries.Bytes(ProposedEntries.HashedRekord(signer.SignDigest(digest, hash), signer.PublicKeyPem, "sha256", Convert.ToHexStringLower(digest)));

        var rejected = Assert.Throws<RekorEntryException>(() => RekorEntries.Canonicalize(proposed, RekorEntryPolicy.Default));
        Assert.Equal("error processing entry: entry algorithms are not allowed", rejected.Reason);

        var policy = new RekorEntryPolicy { AllowedSigningAlgorithms = new HashSet<PublicKeyDetails> { PublicKeyDetails.PkixEcdsaP384Sha256 } };
        Assert.NotEmpty(RekorEntries.Canonicalize(proposed, policy).Body);

        // Searches are not subject to the algorithm policy (upstream checks it only in createLogEntry).
        Assert.NotEmpty(RekorEntries.Canonicalize(proposed, RekorEntryPolicy.Search).Body);
        Assert.Throws<ArgumentException>(() => new RekorEntryPolicy { AllowedSigningAlgorithms = new HashSet<PublicKeyDetails> { PublicKeyDetails.PkixRsaPkcs1v5 } });
    }

    [Theory]
    [InlineData(SignerKind.P256)]
    [InlineData(SignerKind.P384)]
    [InlineData(SignerKind.Rsa3072)]
    [InlineData(SignerKind.Ed25519)]
    public void Dsse_verifies_every_signature_sorts_them_and_hashes_the_envelope_as_sent(SignerKind kind)
    {
        var first = TestSigner.Of(kind);
        var second = TestSigner.Of(SignerKind.P521);
        var payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":\"ABCD\"}}],\"predicateType\":\"x\",\"predicate\":{\"materials\":[{\"digest\":{\"sha1\":\"beef\"}}]}}");
        const string PayloadType = "application/vnd.in-toto+json";
        var pae = ProposedEntries.Pae(PayloadType, payload);
        var sig1 = first.SignMessage(pae);
        var sig2 = second.SignMessage(pae);
        var envelope = ProposedEntries.EnvelopeJson(PayloadType, payload, [(sig1, null), (sig2, "ignored-key-id")]);
        var firstCertificate = TestCertificates.SelfSigned(first, "first@example.com");

        var proposed = ProposedEntries.Dsse(envelope, ProposedEntries.UnusualPem("CERTIFICATE", firstCertificate), second.PublicKeyPem);
        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(proposed), RekorEntryPolicy.Default);

        var signatures = new[] { (Convert.ToBase64String(sig1), TestCertificates.Pem(firstCertificate)), (Convert.ToBase64String(sig2), second.PublicKeyPem) }
            .OrderBy(s => s.Item1, StringComparer.Ordinal)
            .Select(s => new JsonObject { ["signature"] = s.Item1, ["verifier"] = ProposedEntries.Base64(s.Item2) });
        var expected = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["envelopeHash"] = Sha256Hash(Encoding.UTF8.GetBytes(envelope)),
                ["payloadHash"] = Sha256Hash(payload),
                ["signatures"] = new JsonArray([.. signatures]),
            },
        };
        Assert.Equal(Encoding.UTF8.GetString(CanonicalJson.Serialize(expected)), Encoding.UTF8.GetString(entry.Body));
        Assert.Contains("first@example.com", entry.IndexKeys);
        Assert.Contains("sha256:abcd", entry.IndexKeys);
        Assert.Contains("sha1:beef", entry.IndexKeys);
        Assert.Null(entry.Attestation);
    }

    [Fact]
    public void Dsse_accepts_url_safe_base64_in_the_envelope_as_go_securesystemslib_does()
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var payload = new byte[] { 0xfb, 0xff, 0xfe, 0x01 };
        var signature = signer.SignMessage(ProposedEntries.Pae("text/plain", payload));
        var urlSafe = Convert.ToBase64String(signature).Replace('+', '-').Replace('/', '_');
        var envelope = $"{{\"payload\":\"{Convert.ToBase64String(payload).Replace('+', '-').Replace('/', '_')}\",\"payloadType\":\"text/plain\",\"signatures\":[{{\"sig\":\"{urlSafe}\"}}]}}";

        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.Dsse(envelope, signer.PublicKeyPem)), RekorEntryPolicy.Default);

        Assert.Contains($"\"signature\":\"{urlSafe}\"", Encoding.UTF8.GetString(entry.Body), StringComparison.Ordinal);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(payload)), entry.IndexKeys);
    }

    [Fact]
    public void Dsse_canonical_form_is_accepted_for_search_only()
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var payload = Encoding.UTF8.GetBytes("payload");
        var signature = signer.SignMessage(ProposedEntries.Pae("text/plain", payload));
        var envelope = ProposedEntries.EnvelopeJson("text/plain", payload, [(signature, null)]);
        var inserted = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.Dsse(envelope, signer.PublicKeyPem)), RekorEntryPolicy.Default);

        // The stored body, proposed again, is what cosign searches with.
        var stored = JsonNode.Parse(inserted.Body)!;
        var search = RekorEntries.Canonicalize(ProposedEntries.Bytes(stored), RekorEntryPolicy.Search);
        Assert.Equal(inserted.Body, search.Body);
        Assert.Equal(inserted.LeafHash, search.LeafHash);

        var rejected = Assert.Throws<RekorEntryException>(() => RekorEntries.Canonicalize(ProposedEntries.Bytes(stored), RekorEntryPolicy.Default));
        Assert.Equal("error processing entry: entry not insertable into log: missing proposed content", rejected.Reason);
    }

    [Theory]
    [InlineData(SignerKind.P256)]
    [InlineData(SignerKind.Rsa2048)]
    [InlineData(SignerKind.Ed25519)]
    public void Intoto_0_0_2_keeps_the_client_key_bytes_and_hash_and_recomputes_the_payload_hash(SignerKind kind)
    {
        var signer = TestSigner.Of(kind);
        var payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"pkg\",\"digest\":{\"sha512\":\"00FF\"}}]}");
        const string PayloadType = "application/vnd.in-toto+json";
        var signature = Convert.ToBase64String(signer.SignMessage(ProposedEntries.Pae(PayloadType, payload)));
        var pem = signer.PublicKeyPem.TrimEnd('\n');

        var proposed = ProposedEntries.IntotoV002(PayloadType, Convert.ToBase64String(payload), [(signature, pem, "kid")], payloadHash: new string('0', 64));
        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(proposed), RekorEntryPolicy.Default);

        var expected = new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "intoto",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["envelope"] = new JsonObject
                    {
                        ["payloadType"] = PayloadType,
                        ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = "kid", ["publicKey"] = ProposedEntries.Base64(pem), ["sig"] = ProposedEntries.Base64(signature) }),
                    },
                    ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = ProposedEntries.SigstoreJsHash(PayloadType, Convert.ToBase64String(payload), [(signature, pem, "kid")]) },
                    ["payloadHash"] = Sha256Hash(payload),
                },
            },
        };
        Assert.Equal(Encoding.UTF8.GetString(CanonicalJson.Serialize(expected)), Encoding.UTF8.GetString(entry.Body));
        Assert.Equal(payload, entry.Attestation);
        Assert.Contains("sha512:00ff", entry.IndexKeys);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(signer.PublicKeyPem))), entry.IndexKeys);
    }

    [Theory]
    [InlineData(SignerKind.P256, true)]
    [InlineData(SignerKind.Rsa2048, true)]
    [InlineData(SignerKind.Ed25519, true)]
    [InlineData(SignerKind.P384, false)]
    public void Intoto_0_0_1_verifies_with_the_key_and_honours_ssh_fingerprint_key_ids(SignerKind kind, bool useFingerprint)
    {
        var signer = TestSigner.Of(kind);
        var payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[]}");
        const string PayloadType = "application/vnd.in-toto+json";
        var signature = signer.SignMessage(ProposedEntries.Pae(PayloadType, payload));
        var keyId = useFingerprint ? SshFingerprint(signer) : string.Empty;
        var envelope = ProposedEntries.EnvelopeJson(PayloadType, payload, [(signature, keyId)]);

        var entry = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.IntotoV001(envelope, signer.PublicKeyPem)), RekorEntryPolicy.Default);

        var expected = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "intoto",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject { ["hash"] = Sha256Hash(Encoding.UTF8.GetBytes(envelope)), ["payloadHash"] = Sha256Hash(payload) },
                ["publicKey"] = ProposedEntries.Base64(signer.PublicKeyPem),
            },
        };
        Assert.Equal(Encoding.UTF8.GetString(CanonicalJson.Serialize(expected)), Encoding.UTF8.GetString(entry.Body));
        Assert.Equal(payload, entry.Attestation);
    }

    [Fact]
    public void Intoto_0_0_1_stored_form_is_accepted_for_search()
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var payload = Encoding.UTF8.GetBytes("{}");
        var envelope = ProposedEntries.EnvelopeJson("application/vnd.in-toto+json", payload, [(signer.SignMessage(ProposedEntries.Pae("application/vnd.in-toto+json", payload)), null)]);
        var inserted = RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.IntotoV001(envelope, signer.PublicKeyPem)), RekorEntryPolicy.Default);

        var search = RekorEntries.Canonicalize(inserted.Body, RekorEntryPolicy.Search);

        Assert.Equal(inserted.Body, search.Body);
        Assert.Null(search.Attestation);
    }

    [Fact]
    public void Read_kind_reports_kind_and_version_of_a_stored_body()
    {
        Assert.Equal(("dsse", "0.0.1"), RekorEntries.ReadKind("{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{}}"u8));
        Assert.Equal("entry body is not a JSON object", Assert.Throws<RekorEntryException>(() => RekorEntries.ReadKind("[1]"u8)).Reason);
        Assert.Equal("entry body has no string kind and apiVersion", Assert.Throws<RekorEntryException>(() => RekorEntries.ReadKind("{\"kind\":1}"u8)).Reason);
    }

    internal static string HashedRekordBody(byte[] signature, string pem, string algorithm, string value) =>
        Encoding.UTF8.GetString(CanonicalJson.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = algorithm, ["value"] = value } },
                ["signature"] = new JsonObject { ["content"] = Convert.ToBase64String(signature), ["publicKey"] = new JsonObject { ["content"] = ProposedEntries.Base64(pem) } },
            },
        }));

    internal static (byte[] Digest, HashAlgorithmName Hash) Digest(string algorithm) => algorithm switch
    {
        "sha384" => (SHA384.HashData(Artifact), HashAlgorithmName.SHA384),
        "sha512" => (SHA512.HashData(Artifact), HashAlgorithmName.SHA512),
        _ => (SHA256.HashData(Artifact), HashAlgorithmName.SHA256),
    };

    private static JsonObject Sha256Hash(byte[] data) => new() { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(data)) };

    /// <summary>OpenSSH's SHA-256 fingerprint, computed independently of the code under test.</summary>
    internal static string SshFingerprint(TestSigner signer)
    {
        using var wire = new MemoryStream();
        void Write(ReadOnlySpan<byte> value)
        {
            Span<byte> length = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, value.Length);
            wire.Write(length);
            wire.Write(value);
        }

        switch (signer.Kind)
        {
            case SignerKind.Ed25519:
                Write("ssh-ed25519"u8);
                Write(signer.SubjectPublicKeyInfo.AsSpan(12));
                break;
            case SignerKind.P256:
                var point = signer.Ecdsa.ExportParameters(false).Q;
                Write("ecdsa-sha2-nistp256"u8);
                Write("nistp256"u8);
                Write([0x04, .. point.X!, .. point.Y!]);
                break;
            default:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(signer.SubjectPublicKeyInfo, out _);
                    var parameters = rsa.ExportParameters(false);
                    Write("ssh-rsa"u8);
                    Write(parameters.Exponent);
                    Write([0, .. parameters.Modulus!]);
                }

                break;
        }

        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(wire.ToArray())).TrimEnd('=');
    }
}
