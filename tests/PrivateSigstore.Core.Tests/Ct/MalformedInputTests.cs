using System.Security.Cryptography.X509Certificates;
using CsCheck;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

/// <summary>Random and mutated input reaches every parser; the only exception allowed out is WireFormatException.</summary>
public sealed class MalformedInputTests
{
    private static readonly byte[] Leaf = CtTestData.LeafOf(CtTestData.PublicGoodBundle);
    private static readonly byte[] OtherNameLeaf = CtTestData.LeafOf(CtTestData.OtherNameBundle);

    private static void OnlyWireFormatErrors(Action parse)
    {
        try
        {
            parse();
        }
        catch (WireFormatException)
        {
        }
    }

    private static Gen<byte[]> Mutated(byte[] original) =>
        Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte).Array[1, 4].Select(edits =>
        {
            byte[] copy = original.ToArray();
            foreach (var (index, value) in edits)
            {
                copy[index] = value;
            }

            return copy;
        });

    private static void AllCertificateParsers(byte[] der)
    {
        OnlyWireFormatErrors(() => Precertificate.ExtractTbs(der));
        OnlyWireFormatErrors(() => Precertificate.HasPoison(der));
        OnlyWireFormatErrors(() => Precertificate.GetTbsWithoutSctList(der));
        OnlyWireFormatErrors(() => Precertificate.RemoveExtension(der, SigstoreOids.CtPoison));
        foreach (string oid in new[] { SigstoreOids.SubjectAltName, SigstoreOids.SctList, SigstoreOids.IssuerV2, SigstoreOids.Issuer })
        {
            var ext = new X509Extension(oid, der, false);
            OnlyWireFormatErrors(() => SubjectAltNames.Read([ext]));
            OnlyWireFormatErrors(() => OtherNameSan.Decode([ext]));
            OnlyWireFormatErrors(() => SigstoreExtensions.Parse([ext]));
            OnlyWireFormatErrors(() => SctList.FromExtension(ext));
        }

        OnlyWireFormatErrors(() => SctList.Parse(der));
        OnlyWireFormatErrors(() => SignedCertificateTimestamp.Parse(der));
        OnlyWireFormatErrors(() => MerkleTreeLeaf.Parse(der));
    }

    [Fact]
    public void Random_bytes()
    {
        Gen.Byte.Array[0, 200].Sample(AllCertificateParsers, iter: 3000);
    }

    [Fact]
    public void Mutated_real_certificates()
    {
        Mutated(Leaf).Sample(AllCertificateParsers, iter: 1500);
        Mutated(OtherNameLeaf).Sample(AllCertificateParsers, iter: 1500);
    }

    [Fact]
    public void Mutated_SAN_and_SCT_list_values()
    {
        using var cert = X509CertificateLoader.LoadCertificate(Leaf);
        byte[] sctList = cert.Extensions[SigstoreOids.SctList]!.RawData;
        Mutated(sctList).Sample(AllCertificateParsers, iter: 1500);
        Mutated(OtherNameSan.Encode("foo!example.com")).Sample(AllCertificateParsers, iter: 1500);
    }

    [Fact]
    public void Mutated_certificates_through_VerifyEmbedded()
    {
        using var cert = X509CertificateLoader.LoadCertificate(Leaf);
        var sct = SctList.FromExtension(cert.Extensions[SigstoreOids.SctList]!)[0];
        using var key = CtTestData.EcKey(CtTestData.CtLogs(CtTestData.PublicGoodRoot).Single(l => l.LogId.AsSpan().SequenceEqual(sct.LogId)).Spki);
        using var issuer = X509CertificateLoader.LoadCertificate(CtTestData.CaCertificate(CtTestData.PublicGoodRoot, 1, 0));
        byte[] issuerSpki = issuer.PublicKey.ExportSubjectPublicKeyInfo();

        Mutated(Leaf).Sample(der => OnlyWireFormatErrors(() => SctVerification.VerifyEmbedded(der, issuerSpki, sct, key)), iter: 500);
        Mutated(sct.Signature).Where(sig => !sig.AsSpan().SequenceEqual(sct.Signature)).Sample(sig => Assert.False(SctVerification.VerifyEmbedded(Leaf, issuerSpki, sct with { Signature = sig }, key)), iter: 300);
    }
}
