using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>A CA as Fulcio runs one (root → intermediate → code-signing leaves and poisoned precertificates), for the CT log's writers.</summary>
internal sealed class CtTestCa : IDisposable
{
    private const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";
    private static readonly DateTimeOffset NotBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
    private static readonly DateTimeOffset NotAfter = DateTimeOffset.UtcNow.AddHours(2);
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public CtTestCa()
    {
        var rootReq = new CertificateRequest("CN=crash test root, O=PrivateSigstore", _rootKey, HashAlgorithmName.SHA384);
        rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = rootReq.CreateSelfSigned(NotBefore.AddDays(-1), NotAfter.AddDays(365));
        var intReq = new CertificateRequest("CN=crash test intermediate, O=PrivateSigstore", _intermediateKey, HashAlgorithmName.SHA384);
        intReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CodeSigningEku)], false));
        Intermediate = intReq.Create(Root, NotBefore.AddDays(-1), NotAfter.AddDays(300), Serial());
        IssuerSpki = Intermediate.PublicKey.ExportSubjectPublicKeyInfo();
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public byte[] IssuerSpki { get; }

    /// <summary>leaf, intermediate, root: what Fulcio sends.</summary>
    public List<byte[]> Chain(byte[] leaf) => [leaf, Intermediate.RawData, Root.RawData];

    /// <summary>A final code-signing certificate, or (<paramref name="precert"/>) one with the critical poison extension.</summary>
    public byte[] Leaf(bool precert)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CodeSigningEku)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress($"signer-{Guid.NewGuid():N}@example.com");
        req.CertificateExtensions.Add(san.Build(true));
        if (precert)
        {
            req.CertificateExtensions.Add(new X509Extension(new Oid(SigstoreOids.CtPoison), [0x05, 0x00], true));
        }

        using var cert = req.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(_intermediateKey), NotBefore, NotAfter, Serial());
        return cert.RawData;
    }

    private static byte[] Serial()
    {
        var s = RandomNumberGenerator.GetBytes(16);
        s[0] &= 0x7F;
        s[0] |= 0x01;
        return s;
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
        _rootKey.Dispose();
        _intermediateKey.Dispose();
    }
}
