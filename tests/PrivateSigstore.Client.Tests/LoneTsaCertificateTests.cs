using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Client.Tests;

/// <summary>
/// Issue 20 finding 5: a trusted root whose timestamp authority is one certificate (no chain above it). The token's signing
/// certificate must still be valid at genTime and carry the timeStamping extended key usage (critical, RFC 3161 §2.3), as
/// sigstore/timestamp-authority's verifier requires; before the fix neither was checked for a lone certificate.
/// </summary>
public sealed class LoneTsaCertificateTests
{
    private static readonly byte[] Signature = RandomNumberGenerator.GetBytes(64);
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static X509Certificate2 Certificate(ECDsa key, DateTimeOffset notBefore, DateTimeOffset notAfter, string? eku, bool critical = true)
    {
        var request = new CertificateRequest("CN=lone-tsa, O=test", key, HashAlgorithmName.SHA256);
        if (eku is not null) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], critical));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>A TimeStampToken (CMS SignedData over a TSTInfo) by <paramref name="certificate"/> at <paramref name="genTime"/> over the signature's SHA-256.</summary>
    private static byte[] Token(X509Certificate2 certificate, DateTimeOffset genTime)
    {
        var tst = new AsnWriter(AsnEncodingRules.DER);
        using (tst.PushSequence())
        {
            tst.WriteInteger(1);
            tst.WriteObjectIdentifier("1.3.6.1.4.1.57264.2");
            using (tst.PushSequence())
            {
                using (tst.PushSequence()) tst.WriteObjectIdentifier("2.16.840.1.101.3.4.2.1");
                tst.WriteOctetString(SHA256.HashData(Signature));
            }
            tst.WriteInteger(42);
            tst.WriteGeneralizedTime(genTime, omitFractionalSeconds: true);
        }
        var cms = new SignedCms(new ContentInfo(new Oid("1.2.840.113549.1.9.16.1.4"), tst.Encode()));
        // The certificate is not in the token (certReq false): the verifier finds it in the trusted root, and only its checks apply.
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate) { DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), IncludeOption = X509IncludeOption.None };
        // signing-certificate-v2 (RFC 5816): ESSCertIDv2 with the certificate's SHA-256 (the default hash, so omitted).
        var ess = new AsnWriter(AsnEncodingRules.DER);
        using (ess.PushSequence())
        using (ess.PushSequence())
        using (ess.PushSequence())
        {
            ess.WriteOctetString(SHA256.HashData(certificate.RawData));
        }
        signer.SignedAttributes.Add(new AsnEncodedData(new Oid("1.2.840.113549.1.9.16.2.47"), ess.Encode()));
        cms.ComputeSignature(signer);
        return cms.Encode();
    }

    private static TrustedMaterial Root(X509Certificate2 certificate) => new(TrustedRootJson.Parse(new JsonObject
    {
        ["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        ["tlogs"] = new JsonArray(),
        ["certificateAuthorities"] = new JsonArray(),
        ["ctlogs"] = new JsonArray(),
        ["timestampAuthorities"] = new JsonArray(new JsonObject
        {
            ["subject"] = new JsonObject { ["organization"] = "test", ["commonName"] = "lone-tsa" },
            ["uri"] = "https://tsa.test/api/v1/timestamp",
            ["certChain"] = new JsonObject { ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = Convert.ToBase64String(certificate.RawData) }) },
            ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" },
        }),
    }.ToJsonString()));

    private static DateTimeOffset Verify(X509Certificate2 certificate, DateTimeOffset genTime) =>
        TimestampChecks.Verify(new Rfc3161SignedTimestamp { SignedTimestamp = Token(certificate, genTime) }, Signature, Root(certificate));

    [Fact]
    public void A_lone_timestamping_certificate_valid_at_gen_time_verifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key, Now.AddDays(-1), Now.AddDays(1), "1.3.6.1.5.5.7.3.8");
        Assert.Equal(Now, Verify(certificate, Now));
    }

    [Theory]
    [InlineData(-3, -2, "1.3.6.1.5.5.7.3.8", true, "not valid at")]   // expired before genTime
    [InlineData(1, 2, "1.3.6.1.5.5.7.3.8", true, "not valid at")]     // not yet valid at genTime
    [InlineData(-1, 1, null, true, "timeStamping")]                   // no extended key usage
    [InlineData(-1, 1, "1.3.6.1.5.5.7.3.3", true, "timeStamping")]    // code signing, not timestamping
    [InlineData(-1, 1, "1.3.6.1.5.5.7.3.8", false, "critical")]       // timestamping, but not critical
    public void A_lone_certificate_outside_its_validity_or_without_the_timestamping_usage_is_refused(int fromDays, int toDays, string? eku, bool critical, string reason)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Certificate(key, Now.AddDays(fromDays), Now.AddDays(toDays), eku, critical);
        var e = Assert.ThrowsAny<Exception>(() => Verify(certificate, Now));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
