using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using DerCertificate = PrivateSigstore.Core.Certificates.DerCertificate;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Rekor.Entries.V2;

/// <summary>
/// Rekor v2 entry admission as rekor-tiles does it (<c>internal/server/service.go CreateEntry</c>,
/// <c>pkg/types/hashedrekord/hashedrekord.go ToLogEntry</c>, and dsse 0.0.2 from <c>pkg/types/dsse/dsse.go</c> before its
/// removal in fa390b1): the protojson <c>CreateEntryRequest</c> is parsed strictly, the verifier parsed, the algorithm
/// checked against the allowed set, the signature verified, and the <c>Entry</c> built and serialized exactly as
/// <c>jsoncanonicalizer.Transform(protojson.Marshal(entry))</c> writes it.
/// </summary>
public static class RekorV2Entries
{
    /// <summary>The kind of hashedrekord entries.</summary>
    public const string HashedRekordKind = "hashedrekord";

    /// <summary>The kind of dsse entries.</summary>
    public const string DsseKind = "dsse";

    /// <summary>The API version of both v2 kinds.</summary>
    public const string ApiVersion = "0.0.2";

    /// <summary>Upstream's answer to anything but a hashedrekord request (and to DSSE since #744).</summary>
    public const string InvalidTypeMessage = "invalid type, must be hashedrekord";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>
    /// Validates a <c>CreateEntryRequest</c> (protobuf JSON) and returns the entry as the log stores it: the RFC 8785
    /// canonical JSON of the <c>Entry</c> message, its RFC 6962 leaf hash, kind and version.
    /// </summary>
    /// <exception cref="RekorEntryException">The request is malformed or refused; <see cref="RekorEntryException.HttpStatus"/> is 400.</exception>
    public static CanonicalEntry Canonicalize(ReadOnlyMemory<byte> request, RekorV2EntryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (Core.Json.JsonUnicode.FindInvalidString(request.Span, RekorV2EntryPolicy.MaxJsonDepth) is { } notUnicode)
        {
            throw Refuse("proto: syntax error: " + notUnicode);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(request, new JsonDocumentOptions { MaxDepth = RekorV2EntryPolicy.MaxJsonDepth });
        }
        catch (JsonException e)
        {
            throw Refuse("proto: syntax error: " + FirstLine(e.Message), e);
        }

        using (document)
        {
            Dictionary<string, JsonElement> top;
            try
            {
                top = ProtoJsonReader.Fields(document.RootElement, "dev.sigstore.rekor.v2.CreateEntryRequest",
                    ("hashedRekordRequestV002", "hashed_rekord_request_v002"), ("dsseRequestV002", "dsse_request_v002"));
                if (top.Count > 1)
                {
                    throw new ProtoJsonException("error parsing \"dsseRequestV002\", oneof dev.sigstore.rekor.v2.CreateEntryRequest.spec is already set");
                }
            }
            catch (ProtoJsonException e)
            {
                throw Refuse(e.Message, e);
            }

            if (ProtoJsonReader.Message(top, "hashedRekordRequestV002") is { } hashedRekord)
            {
                return Admit("invalid hashedrekord request", () => HashedRekord(hashedRekord, policy));
            }

            if (ProtoJsonReader.Message(top, "dsseRequestV002") is { } dsse && policy.AcceptDsse)
            {
                return Admit("invalid dsse request", () => Dsse(dsse, policy));
            }

            throw Refuse(InvalidTypeMessage);
        }
    }

    /// <summary>
    /// The canonical body of a hashedrekord 0.0.2 entry from its parts (rekor-tiles <c>hashedrekord.ToEntryHash</c>), as a
    /// verifier that does not trust the stored body rebuilds it; <paramref name="verifierRawBytes"/> is the DER public key or
    /// certificate.
    /// </summary>
    public static byte[] HashedRekordBody(byte[] digest, byte[] signature, byte[] verifierRawBytes, bool isCertificate, PublicKeyDetails keyDetails)
    {
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(verifierRawBytes);
        var (_, hashName) = DetailsOf(keyDetails) ?? throw new ArgumentException($"no digest algorithm for {keyDetails}", nameof(keyDetails));
        var verifier = new Verifier(isCertificate ? null : verifierRawBytes, isCertificate ? verifierRawBytes : null, keyDetails);
        return WriteHashedRekord(hashName, digest, signature, verifier);
    }

    private static CanonicalEntry Admit(string prefix, Func<CanonicalEntry> admit)
    {
        try
        {
            var entry = admit();
            if (entry.Body.Length > RekorV2EntryPolicy.MaxEntryBytes)
            {
                throw Refuse($"invalid entry: the canonical entry is {entry.Body.Length} bytes, more than the log's entry limit of {RekorV2EntryPolicy.MaxEntryBytes}");
            }

            return entry;
        }
        catch (ProtoJsonException e)
        {
            throw Refuse(e.Message, e);
        }
        catch (V2Failure e)
        {
            throw Refuse($"{prefix}: {e.Message}", e);
        }
    }

    private static CanonicalEntry HashedRekord(JsonElement element, RekorV2EntryPolicy policy)
    {
        var fields = ProtoJsonReader.Fields(element, "dev.sigstore.rekor.v2.HashedRekordRequestV002", ("digest", "digest"), ("signature", "signature"));
        var digest = ProtoJsonReader.Bytes(fields, "digest");
        var signature = ProtoJsonReader.Message(fields, "signature") is { } s ? ReadSignature(s) : null;

        // hashedrekord.validate
        if (signature is null || signature.Content.Length == 0) throw new V2Failure("missing signature");
        if (signature.Verifier is null) throw new V2Failure("missing verifier");
        if (digest.Length == 0) throw new V2Failure("missing digest");
        ValidateVerifier(signature.Verifier);

        var key = ParseVerifier(signature.Verifier);
        var (hash, hashName) = CheckAlgorithm(signature.Verifier.KeyDetails, key, policy);
        var expected = PublicKey.HashData(hash, []).Length;
        if (digest.Length != expected)
        {
            throw new V2Failure($"digest length ({digest.Length}) does not match expected size ({expected}) for algorithm {SigstoreVerifier.GoHashName(hash)}");
        }

        if (key.CheckDigest(digest, hash, signature.Content) is { } failure)
        {
            throw new V2Failure("verifying signature: " + failure);
        }

        var body = WriteHashedRekord(hashName, digest, signature.Content, signature.Verifier);
        return new CanonicalEntry(HashedRekordKind, ApiVersion, body, Rfc6962.HashLeaf(body), [], null);
    }

    private static CanonicalEntry Dsse(JsonElement element, RekorV2EntryPolicy policy)
    {
        var fields = ProtoJsonReader.Fields(element, "dev.sigstore.rekor.v2.DSSERequestV002", ("envelope", "envelope"), ("verifiers", "verifiers"));
        var verifiers = new List<Verifier>();
        foreach (var v in ProtoJsonReader.Repeated(fields, "verifiers", RekorV2EntryPolicy.MaxDsseVerifiers))
        {
            verifiers.Add(ReadVerifier(v));
        }

        if (ProtoJsonReader.Message(fields, "envelope") is not { } envelopeElement) throw new V2Failure("missing envelope");
        var envelope = ProtoJsonReader.Fields(envelopeElement, "io.intoto.Envelope", ("payload", "payload"), ("payloadType", "payload_type"), ("signatures", "signatures"));
        var payload = ProtoJsonReader.Bytes(envelope, "payload");
        var payloadType = ProtoJsonReader.String(envelope, "payloadType");
        var signatures = new List<byte[]>();
        foreach (var s in ProtoJsonReader.Repeated(envelope, "signatures", RekorV2EntryPolicy.MaxDsseVerifiers))
        {
            var sig = ProtoJsonReader.Fields(s, "io.intoto.Signature", ("sig", "sig"), ("keyid", "keyid"));
            _ = ProtoJsonReader.String(sig, "keyid");
            signatures.Add(ProtoJsonReader.Bytes(sig, "sig"));
        }

        // dsse.validate
        if (verifiers.Count == 0) throw new V2Failure("missing verifiers");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in verifiers)
        {
            ValidateVerifier(v);
            if (!seen.Add(Convert.ToBase64String(v.PublicKey ?? v.Certificate!))) throw new V2Failure("duplicate verifier");
        }

        if (signatures.Count == 0) throw new V2Failure("envelope missing signatures");
        if (signatures.Exists(s => s.Length == 0)) throw new V2Failure("envelope signature empty");

        // Every verifier's algorithm is checked before any signature (verifyEnvelopeAndSupportedAlgs).
        var keys = new List<(Verifier Verifier, PublicKey Key, HashAlgorithmName Hash)>();
        foreach (var v in verifiers)
        {
            var key = ParseVerifier(v);
            var (hash, _) = CheckAlgorithm(v.KeyDetails, key, policy);
            keys.Add((v, key, hash));
        }

        var pae = DsseEnvelope.PreAuthenticationEncoding(payloadType, payload);
        var unverified = new HashSet<string>(signatures.Select(Convert.ToBase64String), StringComparer.Ordinal);
        var accepted = new SortedDictionary<byte[], Verifier>(ByteOrder.Instance);
        foreach (var (verifier, key, hash) in keys)
        {
            var any = false;
            foreach (var sig in signatures)
            {
                var ok = key.Type == PublicKeyType.Ed25519
                    ? key.VerifyMessage(pae, sig, default)
                    : key.CheckDigest(PublicKey.HashData(hash, pae), hash, sig) is null;
                if (!ok) continue;
                any = true;
                unverified.Remove(Convert.ToBase64String(sig));
                accepted[sig] = verifier;
            }

            if (!any)
            {
                throw new V2Failure("could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1");
            }
        }

        if (unverified.Count > 0) throw new V2Failure("all signatures must have a key that verifies it");

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", ApiVersion);
            w.WriteString("kind", DsseKind);
            w.WriteStartObject("spec");
            w.WriteStartObject("dsseV002");
            w.WriteStartObject("payloadHash");
            w.WriteString("algorithm", "SHA2_256");
            w.WriteBase64String("digest", SHA256.HashData(payload));
            w.WriteEndObject();
            w.WriteStartArray("signatures");
            foreach (var (sig, verifier) in accepted)
            {
                WriteSignature(w, sig, verifier);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        var body = buffer.WrittenSpan.ToArray();
        return new CanonicalEntry(DsseKind, ApiVersion, body, Rfc6962.HashLeaf(body), [], null);
    }

    private static byte[] WriteHashedRekord(string hashName, byte[] digest, byte[] signature, Verifier verifier)
    {
        // Keys in RFC 8785 order (UTF-16 code units); every value is ASCII that JCS writes unescaped.
        var buffer = new ArrayBufferWriter<byte>(256 + ((signature.Length + digest.Length + (verifier.PublicKey ?? verifier.Certificate!).Length) * 4 / 3));
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", ApiVersion);
            w.WriteString("kind", HashedRekordKind);
            w.WriteStartObject("spec");
            w.WriteStartObject("hashedRekordV002");
            w.WriteStartObject("data");
            w.WriteString("algorithm", hashName);
            w.WriteBase64String("digest", digest);
            w.WriteEndObject();
            w.WritePropertyName("signature");
            WriteSignature(w, signature, verifier);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteSignature(Utf8JsonWriter w, byte[] content, Verifier verifier)
    {
        w.WriteStartObject();
        w.WriteBase64String("content", content);
        w.WriteStartObject("verifier");
        if (verifier.KeyDetails != PublicKeyDetails.Unspecified)
        {
            w.WriteString("keyDetails", ProtoJsonReader.Name(verifier.KeyDetails));
        }

        if (verifier.PublicKey is { } spki)
        {
            w.WriteStartObject("publicKey");
            w.WriteBase64String("rawBytes", spki);
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject("x509Certificate");
            w.WriteBase64String("rawBytes", verifier.Certificate!);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static Signature ReadSignature(JsonElement element)
    {
        var fields = ProtoJsonReader.Fields(element, "dev.sigstore.rekor.v2.Signature", ("content", "content"), ("verifier", "verifier"));
        var content = ProtoJsonReader.Bytes(fields, "content");
        var verifier = ProtoJsonReader.Message(fields, "verifier") is { } v ? ReadVerifier(v) : null;
        return new Signature(content, verifier);
    }

    private static Verifier ReadVerifier(JsonElement element)
    {
        var fields = ProtoJsonReader.Fields(element, "dev.sigstore.rekor.v2.Verifier",
            ("publicKey", "public_key"), ("x509Certificate", "x509_certificate"), ("keyDetails", "key_details"));
        if (fields.ContainsKey("publicKey") && fields.ContainsKey("x509Certificate"))
        {
            throw new ProtoJsonException("error parsing \"x509Certificate\", oneof dev.sigstore.rekor.v2.Verifier.verifier is already set");
        }

        byte[]? publicKey = null;
        byte[]? certificate = null;
        if (ProtoJsonReader.Message(fields, "publicKey") is { } pk)
        {
            publicKey = ProtoJsonReader.Bytes(ProtoJsonReader.Fields(pk, "dev.sigstore.rekor.v2.PublicKey", ("rawBytes", "raw_bytes")), "rawBytes");
        }

        if (ProtoJsonReader.Message(fields, "x509Certificate") is { } cert)
        {
            certificate = ProtoJsonReader.Bytes(ProtoJsonReader.Fields(cert, "dev.sigstore.common.v1.X509Certificate", ("rawBytes", "raw_bytes")), "rawBytes");
        }

        return new Verifier(publicKey, certificate, ProtoJsonReader.KeyDetails(fields, "keyDetails"));
    }

    /// <summary><c>pkg/types/verifier Validate</c>.</summary>
    private static void ValidateVerifier(Verifier v)
    {
        if (v.PublicKey is null && v.Certificate is null) throw new V2Failure("invalid verifier: missing signature public key or X.509 certificate");
        if (v.PublicKey is { Length: 0 }) throw new V2Failure("invalid verifier: missing public key raw bytes");
        if (v.Certificate is { Length: 0 }) throw new V2Failure("invalid verifier: missing X.509 certificate raw bytes");
    }

    private static PublicKey ParseVerifier(Verifier v)
    {
        try
        {
            if (v.PublicKey is { } spki)
            {
                return SigstoreVerifier.Parse(spki);
            }

            DerCertificate certificate;
            try
            {
                certificate = DerCertificate.Parse(v.Certificate!);
            }
            catch (WireFormatException e)
            {
                throw new V2Failure("parsing verifier: parsing certificate: x509: " + e.Reason);
            }

            return SigstoreVerifier.Parse(certificate.SubjectPublicKeyInfo);
        }
        catch (EntryFailure e)
        {
            throw new V2Failure("parsing verifier: " + e.Message);
        }
    }

    /// <summary>
    /// <c>verifySupportedAlgorithm</c>: the key details must name a signing algorithm with a digest, the (key, digest)
    /// pair must be allowed, and (stricter than upstream, which checks only the pair) the key must be the kind the key
    /// details name, because verifiers rebuild the key details from the key (sigstore-go <c>reconstructV2EntryHash</c>).
    /// </summary>
    private static (HashAlgorithmName Hash, string HashName) CheckAlgorithm(PublicKeyDetails details, PublicKey key, RekorV2EntryPolicy policy)
    {
        if (details == PublicKeyDetails.PkixEd25519)
        {
            throw new V2Failure("unsupported signing algorithm PKIX_ED25519 for hashedrekord: no associated digest algorithm (use PKIX_ED25519_PH)");
        }

        if (DetailsOf(details) is not { } algorithm || !AlgorithmRegistry.IsRegistered(details))
        {
            throw new V2Failure($"getting key algorithm details: signing algorithm not supported: {ProtoJsonReader.Name(details)}");
        }

        if (!policy.AllowedSigningAlgorithms.Contains(details) || !AlgorithmRegistry.IsPermitted(policy.AllowedSigningAlgorithms, key, algorithm.Hash))
        {
            throw new V2Failure(Unsupported(key, algorithm.Hash));
        }

        var matches = details switch
        {
            PublicKeyDetails.PkixEcdsaP256Sha256 => key.Type == PublicKeyType.Ecdsa && key.CurveOid == SigningAlgorithms.P256Oid,
            PublicKeyDetails.PkixEcdsaP384Sha384 => key.Type == PublicKeyType.Ecdsa && key.CurveOid == SigningAlgorithms.P384Oid,
            PublicKeyDetails.PkixEcdsaP521Sha512 => key.Type == PublicKeyType.Ecdsa && key.CurveOid == SigningAlgorithms.P521Oid,
            PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256 => key.Type == PublicKeyType.Rsa && key.SizeBits == 2048,
            PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256 => key.Type == PublicKeyType.Rsa && key.SizeBits == 3072,
            PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256 => key.Type == PublicKeyType.Rsa && key.SizeBits == 4096,
            PublicKeyDetails.PkixEd25519Ph => key.Type == PublicKeyType.Ed25519,
            _ => false,
        };
        if (!matches)
        {
            throw new V2Failure($"key details {ProtoJsonReader.Name(details)} do not match the verifier's {Describe(key)} key");
        }

        return algorithm;
    }

    private static (HashAlgorithmName Hash, string HashName)? DetailsOf(PublicKeyDetails details) => details switch
    {
        PublicKeyDetails.PkixEcdsaP256Sha256 or PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256 or PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256
            or PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256 or PublicKeyDetails.PkixRsaPss_2048_Sha256 or PublicKeyDetails.PkixRsaPss_3072_Sha256
            or PublicKeyDetails.PkixRsaPss_4096_Sha256 or PublicKeyDetails.PkixEcdsaP384Sha256 or PublicKeyDetails.PkixEcdsaP521Sha256 => (HashAlgorithmName.SHA256, "SHA2_256"),
        PublicKeyDetails.PkixEcdsaP384Sha384 => (HashAlgorithmName.SHA384, "SHA2_384"),
        PublicKeyDetails.PkixEcdsaP521Sha512 or PublicKeyDetails.PkixEd25519Ph => (HashAlgorithmName.SHA512, "SHA2_512"),
        _ => null,
    };

    /// <summary><c>algorithmregistry.UnsupportedAlgorithm.Error()</c>.</summary>
    private static string Unsupported(PublicKey key, HashAlgorithmName hash) => key.Type switch
    {
        PublicKeyType.Rsa => $"unsupported entry algorithm for RSA key, size {key.SizeBits}, digest {SigstoreVerifier.GoHashName(hash)}",
        PublicKeyType.Ecdsa => $"unsupported entry algorithm for ECDSA key, curve {CurveName(key.CurveOid)}, digest {SigstoreVerifier.GoHashName(hash)}",
        _ => $"unsupported entry algorithm for Ed25519 key, digest {SigstoreVerifier.GoHashName(hash)}",
    };

    private static string Describe(PublicKey key) => key.Type switch
    {
        PublicKeyType.Rsa => $"RSA {key.SizeBits}-bit",
        PublicKeyType.Ecdsa => $"ECDSA {CurveName(key.CurveOid)}",
        _ => "Ed25519",
    };

    private static string CurveName(string? oid) => oid switch
    {
        SigningAlgorithms.P256Oid => "P-256",
        SigningAlgorithms.P384Oid => "P-384",
        SigningAlgorithms.P521Oid => "P-521",
        "1.3.132.0.33" => "P-224",
        _ => oid ?? "unknown",
    };

    private static RekorEntryException Refuse(string message, Exception? inner = null) => new(message, message, 400, inner);

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? message : message[..newline];
    }

    private sealed record Verifier(byte[]? PublicKey, byte[]? Certificate, PublicKeyDetails KeyDetails);

    private sealed record Signature(byte[] Content, Verifier? Verifier);

    private sealed class V2Failure(string message) : Exception(message);

    /// <summary>Go's string order on raw bytes.</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
