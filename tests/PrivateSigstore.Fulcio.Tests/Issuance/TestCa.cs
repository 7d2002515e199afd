using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Fulcio.Tests.Issuance;

/// <summary>A root (P-384) and an issuing intermediate (P-256) made with <see cref="CaCertificates"/>, shared by the tests.</summary>
internal sealed class TestCa : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, 123, TimeSpan.Zero);

    public TestCa(SigningAlgorithm rootAlgorithm = SigningAlgorithm.EcdsaP384Sha384, SigningAlgorithm intermediateAlgorithm = SigningAlgorithm.EcdsaP256Sha256)
    {
        RootKey = InMemorySigningKey.Generate(rootAlgorithm);
        IntermediateKey = InMemorySigningKey.Generate(intermediateAlgorithm);
        Root = CaCertificates.CreateRoot(RootKey, "Test Root", "PrivateSigstore Tests", Now.AddDays(-1), Now.AddYears(10));
        Intermediate = CaCertificates.CreateIntermediate(
            PublicKey.CreateFromSubjectPublicKeyInfo(IntermediateKey.SubjectPublicKeyInfo, out _),
            "Test Intermediate",
            "PrivateSigstore Tests",
            Root,
            RootKey,
            Now.AddDays(-1),
            Now.AddYears(5));
    }

    public InMemorySigningKey RootKey { get; }

    public InMemorySigningKey IntermediateKey { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public X509Certificate2 Issue(PublicKey subjectKey, Principal principal, byte[]? serial = null) =>
        CertificateProfile.BuildLeaf(subjectKey, principal, Intermediate, IntermediateKey, Now, null, serial);

    /// <summary>Builds root → intermediate → leaf with a custom root and the code-signing application policy.</summary>
    public X509ChainStatusFlags Validate(X509Certificate2 leaf)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.ExtraStore.Add(Intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Now.AddMinutes(1).UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.3"));
        bool ok = chain.Build(leaf);
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
        Assert.True(ok, $"chain failed: {flags}");
        Assert.Equal(3, chain.ChainElements.Count);
        Assert.Equal(Root.Thumbprint, chain.ChainElements[2].Certificate.Thumbprint);
        return flags;
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
        RootKey.Dispose();
        IntermediateKey.Dispose();
    }
}
