using System.Formats.Asn1;
using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>A certificate authority to list in a trusted root: its URL, chain (issuing first, root last) and validity.</summary>
/// <param name="Uri">The CA's base URL (Fulcio).</param>
/// <param name="ChainDer">The chain as DER: issuing certificate first, self-signed root last.</param>
/// <param name="Start">From when its certificates are trusted.</param>
/// <param name="End">Until when (rotation: the old CA gets an end); null while current.</param>
public sealed record TrustedAuthority(string Uri, IReadOnlyList<byte[]> ChainDer, DateTimeOffset Start, DateTimeOffset? End = null);

/// <summary>A log (Rekor or CT) to list in a trusted root: its base URL and public key.</summary>
/// <param name="BaseUrl">The log's base URL. For Rekor v1, sigstore-js requires the checkpoint origin's host to occur in it.</param>
/// <param name="SubjectPublicKeyInfo">The log's DER public key; the log ID is its SHA-256.</param>
/// <param name="Start">From when the key is trusted.</param>
/// <param name="End">Until when (rotation); null while current.</param>
/// <param name="CheckpointOrigin">
/// For a Rekor v2 (tiled) log with an Ed25519 key: the checkpoint origin (the log's host name), which makes the log ID
/// the C2SP note key ID <c>SHA-256(origin || 0x0A || 0x01 || public key)</c>; null for v1 logs and ECDSA keys, whose log
/// ID is the SHA-256 of the key.
/// </param>
public sealed record TrustedLog(string BaseUrl, byte[] SubjectPublicKeyInfo, DateTimeOffset Start, DateTimeOffset? End = null, string? CheckpointOrigin = null);

/// <summary>
/// Builds the trust material clients are given for a deployment: <c>trusted_root.json</c> (protobuf-specs TrustedRoot,
/// media type v0.1 as every published root so far uses, which every client accepts) and <c>signing_config.v0.2.json</c>.
/// </summary>
public static class TrustMaterialBuilder
{
    /// <summary>The trusted root for the given CAs, Rekor logs and CT logs.</summary>
    /// <exception cref="ArgumentException">A chain is empty, or a key is not a supported public key.</exception>
    public static TrustedRoot TrustedRoot(IEnumerable<TrustedAuthority> authorities, IEnumerable<TrustedLog> tlogs, IEnumerable<TrustedLog> ctlogs) =>
        TrustedRoot(authorities, tlogs, ctlogs, []);

    /// <summary>
    /// The trusted root for the given CAs, Rekor logs (v1, or v2 with <see cref="TrustedLog.CheckpointOrigin"/>), CT logs
    /// and RFC 3161 timestamp authorities (each chain: the TSA signing certificate first, the root last).
    /// </summary>
    /// <exception cref="ArgumentException">A chain is empty, or a key is not a supported public key.</exception>
    public static TrustedRoot TrustedRoot(IEnumerable<TrustedAuthority> authorities, IEnumerable<TrustedLog> tlogs, IEnumerable<TrustedLog> ctlogs, IEnumerable<TrustedAuthority> timestampAuthorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        ArgumentNullException.ThrowIfNull(tlogs);
        ArgumentNullException.ThrowIfNull(ctlogs);
        ArgumentNullException.ThrowIfNull(timestampAuthorities);
        return new TrustedRoot
        {
            MediaType = TrustedRootMediaType.V0_1,
            Tlogs = [.. tlogs.Select(Log)],
            CertificateAuthorities = [.. authorities.Select(Authority)],
            Ctlogs = [.. ctlogs.Select(Log)],
            TimestampAuthorities = [.. timestampAuthorities.Select(Authority)],
        };
    }

    /// <summary>
    /// A v0.2 signing config: one CA, one OIDC provider (optional), the Rekor logs with their major API versions (v1 and
    /// v2 may both be listed; clients pick the highest they support), and the timestamp authorities (full
    /// <c>/api/v1/timestamp</c> URLs). Selectors: ANY for both.
    /// </summary>
    public static SigningConfig SigningConfig(string caUrl, string? oidcUrl, IEnumerable<(string Url, int MajorApiVersion)> rekorLogs, IEnumerable<string> tsaUrls, DateTimeOffset start, string @operator = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(caUrl);
        ArgumentNullException.ThrowIfNull(rekorLogs);
        ArgumentNullException.ThrowIfNull(tsaUrls);
        var validFor = new TimeRange { Start = ProtoTimestamp.FromDateTimeOffset(start) };
        return new SigningConfig
        {
            MediaType = SigningConfigMediaType.V0_2,
            CaUrls = [new Service { Url = caUrl, MajorApiVersion = 1, ValidFor = validFor, Operator = @operator }],
            OidcUrls = oidcUrl is null ? [] : [new Service { Url = oidcUrl, MajorApiVersion = 1, ValidFor = validFor, Operator = @operator }],
            RekorTlogUrls = [.. rekorLogs.Select(r => new Service { Url = r.Url, MajorApiVersion = (uint)r.MajorApiVersion, ValidFor = validFor, Operator = @operator })],
            TsaUrls = [.. tsaUrls.Select(u => new Service { Url = u, MajorApiVersion = 1, ValidFor = validFor, Operator = @operator })],
            RekorTlogConfig = new ServiceConfiguration { Selector = ServiceSelector.Any },
            TsaConfig = new ServiceConfiguration { Selector = ServiceSelector.Any },
        };
    }

    /// <summary>A v0.2 signing config: one CA, one OIDC provider (optional), one Rekor v1 log, no TSA.</summary>
    public static SigningConfig SigningConfig(string caUrl, string? oidcUrl, string rekorUrl, DateTimeOffset start, string @operator = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(caUrl);
        ArgumentException.ThrowIfNullOrEmpty(rekorUrl);
        var validFor = new TimeRange { Start = ProtoTimestamp.FromDateTimeOffset(start) };
        return new SigningConfig
        {
            MediaType = SigningConfigMediaType.V0_2,
            CaUrls = [new Service { Url = caUrl, MajorApiVersion = 1, ValidFor = validFor, Operator = @operator }],
            OidcUrls = oidcUrl is null ? [] : [new Service { Url = oidcUrl, MajorApiVersion = 1, ValidFor = validFor, Operator = @operator }],
            RekorTlogUrls = [new Service { Url = rekorUrl, MajorApiVersion = 1, ValidFor = validFor, Operator = @operator }],
            RekorTlogConfig = new ServiceConfiguration { Selector = ServiceSelector.Any },
            TsaConfig = new ServiceConfiguration { Selector = ServiceSelector.Any },
        };
    }

    /// <summary>The key details a verifier needs for <paramref name="spki"/>.</summary>
    /// <exception cref="ArgumentException">Not an ECDSA P-256/384/521, RSA or Ed25519 key.</exception>
    public static PublicKeyDetails KeyDetails(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
            var algorithm = reader.ReadSequence();
            string oid = algorithm.ReadObjectIdentifier();
            switch (oid)
            {
                case "1.2.840.10045.2.1":
                    return algorithm.ReadObjectIdentifier() switch
                    {
                        "1.2.840.10045.3.1.7" => PublicKeyDetails.PkixEcdsaP256Sha256,
                        "1.3.132.0.34" => PublicKeyDetails.PkixEcdsaP384Sha384,
                        "1.3.132.0.35" => PublicKeyDetails.PkixEcdsaP521Sha512,
                        var curve => throw new ArgumentException($"unsupported curve {curve}", nameof(spki)),
                    };
                case "1.3.101.112":
                    return PublicKeyDetails.PkixEd25519;
                case "1.2.840.113549.1.1.1":
                    using (var rsa = RSA.Create())
                    {
                        rsa.ImportSubjectPublicKeyInfo(spki, out _);
                        return rsa.KeySize switch
                        {
                            2048 => PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256,
                            3072 => PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256,
                            4096 => PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256,
                            var bits => throw new ArgumentException($"unsupported RSA size {bits}", nameof(spki)),
                        };
                    }

                default:
                    throw new ArgumentException($"unsupported public key algorithm {oid}", nameof(spki));
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new ArgumentException($"not a DER SubjectPublicKeyInfo: {e.Message}", nameof(spki), e);
        }
    }

    private static TimeRange Range(DateTimeOffset start, DateTimeOffset? end) => new()
    {
        Start = ProtoTimestamp.FromDateTimeOffset(start),
        End = end is { } e ? ProtoTimestamp.FromDateTimeOffset(e) : null,
    };

    private static TransparencyLogInstance Log(TrustedLog log)
    {
        var details = KeyDetails(log.SubjectPublicKeyInfo);
        // A v2 log's Ed25519 checkpoint key is identified by its C2SP note key ID (reference/client.md §7.4).
        var keyId = log.CheckpointOrigin is { } origin && details == PublicKeyDetails.PkixEd25519
            ? Ed25519NoteVerifier.KeyId(origin, Ed25519NoteVerifier.FromSubjectPublicKeyInfo(origin, log.SubjectPublicKeyInfo).PublicKey)
            : SHA256.HashData(log.SubjectPublicKeyInfo);
        return new()
        {
            BaseUrl = log.BaseUrl,
            HashAlgorithm = Bundle.HashAlgorithm.Sha2_256,
            PublicKey = new PublicKeyMaterial { RawBytes = log.SubjectPublicKeyInfo, KeyDetails = details, ValidFor = Range(log.Start, log.End) },
            LogId = new LogId { KeyId = keyId },
            // As the public-good roots list v2 logs: the checkpoint key id is the log id (never set for v1 logs, where
            // sigstore-js would then fail SET verification).
            CheckpointKeyId = log.CheckpointOrigin is not null && details == PublicKeyDetails.PkixEd25519 ? new LogId { KeyId = keyId } : null,
        };
    }

    private static CertificateAuthority Authority(TrustedAuthority ca)
    {
        if (ca.ChainDer.Count == 0)
        {
            throw new ArgumentException($"the chain of {ca.Uri} is empty", nameof(ca));
        }

        using var root = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(ca.ChainDer[^1]);
        return new CertificateAuthority
        {
            Subject = new DistinguishedName
            {
                Organization = root.SubjectName.EnumerateRelativeDistinguishedNames().FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.10")?.GetSingleElementValue() ?? "",
                CommonName = root.SubjectName.EnumerateRelativeDistinguishedNames().FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue() ?? "",
            },
            Uri = ca.Uri,
            CertChain = new X509CertificateChain { Certificates = [.. ca.ChainDer.Select(d => new DerCertificate { RawBytes = d })] },
            ValidFor = Range(ca.Start, ca.End),
        };
    }
}
