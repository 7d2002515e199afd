using System.Formats.Asn1;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text.Json;

namespace PrivateSigstore.Timestamp;

/// <summary>A request the authority refuses (400), with upstream's message.</summary>
public sealed class TimestampRequestException(string message, string detail) : Exception(message)
{
    /// <summary>What exactly is wrong (logged and appended to the answer after upstream's message).</summary>
    public string Detail { get; } = detail;
}

/// <summary>The hash algorithms a message imprint may use (upstream: SHA-256, SHA-384, SHA-512; SHA-1 is refused as weak).</summary>
public enum ImprintAlgorithm
{
    /// <summary>SHA-256 (2.16.840.1.101.3.4.2.1), 32 bytes.</summary>
    Sha256,

    /// <summary>SHA-384 (2.16.840.1.101.3.4.2.2), 48 bytes.</summary>
    Sha384,

    /// <summary>SHA-512 (2.16.840.1.101.3.4.2.3), 64 bytes.</summary>
    Sha512,
}

/// <summary>
/// A validated timestamp request, from DER (RFC 3161 §2.4.1 TimeStampReq) or upstream's JSON form. Only requests that
/// pass every check exist: a supported hash, an imprint of its length, no extensions, at most one policy.
/// </summary>
public sealed class TimestampQuery
{
    // upstream pkg/api/error.go messages, so clients see the same text.
    internal const string GenericFailure = "Error generating timestamp response";
    internal const string WeakHash = "Weak hash algorithm in timestamp request";
    internal const string BadDigestLength = "Message digest has incorrect length for specified algorithm";
    internal const string UnacceptedPolicy = "unaccepted policy: requested TSA policy is not supported by the TSA";
    internal const string UnacceptedExtension = "unaccepted extension: requested extensions are not supported by the TSA";
    internal const string TooLarge = "timestamp request is too large";
    internal const string LongOid = "OID should be comprised of at most 128 components";

    /// <summary>Upstream bounds the JSON form at 1 KiB (the nonce is the only field that can grow).</summary>
    public const int MaxJsonBytes = 1024;

    internal const string Sha1Oid = "1.3.14.3.2.26";
    internal const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    internal const string Sha384Oid = "2.16.840.1.101.3.4.2.2";
    internal const string Sha512Oid = "2.16.840.1.101.3.4.2.3";

    private TimestampQuery(ImprintAlgorithm algorithm, byte[] imprint, byte[]? nonce, bool certReq, string? policy)
    {
        Algorithm = algorithm;
        Imprint = imprint;
        Nonce = nonce;
        CertReq = certReq;
        Policy = policy;
    }

    /// <summary>The imprint's hash algorithm.</summary>
    public ImprintAlgorithm Algorithm { get; }

    /// <summary>The hashed message (exactly the algorithm's length).</summary>
    public byte[] Imprint { get; }

    /// <summary>The nonce as the content octets of a DER INTEGER (two's complement, minimal), or <c>null</c>.</summary>
    public byte[]? Nonce { get; }

    /// <summary>Whether the TSA certificate must be put into the token (RFC 3161 §2.4.1 certReq).</summary>
    public bool CertReq { get; }

    /// <summary>The requested policy OID, or <c>null</c> for the default.</summary>
    public string? Policy { get; }

    /// <summary>The OID of <paramref name="algorithm"/>.</summary>
    public static string OidOf(ImprintAlgorithm algorithm) => algorithm switch
    {
        ImprintAlgorithm.Sha384 => Sha384Oid,
        ImprintAlgorithm.Sha512 => Sha512Oid,
        _ => Sha256Oid,
    };

    /// <summary>The digest length of <paramref name="algorithm"/>.</summary>
    public static int LengthOf(ImprintAlgorithm algorithm) => algorithm switch
    {
        ImprintAlgorithm.Sha384 => 48,
        ImprintAlgorithm.Sha512 => 64,
        _ => 32,
    };

    /// <summary>
    /// Parses a DER TimeStampReq with the BCL's <see cref="Rfc3161TimestampRequest"/>, then applies upstream's checks
    /// (<c>verification.VerifyRequest</c> and <c>verifyTimestampRequest</c>). Throws <see cref="TimestampRequestException"/>.
    /// </summary>
    public static TimestampQuery FromDer(ReadOnlyMemory<byte> der, IReadOnlyList<string> acceptedPolicies)
    {
        ArgumentNullException.ThrowIfNull(acceptedPolicies);
        Rfc3161TimestampRequest? request;
        int consumed;
        try
        {
            if (!Rfc3161TimestampRequest.TryDecode(der, out request, out consumed) || request is null)
            {
                throw new TimestampRequestException(GenericFailure, "the body is not a DER TimeStampReq (RFC 3161 §2.4.1)");
            }
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or ArgumentException or FormatException)
        {
            // Whatever the decoder throws for hostile bytes is the client's fault: a 400, never a 5xx.
            throw new TimestampRequestException(GenericFailure, $"the body is not a DER TimeStampReq (RFC 3161 §2.4.1): {e.Message}");
        }

        // One TimeStampReq and nothing after it (a DER value has exactly one encoding, and trailing bytes are not part of it).
        if (consumed != der.Length) throw new TimestampRequestException(GenericFailure, $"{der.Length - consumed} bytes follow the TimeStampReq");
        // RFC 3161 §2.4.1: version v1(1).
        if (request.Version != 1) throw new TimestampRequestException(GenericFailure, $"TimeStampReq version {request.Version}; only v1 is defined");
        // RFC 3161 §2.4.1 / RFC 5754: the hash AlgorithmIdentifier has absent or NULL parameters.
        RequireNullOrAbsentParameters(der);
        var algorithm = AlgorithmFromOid(request.HashAlgorithmId.Value ?? "");
        var imprint = request.GetMessageHash().ToArray();
        // upstream verification.VerifyRequest: the digest length must match the algorithm.
        RequireLength(algorithm, imprint.Length);
        // upstream: extensions are refused unless --allow-custom-extensions (which we do not offer).
        if (request.HasExtensions) throw new TimestampRequestException(UnacceptedExtension, "the request carries extensions");
        var policy = request.RequestedPolicyId?.Value;
        RequirePolicy(policy, acceptedPolicies);
        var nonce = request.GetNonce() is { } n ? n.ToArray() : null;
        return new TimestampQuery(algorithm, imprint, nonce, request.RequestSignerCertificate, policy);
    }

    /// <summary>
    /// Parses upstream's JSON form <c>{artifactHash, certificates, hashAlgorithm, nonce, tsaPolicyOID}</c> (Go's
    /// <c>encoding/json</c> semantics: field names case-insensitive, unknown fields ignored, the nonce a JSON integer of
    /// any size, the body at most 1 KiB). Throws <see cref="TimestampRequestException"/>.
    /// </summary>
    public static TimestampQuery FromJson(ReadOnlySpan<byte> json, IReadOnlyList<string> acceptedPolicies)
    {
        ArgumentNullException.ThrowIfNull(acceptedPolicies);
        // upstream ParseJSONRequest: reject oversized requests before parsing.
        if (json.Length > MaxJsonBytes) throw new TimestampRequestException(TooLarge, $"request exceeds {MaxJsonBytes} bytes");
        if (Core.Json.JsonUnicode.FindInvalidString(json, 4) is { } notUnicode) throw Bad($"the body is not valid JSON: {notUnicode}");
        string? artifactHash = null, hashAlgorithm = null, policy = null;
        bool certificates = false;
        byte[]? nonce = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4, CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Bad("the JSON body must be an object");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                reader.Read();
                switch (name.ToUpperInvariant())
                {
                    case "ARTIFACTHASH":
                        artifactHash = StringOrNull(ref reader, name);
                        break;
                    case "HASHALGORITHM":
                        hashAlgorithm = StringOrNull(ref reader, name);
                        break;
                    case "TSAPOLICYOID":
                        policy = StringOrNull(ref reader, name);
                        break;
                    case "CERTIFICATES":
                        certificates = reader.TokenType switch
                        {
                            JsonTokenType.True => true,
                            JsonTokenType.False or JsonTokenType.Null => certificates,
                            _ => throw Bad("certificates must be true or false"),
                        };
                        break;
                    case "NONCE":
                        nonce = reader.TokenType switch
                        {
                            JsonTokenType.Null => null,
                            JsonTokenType.Number => NonceFromDecimal(reader.ValueSpan),
                            _ => throw Bad("nonce must be a JSON integer"),
                        };
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (reader.Read()) throw Bad("data follows the JSON object");
        }
        catch (JsonException e)
        {
            throw Bad($"the body is not valid JSON: {e.Message}");
        }

        // upstream getHashAlg: sha256|sha384|sha512 (any case); sha1 is weak; anything else unsupported.
        var algorithm = (hashAlgorithm ?? "").ToUpperInvariant() switch
        {
            "SHA256" => ImprintAlgorithm.Sha256,
            "SHA384" => ImprintAlgorithm.Sha384,
            "SHA512" => ImprintAlgorithm.Sha512,
            "SHA1" => throw new TimestampRequestException(WeakHash, "weak hash algorithm: must be SHA-256, SHA-384, or SHA-512"),
            _ => throw new TimestampRequestException(GenericFailure, $"unsupported hash algorithm: {hashAlgorithm}"),
        };
        if (!string.IsNullOrEmpty(policy))
        {
            if (policy.Count(c => c == '.') > 128) throw new TimestampRequestException(LongOid, "oid has too many sub identifiers");
            if (!TimestampOptions.IsOid(policy)) throw new TimestampRequestException(GenericFailure, $"tsaPolicyOID '{policy}' is not a dotted OID");
        }
        else
        {
            policy = null;
        }

        byte[] imprint;
        try
        {
            imprint = Convert.FromBase64String(artifactHash ?? "");
        }
        catch (FormatException)
        {
            throw new TimestampRequestException(GenericFailure, "failed to decode base64 encoded artifact hash");
        }

        RequireLength(algorithm, imprint.Length);
        RequirePolicy(policy, acceptedPolicies);
        return new TimestampQuery(algorithm, imprint, nonce, certificates, policy);

        static TimestampRequestException Bad(string detail) => new(GenericFailure, "failed to parse JSON into request: " + detail);
    }

    private static string? StringOrNull(ref Utf8JsonReader reader, string name) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new TimestampRequestException(GenericFailure, $"failed to parse JSON into request: {name} must be a string"),
    };

    /// <summary>A JSON integer (no fraction, no exponent, as Go's big.Int accepts) as DER INTEGER content octets.</summary>
    private static byte[] NonceFromDecimal(ReadOnlySpan<byte> text)
    {
        var s = System.Text.Encoding.ASCII.GetString(text);
        if (!BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new TimestampRequestException(GenericFailure, "failed to parse JSON into request: nonce must be an integer");
        }
        return value.ToByteArray(isUnsigned: false, isBigEndian: true);
    }

    private static ImprintAlgorithm AlgorithmFromOid(string oid) => oid switch
    {
        Sha256Oid => ImprintAlgorithm.Sha256,
        Sha384Oid => ImprintAlgorithm.Sha384,
        Sha512Oid => ImprintAlgorithm.Sha512,
        Sha1Oid => throw new TimestampRequestException(WeakHash, "weak hash algorithm: must be SHA-256, SHA-384, or SHA-512"),
        _ => throw new TimestampRequestException(GenericFailure, $"unsupported hash algorithm {oid}"),
    };

    private static void RequireLength(ImprintAlgorithm algorithm, int length)
    {
        var expected = LengthOf(algorithm);
        if (length != expected)
        {
            throw new TimestampRequestException(BadDigestLength, $"digest length inconsistent with specified hash algorithm: expected {expected} bytes, got {length} bytes");
        }
    }

    private static void RequirePolicy(string? policy, IReadOnlyList<string> accepted)
    {
        // upstream verifyTimestampRequest: a requested policy must be one of --accepted-policy-oids.
        if (policy is not null && !accepted.Contains(policy, StringComparer.Ordinal))
        {
            throw new TimestampRequestException(UnacceptedPolicy, $"policy {policy} is not accepted (accepted: {string.Join(", ", accepted)})");
        }
    }

    private static void RequireNullOrAbsentParameters(ReadOnlyMemory<byte> der)
    {
        try
        {
            var request = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            request.ReadInteger();
            var algorithm = request.ReadSequence().ReadSequence();
            algorithm.ReadObjectIdentifier();
            if (algorithm.HasData)
            {
                algorithm.ReadNull();
                if (algorithm.HasData) throw new AsnContentException();
            }
        }
        catch (AsnContentException)
        {
            throw new TimestampRequestException(GenericFailure, "the message imprint's hash AlgorithmIdentifier must have NULL or absent parameters");
        }
    }
}
