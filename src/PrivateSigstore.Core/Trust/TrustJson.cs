using System.Text.Json;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// proto3 JSON codecs of the <c>dev.sigstore.trustroot.v1</c> messages, each field declared once
/// (<see cref="ProtoCodec{T}"/>): read as protojson reads, written in declaration order with unset values omitted.
/// </summary>
internal static class TrustJson
{
    internal static readonly ProtoEnum<ServiceSelector> Selectors = new(
        "dev.sigstore.trustroot.v1.ServiceSelector",
        (ServiceSelector.Undefined, "SERVICE_SELECTOR_UNDEFINED", 0),
        (ServiceSelector.All, "ALL", 1),
        (ServiceSelector.Any, "ANY", 2),
        (ServiceSelector.Exact, "EXACT", 3));

    // Leaf messages first: a codec is built from the codecs of its message fields.
    private static readonly ProtoCodec<TransparencyLogInstance> LogInstanceCodec = new(
        "dev.sigstore.trustroot.v1.TransparencyLogInstance",
        ProtoField.String("baseUrl|base_url", (TransparencyLogInstance m) => m.BaseUrl, (m, v) => m with { BaseUrl = v }),
        ProtoField.Enum("hashAlgorithm|hash_algorithm", CommonJson.HashAlgorithms, (TransparencyLogInstance m) => m.HashAlgorithm, (m, v) => m with { HashAlgorithm = v }),
        ProtoField.Message("publicKey|public_key", CommonJson.PublicKeyCodec, (TransparencyLogInstance m) => m.PublicKey, (m, v) => m with { PublicKey = v }),
        ProtoField.Message("logId|log_id", CommonJson.LogIdCodec, (TransparencyLogInstance m) => m.LogId, (m, v) => m with { LogId = v }),
        ProtoField.Message("checkpointKeyId|checkpoint_key_id", CommonJson.LogIdCodec, (TransparencyLogInstance m) => m.CheckpointKeyId, (m, v) => m with { CheckpointKeyId = v }),
        ProtoField.String("operator", (TransparencyLogInstance m) => m.Operator, (m, v) => m with { Operator = v }));

    private static readonly ProtoCodec<DistinguishedName> DistinguishedNameCodec = new(
        "dev.sigstore.common.v1.DistinguishedName",
        ProtoField.String("organization", (DistinguishedName m) => m.Organization, (m, v) => m with { Organization = v }),
        ProtoField.String("commonName|common_name", (DistinguishedName m) => m.CommonName, (m, v) => m with { CommonName = v }));

    private static readonly ProtoCodec<CertificateAuthority> AuthorityCodec = new(
        "dev.sigstore.trustroot.v1.CertificateAuthority",
        ProtoField.Message("subject", DistinguishedNameCodec, (CertificateAuthority m) => m.Subject, (m, v) => m with { Subject = v }),
        ProtoField.String("uri", (CertificateAuthority m) => m.Uri, (m, v) => m with { Uri = v }),
        ProtoField.Message("certChain|cert_chain", CommonJson.CertificateChainCodec, (CertificateAuthority m) => m.CertChain, (m, v) => m with { CertChain = v }),
        ProtoField.Message("validFor|valid_for", CommonJson.TimeRangeCodec, (CertificateAuthority m) => m.ValidFor, (m, v) => m with { ValidFor = v }),
        ProtoField.String("operator", (CertificateAuthority m) => m.Operator, (m, v) => m with { Operator = v }));

    private static readonly ProtoCodec<Service> ServiceCodec = new(
        "dev.sigstore.trustroot.v1.Service",
        ProtoField.String("url", (Service m) => m.Url, (m, v) => m with { Url = v }),
        ProtoField.UInt32("majorApiVersion|major_api_version", (Service m) => m.MajorApiVersion, (m, v) => m with { MajorApiVersion = v }),
        ProtoField.Message("validFor|valid_for", CommonJson.TimeRangeCodec, (Service m) => m.ValidFor, (m, v) => m with { ValidFor = v }),
        ProtoField.String("operator", (Service m) => m.Operator, (m, v) => m with { Operator = v }));

    private static readonly ProtoCodec<ServiceConfiguration> ServiceConfigurationCodec = new(
        "dev.sigstore.trustroot.v1.ServiceConfiguration",
        ProtoField.Enum("selector", Selectors, (ServiceConfiguration m) => m.Selector, (m, v) => m with { Selector = v }),
        ProtoField.UInt32("count", (ServiceConfiguration m) => m.Count, (m, v) => m with { Count = v }));

    internal static readonly ProtoCodec<TrustedRoot> TrustedRootCodec = new(
        "dev.sigstore.trustroot.v1.TrustedRoot",
        ProtoField.String("mediaType|media_type", (TrustedRoot m) => m.MediaType, (m, v) => m with { MediaType = v }),
        ProtoField.List("tlogs", LogInstanceCodec, (TrustedRoot m) => m.Tlogs, (m, v) => m with { Tlogs = v }),
        ProtoField.List("certificateAuthorities|certificate_authorities", AuthorityCodec, (TrustedRoot m) => m.CertificateAuthorities, (m, v) => m with { CertificateAuthorities = v }),
        ProtoField.List("ctlogs", LogInstanceCodec, (TrustedRoot m) => m.Ctlogs, (m, v) => m with { Ctlogs = v }),
        ProtoField.List("timestampAuthorities|timestamp_authorities", AuthorityCodec, (TrustedRoot m) => m.TimestampAuthorities, (m, v) => m with { TimestampAuthorities = v }));

    internal static readonly ProtoCodec<SigningConfig> SigningConfigCodec = new(
        "dev.sigstore.trustroot.v1.SigningConfig",
        ProtoField.String("mediaType|media_type", (SigningConfig m) => m.MediaType, (m, v) => m with { MediaType = v }),
        ProtoField.List("caUrls|ca_urls", ServiceCodec, (SigningConfig m) => m.CaUrls, (m, v) => m with { CaUrls = v }),
        ProtoField.List("oidcUrls|oidc_urls", ServiceCodec, (SigningConfig m) => m.OidcUrls, (m, v) => m with { OidcUrls = v }),
        ProtoField.List("rekorTlogUrls|rekor_tlog_urls", ServiceCodec, (SigningConfig m) => m.RekorTlogUrls, (m, v) => m with { RekorTlogUrls = v }),
        ProtoField.Message("rekorTlogConfig|rekor_tlog_config", ServiceConfigurationCodec, (SigningConfig m) => m.RekorTlogConfig, (m, v) => m with { RekorTlogConfig = v }),
        ProtoField.List("tsaUrls|tsa_urls", ServiceCodec, (SigningConfig m) => m.TsaUrls, (m, v) => m with { TsaUrls = v }),
        ProtoField.Message("tsaConfig|tsa_config", ServiceConfigurationCodec, (SigningConfig m) => m.TsaConfig, (m, v) => m with { TsaConfig = v }));

    internal static readonly ProtoCodec<SigningConfigV01> SigningConfigV01Codec = new(
        "dev.sigstore.trustroot.v1.SigningConfig (v0.1)",
        ProtoField.String("mediaType|media_type", (SigningConfigV01 m) => m.MediaType, (m, v) => m with { MediaType = v }),
        ProtoField.String("caUrl|ca_url", (SigningConfigV01 m) => m.CaUrl, (m, v) => m with { CaUrl = v }),
        ProtoField.String("oidcUrl|oidc_url", (SigningConfigV01 m) => m.OidcUrl, (m, v) => m with { OidcUrl = v }),
        ProtoField.StringList("tlogUrls|tlog_urls", (SigningConfigV01 m) => m.TlogUrls, (m, v) => m with { TlogUrls = v }),
        ProtoField.StringList("tsaUrls|tsa_urls", (SigningConfigV01 m) => m.TsaUrls, (m, v) => m with { TsaUrls = v }));

    internal static readonly ProtoCodec<ClientTrustConfig> ClientTrustConfigCodec = new(
        "dev.sigstore.trustroot.v1.ClientTrustConfig",
        ProtoField.String("mediaType|media_type", (ClientTrustConfig m) => m.MediaType, (m, v) => m with { MediaType = v }),
        ProtoField.Message("trustedRoot|trusted_root", TrustedRootCodec, (ClientTrustConfig m) => m.TrustedRoot, (m, v) => m with { TrustedRoot = v }),
        ProtoField.Message("signingConfig|signing_config", SigningConfigCodec, (ClientTrustConfig m) => m.SigningConfig, (m, v) => m with { SigningConfig = v }));

    internal static TrustedRoot ReadTrustedRoot(JsonElement value, string path) => TrustedRootCodec.Read(value, path);

    internal static void WriteTrustedRoot(Utf8JsonWriter writer, TrustedRoot value) => TrustedRootCodec.Write(writer, value);

    internal static SigningConfig ReadSigningConfig(JsonElement value, string path) => SigningConfigCodec.Read(value, path);

    internal static void WriteSigningConfig(Utf8JsonWriter writer, SigningConfig value) => SigningConfigCodec.Write(writer, value);

    internal static SigningConfigV01 ReadSigningConfigV01(JsonElement value, string path) => SigningConfigV01Codec.Read(value, path);

    internal static void WriteSigningConfigV01(Utf8JsonWriter writer, SigningConfigV01 value) => SigningConfigV01Codec.Write(writer, value);

    internal static ClientTrustConfig ReadClientTrustConfig(JsonElement value, string path) => ClientTrustConfigCodec.Read(value, path);

    internal static void WriteClientTrustConfig(Utf8JsonWriter writer, ClientTrustConfig value) => ClientTrustConfigCodec.Write(writer, value);
}
