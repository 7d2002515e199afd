using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// RFC 3161 timestamps from a bundle's <c>timestampVerificationData</c> (sigstore-go <c>VerifySignedTimestamp</c>,
/// sigstore-js <c>verifyRFC3161Timestamp</c>): the response's token is a CMS signature by a trusted TSA's signing
/// certificate over a TSTInfo whose message imprint is the hash of the bundle signature; the TSA chain and the
/// authority's <c>validFor</c> must hold at the token's genTime, which becomes an observer timestamp.
/// </summary>
internal static class TimestampChecks
{
    public static DateTimeOffset Verify(Rfc3161SignedTimestamp timestamp, byte[] signature, TrustedMaterial material)
    {
        if (!Rfc3161TimestampToken.TryDecode(TokenOf(timestamp.SignedTimestamp), out var token, out _))
        {
            throw Fail("the RFC 3161 timestamp token does not parse");
        }
        var candidates = new X509Certificate2Collection();
        foreach (var authority in material.TimestampAuthorities)
        {
            foreach (var certificate in authority.Chain)
            {
                candidates.Add(certificate);
            }
        }
        if (!token.VerifySignatureForData(signature, out var signer, candidates) || signer is null)
        {
            // The platform refuses a signer that is not a timestamping certificate valid at genTime without saying so:
            // name the reason when the signer is a trusted authority's certificate.
            var reason = SignerOf(token, material) is { } named && LoneCertificateProblem(named, token.TokenInfo.Timestamp) is { } problem ? $" ({problem})" : "";
            throw Fail("the RFC 3161 timestamp's signature or message imprint does not verify over the bundle signature" + reason);
        }
        var genTime = token.TokenInfo.Timestamp;
        var reasons = new List<string>();
        foreach (var authority in material.TimestampAuthorities)
        {
            if (!authority.Chain[0].RawData.AsSpan().SequenceEqual(signer.RawData))
            {
                continue;
            }
            if (!TrustedMaterial.Covers(authority.ValidFor, genTime))
            {
                reasons.Add($"{authority.Uri}: not valid at {genTime:O}");
                continue;
            }
            if ((authority.Path is null ? LoneCertificateProblem(authority.Chain[0], genTime) : authority.Path.Validate(authority.Chain[0], genTime)) is { } problem)
            {
                reasons.Add($"{authority.Uri}: {problem}");
                continue;
            }
            return genTime;
        }
        throw Fail(reasons.Count == 0
            ? "the timestamp was not signed by a trusted timestamp authority"
            : $"no trusted timestamp authority is valid for it ({string.Join("; ", reasons)})");
    }

    /// <summary>The trusted authority certificate the token's signer info names (issuer and serial number), or null.</summary>
    private static X509Certificate2? SignerOf(Rfc3161TimestampToken token, TrustedMaterial material)
    {
        var signers = token.AsSignedCms().SignerInfos;
        if (signers.Count != 1 || signers[0].SignerIdentifier.Value is not System.Security.Cryptography.Xml.X509IssuerSerial id) return null;
        return material.TimestampAuthorities.SelectMany(a => a.Chain).FirstOrDefault(c =>
            c.IssuerName.Name == id.IssuerName && string.Equals(c.SerialNumber, id.SerialNumber, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A timestamp authority that is one certificate (no chain above it: what a trusted root lists is trusted as it is) still
    /// must be valid at genTime and be a timestamping certificate: one critical extended key usage, id-kp-timeStamping
    /// (RFC 3161 §2.3, as sigstore/timestamp-authority's verifier requires). Null when it is.
    /// </summary>
    private static string? LoneCertificateProblem(X509Certificate2 certificate, DateTimeOffset genTime)
    {
        var notBefore = certificate.NotBefore.ToUniversalTime();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        if (genTime < notBefore || genTime > notAfter)
        {
            return $"\"{certificate.Subject}\" is not valid at {genTime:O} (valid {notBefore:O} to {notAfter:O})";
        }
        var usage = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (usage is null || usage.EnhancedKeyUsages.Count != 1 || usage.EnhancedKeyUsages[0].Value != CertificatePath.TimeStamping)
        {
            return $"\"{certificate.Subject}\" is not a timestamping certificate (its extended key usage must be timeStamping alone)";
        }
        return usage.Critical ? null : $"\"{certificate.Subject}\": the timeStamping extended key usage is not marked critical (RFC 3161 §2.3)";
    }

    /// <summary>The TimeStampToken of a TimeStampResp (RFC 3161 §2.4.2); a bare token is accepted as it is.</summary>
    private static byte[] TokenOf(byte[] response)
    {
        try
        {
            var sequence = new AsnReader(response, AsnEncodingRules.BER).ReadSequence();
            if (sequence.PeekTag() == Asn1Tag.ObjectIdentifier)
            {
                return response; // a ContentInfo: already the token
            }
            var status = sequence.ReadSequence();
            if (status.TryReadInt32(out var value) && value is not (0 or 1))
            {
                throw Fail($"the timestamp response's status is {value}, not granted");
            }
            return sequence.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException e)
        {
            throw new VerificationException(VerificationStep.Timestamps, $"the RFC 3161 timestamp response does not parse: {e.Message}", e);
        }
    }

    private static VerificationException Fail(string reason) => new(VerificationStep.Timestamps, reason);
}
