using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Core.Tests.Trust;

public sealed class TrustMaterialBuilderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Trusted_root_lists_the_ca_chain_logs_and_keys_with_validity_and_round_trips()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=Test Root, O=Example", rootKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = request.CreateSelfSigned(Start, Start.AddYears(1));
        using var rekor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ct = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var trustedRoot = TrustMaterialBuilder.TrustedRoot(
            [new TrustedAuthority("http://127.0.0.1:5555", [root.RawData], Start)],
            [new TrustedLog("http://127.0.0.1:3000", rekor.ExportSubjectPublicKeyInfo(), Start)],
            [new TrustedLog("http://127.0.0.1:6962", ct.ExportSubjectPublicKeyInfo(), Start, Start.AddDays(30))]);

        string json = TrustedRootJson.Serialize(trustedRoot);
        var parsed = TrustedRootJson.Parse(json);
        Assert.Equal(TrustedRootMediaType.V0_1, parsed.MediaType);
        var ca = Assert.Single(parsed.CertificateAuthorities);
        Assert.Equal("Example", ca.Subject!.Organization);
        Assert.Equal("Test Root", ca.Subject.CommonName);
        Assert.Equal(root.RawData, Assert.Single(ca.CertChain!.Certificates).RawBytes);
        Assert.Equal(ProtoTimestamp.FromDateTimeOffset(Start), ca.ValidFor!.Start);
        var tlog = Assert.Single(parsed.Tlogs);
        Assert.Equal(SHA256.HashData(rekor.ExportSubjectPublicKeyInfo()), tlog.LogId!.KeyId);
        Assert.Equal(PublicKeyDetails.PkixEcdsaP256Sha256, tlog.PublicKey!.KeyDetails);
        var ctlog = Assert.Single(parsed.Ctlogs);
        Assert.Equal(ProtoTimestamp.FromDateTimeOffset(Start.AddDays(30)), ctlog.PublicKey!.ValidFor!.End);

        // The wire names clients read (protobuf JSON, camelCase).
        var node = JsonNode.Parse(json)!;
        Assert.Equal("SHA2_256", node["tlogs"]![0]!["hashAlgorithm"]!.GetValue<string>());
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", node["ctlogs"]![0]!["publicKey"]!["keyDetails"]!.GetValue<string>());
        Assert.NotNull(node["certificateAuthorities"]![0]!["certChain"]!["certificates"]![0]!["rawBytes"]);
    }

    [Fact]
    public void Signing_config_v02_names_one_ca_oidc_provider_and_rekor()
    {
        var config = TrustMaterialBuilder.SigningConfig("http://127.0.0.1:5555", "http://127.0.0.1:5556", "http://127.0.0.1:3000", Start);
        var parsed = SigningConfigJson.Parse(SigningConfigJson.Serialize(config));
        Assert.Equal(SigningConfigMediaType.V0_2, parsed.MediaType);
        Assert.Equal("http://127.0.0.1:5555", Assert.Single(parsed.CaUrls).Url);
        Assert.Equal("http://127.0.0.1:5556", Assert.Single(parsed.OidcUrls).Url);
        var rekor = Assert.Single(parsed.RekorTlogUrls);
        Assert.Equal(1u, rekor.MajorApiVersion);
        Assert.Equal(ServiceSelector.Any, parsed.RekorTlogConfig!.Selector);
    }

    [Fact]
    public void Unsupported_keys_are_refused()
    {
        using var dsa = ECDsa.Create(ECCurve.CreateFromFriendlyName("brainpoolP256r1"));
        Assert.Throws<ArgumentException>(() => TrustMaterialBuilder.KeyDetails(dsa.ExportSubjectPublicKeyInfo()));
        Assert.Throws<ArgumentException>(() => TrustMaterialBuilder.KeyDetails([1, 2, 3]));
    }
}
