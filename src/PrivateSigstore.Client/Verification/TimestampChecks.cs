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
            throw Fail("the RFC 3161 timestamp's signature or message imprint does not verify over the bundle signature");
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
            if (authority.Path?.Validate(authority.Chain[0], genTime) is { } problem)
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
