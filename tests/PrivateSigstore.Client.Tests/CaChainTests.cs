using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Client.Verification;
using Xunit;

namespace PrivateSigstore.Client.Tests;

/// <summary>
/// The CA chain check of a trusted root (<see cref="CertificatePath"/>): every certificate below the anchor must be signed
/// by the next; the anchor's own self-signature is not checked, as in Go's x509 (sigstore-go), because the trusted root
/// vouches for the anchor itself.
/// </summary>
public sealed class CaChainTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static (X509Certificate2 Intermediate, X509Certificate2 Root) Chain(ECDsa rootKey, ECDsa intermediateKey, ECDsa? intermediateSigner = null)
    {
        var rootRequest = new CertificateRequest("CN=test root", rootKey, HashAlgorithmName.SHA384);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var root = rootRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(30));
        var request = new CertificateRequest("CN=test intermediate", intermediateKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var signer = intermediateSigner ?? rootKey;
        var intermediate = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(signer), Now.AddDays(-1), Now.AddDays(10), [1, 2, 3]);
        return (intermediate, root);
    }

    [Fact]
    public void A_chain_whose_intermediate_the_root_signed_is_usable()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var (intermediate, root) = Chain(rootKey, intermediateKey);
        Assert.Null(new CertificatePath([intermediate, root]).Problem);
    }

    [Fact]
    public void An_intermediate_not_signed_by_the_root_is_refused()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var (intermediate, root) = Chain(rootKey, intermediateKey, otherKey);
        Assert.Equal("\"CN=test intermediate\" is not signed by \"CN=test root\"", new CertificatePath([intermediate, root]).Problem);
    }

    [Fact]
    public void The_anchor_self_signature_is_not_checked_as_in_go()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var (intermediate, root) = Chain(rootKey, intermediateKey);
        // Flip the last byte of the root's signature: the certificate still parses, its self-signature no longer verifies.
        var der = root.RawData;
        der[^1] ^= 0x01;
        using var tampered = X509CertificateLoader.LoadCertificate(der);
        Assert.Null(new CertificatePath([intermediate, tampered]).Problem);
    }
}
