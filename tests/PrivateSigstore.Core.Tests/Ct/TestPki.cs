using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

/// <summary>
/// A throwaway ECDSA P-256 CA, leaf key and CT log key, minting Fulcio-profile precertificates and final
/// certificates with <see cref="CertificateRequest"/>.
/// </summary>
/// <remarks>
/// How the "TBS(final) minus SCT list == TBS(precert) minus poison" property is obtained: both certificates come from
/// the same <see cref="CertificateRequest"/> inputs — same empty subject, same leaf key, same issuer, same fixed serial,
/// same fixed validity, same signature algorithm — and the same extension list in the same order, except that the
/// last extension is the critical poison (precert) or the non-critical SCT list (final), exactly as Fulcio does it.
/// CertificateRequest writes extensions in the order given, so removing the last one from either TBS gives the
/// same bytes.
/// </remarks>
internal sealed class TestPki : IDisposable
{
    public static readonly DateTimeOffset NotBefore = new(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);
    public static readonly DateTimeOffset NotAfter = NotBefore.AddMinutes(10);
    public static readonly byte[] Serial = Convert.FromHexString("5F1C0FFEE0DDBA11C0FFEE0DDBA11C0FFEE0DD01");

    public TestPki()
    {
        CaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("O=PrivateSigstore Test, CN=test-ca", CaKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Ca = caRequest.CreateSelfSigned(NotBefore.AddDays(-1), NotBefore.AddYears(1));
        LeafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        LogKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    public ECDsa CaKey { get; }
    public X509Certificate2 Ca { get; }
    public ECDsa LeafKey { get; }
    public ECDsa LogKey { get; }

    public byte[] CaSpki => Ca.PublicKey.ExportSubjectPublicKeyInfo();
    public byte[] LogSpki => LogKey.ExportSubjectPublicKeyInfo();

    public static X509Extension Poison() => new(SigstoreOids.CtPoison, [0x05, 0x00], critical: true);

    /// <summary>The Fulcio leaf profile's extensions, without poison or SCT list.</summary>
    public List<X509Extension> ProfileExtensions()
    {
        var list = new List<X509Extension>
        {
            new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true),
            new X509EnhancedKeyUsageExtension([new Oid(SigstoreOids.CodeSigningEku)], false),
            new X509SubjectKeyIdentifierExtension(new PublicKey(LeafKey), false),
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, includeKeyIdentifier: true, includeIssuerAndSerial: false),
            SubjectAltNames.ForEmail("signer@example.com"),
        };
        list.AddRange(new SigstoreExtensions { Issuer = "https://accounts.example.com", TokenSubject = "1234" }.Render());
        return list;
    }

    /// <summary>A certificate for the leaf key with exactly <paramref name="extensions"/>, in order, signed by the CA.</summary>
    public byte[] Issue(IEnumerable<X509Extension> extensions)
    {
        var request = new CertificateRequest(new X500DistinguishedName(""), LeafKey, HashAlgorithmName.SHA256);
        foreach (var e in extensions)
        {
            request.CertificateExtensions.Add(e);
        }

        using var cert = request.Create(Ca, NotBefore, NotAfter, Serial);
        return cert.RawData;
    }

    public byte[] IssuePrecert() => Issue([.. ProfileExtensions(), Poison()]);

    public byte[] IssueFinal(IEnumerable<SignedCertificateTimestamp> scts) =>
        Issue([.. ProfileExtensions(), SctList.ToExtension(scts)]);

    /// <summary>What a CT log does on add-pre-chain: strip the poison and sign the precert entry.</summary>
    public SignedCertificateTimestamp SignPrecert(byte[] precertDer, ulong timestamp, ECDsa? logKey = null)
    {
        var key = logKey ?? LogKey;
        byte[] tbs = Precertificate.RemoveExtension(Precertificate.ExtractTbs(precertDer), SigstoreOids.CtPoison);
        byte[] signed = SctSignedData.ForPrecert(timestamp, SHA256.HashData(CaSpki), tbs, []);
        byte[] signature = key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new SignedCertificateTimestamp(0, SctVerification.LogId(key.ExportSubjectPublicKeyInfo()), timestamp, [], 4, 3, signature);
    }

    public void Dispose()
    {
        CaKey.Dispose();
        Ca.Dispose();
        LeafKey.Dispose();
        LogKey.Dispose();
    }
}
