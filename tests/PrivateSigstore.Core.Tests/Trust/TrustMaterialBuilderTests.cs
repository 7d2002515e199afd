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
    public void A_rekor_v2_log_is_named_by_its_ed25519_note_key_id_and_timestamp_authorities_are_listed()
    {
        var raw = PrivateSigstore.Core.Crypto.Ed25519.PublicKeyFromSeed(new byte[32]);
        var spki = PrivateSigstore.Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(raw);
        using var tsaRootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=TSA Root, O=Example", tsaRootKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var tsaRoot = request.CreateSelfSigned(Start, Start.AddYears(1));

        var trustedRoot = TrustMaterialBuilder.TrustedRoot([],
            [new TrustedLog("https://log2026-1.rekor.example.com", spki, Start, CheckpointOrigin: "log2026-1.rekor.example.com"),
             new TrustedLog("http://127.0.0.1:3000", spki, Start)],
            [],
            [new TrustedAuthority("http://127.0.0.1:3004/api/v1/timestamp", [tsaRoot.RawData], Start)]);

        var parsed = TrustedRootJson.Parse(TrustedRootJson.Serialize(trustedRoot));
        // C2SP signed-note key ID: SHA-256(origin || 0x0A || 0x01 || key) (reference/client.md §7.4).
        byte[] expected = SHA256.HashData([.. "log2026-1.rekor.example.com"u8, 0x0A, 0x01, .. raw]);
        Assert.Equal(expected, parsed.Tlogs[0].LogId!.KeyId);
        Assert.Equal(PublicKeyDetails.PkixEd25519, parsed.Tlogs[0].PublicKey!.KeyDetails);
        Assert.Equal(SHA256.HashData(spki), parsed.Tlogs[1].LogId!.KeyId); // without an origin: the v1 rule
        var tsa = Assert.Single(parsed.TimestampAuthorities);
        Assert.Equal("http://127.0.0.1:3004/api/v1/timestamp", tsa.Uri);
        Assert.Equal("TSA Root", tsa.Subject!.CommonName);
        Assert.Equal(tsaRoot.RawData, Assert.Single(tsa.CertChain!.Certificates).RawBytes);
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
