using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>A test PKI as Fulcio runs one: root → intermediate → code-signing leaves and poisoned precertificates.</summary>
internal sealed class TestCa : IDisposable
{
    private static readonly DateTimeOffset NotBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
    private static readonly DateTimeOffset NotAfter = DateTimeOffset.UtcNow.AddMinutes(10);

    public TestCa(string name = "test")
    {
        RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootReq = new CertificateRequest($"CN={name} root, O=PrivateSigstore", RootKey, HashAlgorithmName.SHA384);
        rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = rootReq.CreateSelfSigned(NotBefore.AddDays(-1), NotAfter.AddDays(365));

        IntermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intReq = new CertificateRequest($"CN={name} intermediate, O=PrivateSigstore", IntermediateKey, HashAlgorithmName.SHA384);
        intReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CtLogOptions.CodeSigningEku)], false));
        using var intPublic = intReq.Create(Root, NotBefore.AddDays(-1), NotAfter.AddDays(300), Serial());
        Intermediate = intPublic.CopyWithPrivateKey(IntermediateKey);
    }

    public ECDsa RootKey { get; }

    public X509Certificate2 Root { get; }

    public ECDsa IntermediateKey { get; }

    public X509Certificate2 Intermediate { get; }

    public string RootPem => Root.ExportCertificatePem() + "\n";

    /// <summary>The chain Fulcio sends: leaf, intermediate, root.</summary>
    public List<byte[]> Chain(byte[] leaf) => [leaf, Intermediate.RawData, Root.RawData];

    /// <summary>A final code-signing certificate (no poison).</summary>
    public byte[] Leaf(string eku = CtLogOptions.CodeSigningEku) => Issue(LeafRequest(eku), Serial()).RawData;

    /// <summary>A precertificate: the leaf profile plus the critical poison extension (value ASN.1 NULL), last.</summary>
    public (byte[] Precert, byte[] Serial, CertificateRequest Request) Precert(bool criticalPoison = true)
    {
        var req = LeafRequest(CtLogOptions.CodeSigningEku);
        var serial = Serial();
        req.CertificateExtensions.Add(new X509Extension(new Oid(SigstoreOids.CtPoison), [0x05, 0x00], criticalPoison));
        return (Issue(req, serial).RawData, serial, req);
    }

    /// <summary>The final certificate for a precertificate: its extensions minus the poison, plus the SCT list, same serial.</summary>
    public byte[] Finalize(CertificateRequest precertRequest, byte[] serial, SignedCertificateTimestamp sct)
    {
        var req = new CertificateRequest(precertRequest.SubjectName, precertRequest.PublicKey, HashAlgorithmName.SHA256);
        foreach (var e in precertRequest.CertificateExtensions)
        {
            if (e.Oid?.Value != SigstoreOids.CtPoison) req.CertificateExtensions.Add(e);
        }
        req.CertificateExtensions.Add(SctList.ToExtension([sct]));
        return Issue(req, serial).RawData;
    }

    private static CertificateRequest LeafRequest(string eku)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress($"signer-{Guid.NewGuid():N}@example.com");
        req.CertificateExtensions.Add(san.Build(true));
        return req;
    }

    private X509Certificate2 Issue(CertificateRequest req, byte[] serial) =>
        req.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(IntermediateKey), NotBefore, NotAfter, serial);

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
        RootKey.Dispose();
        IntermediateKey.Dispose();
    }
}
