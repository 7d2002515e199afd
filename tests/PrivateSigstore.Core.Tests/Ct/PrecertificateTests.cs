using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

public sealed class PrecertificateTests : IDisposable
{
    private const ulong Timestamp = 1_773_500_966_000;
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Embedded_SCT_flow_signs_and_verifies_like_Fulcio_and_a_CT_log()
    {
        byte[] precert = _pki.IssuePrecert();
        Assert.True(Precertificate.HasPoison(precert));

        var sct = _pki.SignPrecert(precert, Timestamp);
        byte[] final = _pki.IssueFinal([sct]);
        Assert.False(Precertificate.HasPoison(final));

        // The verifier's view of the precert TBS equals what the log signed, byte for byte.
        byte[] logView = Precertificate.RemoveExtension(Precertificate.ExtractTbs(precert), SigstoreOids.CtPoison);
        Assert.Equal(logView, Precertificate.GetTbsWithoutSctList(final));

        using var cert = X509CertificateLoader.LoadCertificate(final);
        var embedded = Assert.Single(SctList.FromExtension(cert.Extensions[SigstoreOids.SctList]!));
        Assert.Equal(sct.Serialize(), embedded.Serialize());
        Assert.True(SctVerification.VerifyEmbedded(final, _pki.CaSpki, embedded, _pki.LogKey));
    }

    [Fact]
    public void Verification_fails_for_any_change()
    {
        byte[] precert = _pki.IssuePrecert();
        var sct = _pki.SignPrecert(precert, Timestamp);
        byte[] final = _pki.IssueFinal([sct]);

        byte[] flipped = sct.Signature.ToArray();
        flipped[^1] ^= 0x01;
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { Signature = flipped }, _pki.LogKey));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { Timestamp = Timestamp + 1 }, _pki.LogKey));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { Extensions = [0] }, _pki.LogKey));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.LogSpki, sct, _pki.LogKey)); // wrong issuer
        using var otherLog = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct, otherLog));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { Signature = [0x30, 0x00] }, _pki.LogKey));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { HashAlgorithm = 5 }, _pki.LogKey));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { SignatureAlgorithm = 1 }, _pki.LogKey));
        Assert.False(SctVerification.VerifyEmbedded(final, _pki.CaSpki, sct with { Version = 1 }, _pki.LogKey));

        // A final certificate whose other extensions differ from the precert's.
        byte[] tampered = _pki.Issue([.. _pki.ProfileExtensions().Take(4), SubjectAltNames.ForEmail("evil@example.com"), SctList.ToExtension([sct])]);
        Assert.False(SctVerification.VerifyEmbedded(tampered, _pki.CaSpki, sct, _pki.LogKey));
    }

    [Fact]
    public void VerifyEmbedded_without_an_SCT_list_throws_WireFormatException()
    {
        byte[] precert = _pki.IssuePrecert();
        var sct = _pki.SignPrecert(precert, Timestamp);
        Assert.Throws<WireFormatException>(() => SctVerification.VerifyEmbedded(precert, _pki.CaSpki, sct, _pki.LogKey));
    }

    [Fact]
    public void LogId_is_SHA256_of_the_SPKI()
    {
        Assert.Equal(SHA256.HashData(_pki.LogSpki), SctVerification.LogId(_pki.LogSpki));
    }

    [Fact]
    public void RemoveExtension_keeps_every_other_byte_in_place()
    {
        var all = _pki.ProfileExtensions();
        byte[] with = Precertificate.ExtractTbs(_pki.Issue(all));
        for (int i = 0; i < all.Count; i++)
        {
            var without = all.Where((_, j) => j != i).ToList();
            byte[] expected = Precertificate.ExtractTbs(_pki.Issue(without));
            Assert.Equal(expected, Precertificate.RemoveExtension(with, all[i].Oid!.Value!));
        }
    }

    [Fact]
    public void RemoveExtension_of_the_only_extension_drops_the_extensions_field()
    {
        byte[] tbs = Precertificate.ExtractTbs(_pki.Issue([TestPki.Poison()]));
        byte[] stripped = Precertificate.RemoveExtension(tbs, SigstoreOids.CtPoison);

        // Expected: the same TBS with its last field ([3] extensions) left out.
        var original = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        var expected = new AsnWriter(AsnEncodingRules.DER);
        using (expected.PushSequence())
        {
            while (original.HasData)
            {
                var tag = original.PeekTag();
                var value = original.ReadEncodedValue();
                if (!tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
                {
                    expected.WriteEncodedValue(value.Span);
                }
            }
        }

        Assert.Equal(expected.Encode(), stripped);
    }

    [Fact]
    public void RemoveExtension_of_an_absent_extension_fails()
    {
        byte[] tbs = Precertificate.ExtractTbs(_pki.Issue(_pki.ProfileExtensions()));
        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension(tbs, SigstoreOids.CtPoison));
        Assert.Throws<WireFormatException>(() => Precertificate.GetTbsWithoutSctList(_pki.Issue(_pki.ProfileExtensions())));
    }

    [Fact]
    public void RemoveExtension_rejects_repeated_extensions()
    {
        // CertificateRequest refuses duplicates, so append a second poison to the TBS's extensions by hand.
        byte[] tbs = Precertificate.ExtractTbs(_pki.Issue([TestPki.Poison(), new X509Extension(SigstoreOids.Issuer, [0x61], false)]));
        var fields = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            while (fields.HasData)
            {
                if (!fields.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
                {
                    w.WriteEncodedValue(fields.ReadEncodedValue().Span);
                    continue;
                }

                var extensions = fields.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3)).ReadSequence();
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3)))
                using (w.PushSequence())
                {
                    var first = extensions.ReadEncodedValue();
                    w.WriteEncodedValue(first.Span);
                    w.WriteEncodedValue(extensions.ReadEncodedValue().Span);
                    w.WriteEncodedValue(first.Span);
                }
            }
        }

        byte[] duplicated = w.Encode();
        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension(duplicated, SigstoreOids.Issuer));
        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension(duplicated, SigstoreOids.CtPoison));
    }

    [Fact]
    public void Non_DER_and_malformed_input_is_rejected()
    {
        byte[] cert = _pki.IssuePrecert();
        byte[] tbs = Precertificate.ExtractTbs(cert);

        Assert.Throws<WireFormatException>(() => Precertificate.ExtractTbs([.. cert, 0x00])); // trailing byte
        Assert.Throws<WireFormatException>(() => Precertificate.ExtractTbs(cert[..^1])); // truncated
        Assert.Throws<WireFormatException>(() => Precertificate.ExtractTbs([]));
        Assert.Throws<WireFormatException>(() => Precertificate.ExtractTbs([0x30, 0x80, .. cert[4..], 0x00, 0x00])); // indefinite length (BER)
        Assert.Throws<WireFormatException>(() => Precertificate.ExtractTbs(WrapInSequence(tbs))); // no signature fields
        Assert.Throws<WireFormatException>(() => Precertificate.HasPoison([0x30, 0x00]));

        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension([.. tbs, 0x00], SigstoreOids.CtPoison));
        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension(NonMinimalLength(tbs), SigstoreOids.CtPoison));
        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension([0x31, .. tbs[1..]], SigstoreOids.CtPoison)); // SET, not SEQUENCE
        Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension([0x30, 0x00], SigstoreOids.CtPoison));
    }

    [Fact]
    public void Real_public_good_SCT_verifies()
    {
        byte[] leaf = CtTestData.LeafOf(CtTestData.PublicGoodBundle);
        using var cert = X509CertificateLoader.LoadCertificate(leaf);
        var sct = Assert.Single(SctList.FromExtension(cert.Extensions[SigstoreOids.SctList]!));

        Assert.Equal("dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e", Convert.ToHexStringLower(sct.LogId));
        Assert.Equal(0, sct.Version);
        Assert.Equal(4, sct.HashAlgorithm);
        Assert.Equal(3, sct.SignatureAlgorithm);
        Assert.Empty(sct.Extensions);

        var log = CtTestData.CtLogs(CtTestData.PublicGoodRoot).Single(l => l.LogId.AsSpan().SequenceEqual(sct.LogId));
        Assert.Equal(log.LogId, SctVerification.LogId(log.Spki));

        // The leaf's issuer is the public-good intermediate: certificateAuthorities[1].certChain.certificates[0].
        using var intermediate = X509CertificateLoader.LoadCertificate(CtTestData.CaCertificate(CtTestData.PublicGoodRoot, 1, 0));
        Assert.Equal(cert.Issuer, intermediate.Subject);
        byte[] issuerSpki = intermediate.PublicKey.ExportSubjectPublicKeyInfo();

        using var logKey = CtTestData.EcKey(log.Spki);
        Assert.True(SctVerification.VerifyEmbedded(leaf, issuerSpki, sct, logKey));

        byte[] flipped = sct.Signature.ToArray();
        flipped[20] ^= 0x10;
        Assert.False(SctVerification.VerifyEmbedded(leaf, issuerSpki, sct with { Signature = flipped }, logKey));

        // Serializing what we parsed reproduces the certificate's extension value exactly.
        Assert.Equal(cert.Extensions[SigstoreOids.SctList]!.RawData, SctList.ToExtension([sct]).RawData);
    }

    [Fact]
    public void Real_scaffolding_SCT_with_an_RSA_issuer_verifies()
    {
        byte[] leaf = CtTestData.LeafOf(CtTestData.OtherNameBundle);
        using var cert = X509CertificateLoader.LoadCertificate(leaf);
        var sct = Assert.Single(SctList.FromExtension(cert.Extensions[SigstoreOids.SctList]!));

        var log = CtTestData.CtLogs(CtTestData.ScaffoldingRoot).Single(l => l.LogId.AsSpan().SequenceEqual(sct.LogId));
        using var ca = X509CertificateLoader.LoadCertificate(CtTestData.CaCertificate(CtTestData.ScaffoldingRoot, 0, 0));
        Assert.Equal(cert.Issuer, ca.Subject);

        using var logKey = CtTestData.EcKey(log.Spki);
        Assert.True(SctVerification.VerifyEmbedded(leaf, ca.PublicKey.ExportSubjectPublicKeyInfo(), sct, logKey));
        Assert.False(SctVerification.VerifyEmbedded(leaf, ca.PublicKey.ExportSubjectPublicKeyInfo(), sct with { Timestamp = sct.Timestamp - 1 }, logKey));
    }

    private static byte[] WrapInSequence(byte[] content)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteEncodedValue(content);
        }

        return w.Encode();
    }

    /// <summary>Re-encodes the outer SEQUENCE length with one more length byte than DER allows.</summary>
    private static byte[] NonMinimalLength(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var contents = reader.ReadSequence();
        int contentLength = der.Length - (der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7F));
        byte[] body = der[(der.Length - contentLength)..];
        _ = contents;
        return [0x30, 0x83, (byte)(contentLength >> 16), (byte)(contentLength >> 8), (byte)contentLength, .. body];
    }
}
