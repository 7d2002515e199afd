using System.Text.Json;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// proto3 JSON reading and writing of the <c>dev.sigstore.trustroot.v1</c> messages. Writers emit fields in
/// proto declaration order and omit unset values, as protojson does.
/// </summary>
internal static class TrustJson
{
    internal static readonly ProtoEnum<ServiceSelector> Selectors = new(
        "dev.sigstore.trustroot.v1.ServiceSelector",
        (ServiceSelector.Undefined, "SERVICE_SELECTOR_UNDEFINED", 0),
        (ServiceSelector.All, "ALL", 1),
        (ServiceSelector.Any, "ANY", 2),
        (ServiceSelector.Exact, "EXACT", 3));

    private static readonly ProtoMessage LogInstanceMessage = new(
        "dev.sigstore.trustroot.v1.TransparencyLogInstance",
        "baseUrl|base_url", "hashAlgorithm|hash_algorithm", "publicKey|public_key", "logId|log_id",
        "checkpointKeyId|checkpoint_key_id", "operator");

    private static readonly ProtoMessage DistinguishedNameMessage = new(
        "dev.sigstore.common.v1.DistinguishedName", "organization", "commonName|common_name");

    private static readonly ProtoMessage AuthorityMessage = new(
        "dev.sigstore.trustroot.v1.CertificateAuthority",
        "subject", "uri", "certChain|cert_chain", "validFor|valid_for", "operator");

    private static readonly ProtoMessage TrustedRootMessage = new(
        "dev.sigstore.trustroot.v1.TrustedRoot",
        "mediaType|media_type", "tlogs", "certificateAuthorities|certificate_authorities", "ctlogs",
        "timestampAuthorities|timestamp_authorities");

    private static readonly ProtoMessage ServiceMessage = new(
        "dev.sigstore.trustroot.v1.Service", "url", "majorApiVersion|major_api_version", "validFor|valid_for", "operator");

    private static readonly ProtoMessage ServiceConfigurationMessage = new(
        "dev.sigstore.trustroot.v1.ServiceConfiguration", "selector", "count");

    private static readonly ProtoMessage SigningConfigMessage = new(
        "dev.sigstore.trustroot.v1.SigningConfig",
        "mediaType|media_type", "caUrls|ca_urls", "oidcUrls|oidc_urls", "rekorTlogUrls|rekor_tlog_urls",
        "rekorTlogConfig|rekor_tlog_config", "tsaUrls|tsa_urls", "tsaConfig|tsa_config");

    private static readonly ProtoMessage SigningConfigV01Message = new(
        "dev.sigstore.trustroot.v1.SigningConfig (v0.1)",
        "mediaType|media_type", "caUrl|ca_url", "oidcUrl|oidc_url", "tlogUrls|tlog_urls", "tsaUrls|tsa_urls");

    private static readonly ProtoMessage ClientTrustConfigMessage = new(
        "dev.sigstore.trustroot.v1.ClientTrustConfig",
        "mediaType|media_type", "trustedRoot|trusted_root", "signingConfig|signing_config");

    internal static TrustedRoot ReadTrustedRoot(JsonElement value, string path)
    {
        var f = TrustedRootMessage.Collect(value, path);
        return new TrustedRoot
        {
            MediaType = f.String(0),
            Tlogs = f.List(1, ReadLogInstance),
            CertificateAuthorities = f.List(2, ReadAuthority),
            Ctlogs = f.List(3, ReadLogInstance),
            TimestampAuthorities = f.List(4, ReadAuthority),
        };
    }

    internal static void WriteTrustedRoot(Utf8JsonWriter writer, TrustedRoot value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "mediaType", value.MediaType);
        ProtoJsonWriter.WriteList(writer, "tlogs", value.Tlogs, WriteLogInstance);
        ProtoJsonWriter.WriteList(writer, "certificateAuthorities", value.CertificateAuthorities, WriteAuthority);
        ProtoJsonWriter.WriteList(writer, "ctlogs", value.Ctlogs, WriteLogInstance);
        ProtoJsonWriter.WriteList(writer, "timestampAuthorities", value.TimestampAuthorities, WriteAuthority);
        writer.WriteEndObject();
    }

    internal static SigningConfig ReadSigningConfig(JsonElement value, string path)
    {
        var f = SigningConfigMessage.Collect(value, path);
        return new SigningConfig
        {
            MediaType = f.String(0),
            CaUrls = f.List(1, ReadService),
            OidcUrls = f.List(2, ReadService),
            RekorTlogUrls = f.List(3, ReadService),
            RekorTlogConfig = f.Message(4, ReadServiceConfiguration),
            TsaUrls = f.List(5, ReadService),
            TsaConfig = f.Message(6, ReadServiceConfiguration),
        };
    }

    internal static void WriteSigningConfig(Utf8JsonWriter writer, SigningConfig value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "mediaType", value.MediaType);
        ProtoJsonWriter.WriteList(writer, "caUrls", value.CaUrls, WriteService);
        ProtoJsonWriter.WriteList(writer, "oidcUrls", value.OidcUrls, WriteService);
        ProtoJsonWriter.WriteList(writer, "rekorTlogUrls", value.RekorTlogUrls, WriteService);
        ProtoJsonWriter.WriteMessage(writer, "rekorTlogConfig", value.RekorTlogConfig, WriteServiceConfiguration);
        ProtoJsonWriter.WriteList(writer, "tsaUrls", value.TsaUrls, WriteService);
        ProtoJsonWriter.WriteMessage(writer, "tsaConfig", value.TsaConfig, WriteServiceConfiguration);
        writer.WriteEndObject();
    }

    internal static SigningConfigV01 ReadSigningConfigV01(JsonElement value, string path)
    {
        var f = SigningConfigV01Message.Collect(value, path);
        return new SigningConfigV01
        {
            MediaType = f.String(0),
            CaUrl = f.String(1),
            OidcUrl = f.String(2),
            TlogUrls = f.List(3, ProtoJsonValue.ReadString),
            TsaUrls = f.List(4, ProtoJsonValue.ReadString),
        };
    }

    internal static void WriteSigningConfigV01(Utf8JsonWriter writer, SigningConfigV01 value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "mediaType", value.MediaType);
        ProtoJsonWriter.WriteString(writer, "caUrl", value.CaUrl);
        ProtoJsonWriter.WriteString(writer, "oidcUrl", value.OidcUrl);
        ProtoJsonWriter.WriteStringList(writer, "tlogUrls", value.TlogUrls);
        ProtoJsonWriter.WriteStringList(writer, "tsaUrls", value.TsaUrls);
        writer.WriteEndObject();
    }

    internal static ClientTrustConfig ReadClientTrustConfig(JsonElement value, string path)
    {
        var f = ClientTrustConfigMessage.Collect(value, path);
        return new ClientTrustConfig
        {
            MediaType = f.String(0),
            TrustedRoot = f.Message(1, ReadTrustedRoot),
            SigningConfig = f.Message(2, ReadSigningConfig),
        };
    }

    internal static void WriteClientTrustConfig(Utf8JsonWriter writer, ClientTrustConfig value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "mediaType", value.MediaType);
        ProtoJsonWriter.WriteMessage(writer, "trustedRoot", value.TrustedRoot, WriteTrustedRoot);
        ProtoJsonWriter.WriteMessage(writer, "signingConfig", value.SigningConfig, WriteSigningConfig);
        writer.WriteEndObject();
    }

    private static TransparencyLogInstance ReadLogInstance(JsonElement value, string path)
    {
        var f = LogInstanceMessage.Collect(value, path);
        return new TransparencyLogInstance
        {
            BaseUrl = f.String(0),
            HashAlgorithm = f.Enum(1, CommonJson.HashAlgorithms),
            PublicKey = f.Message(2, CommonJson.ReadPublicKey),
            LogId = f.Message(3, CommonJson.ReadLogId),
            CheckpointKeyId = f.Message(4, CommonJson.ReadLogId),
            Operator = f.String(5),
        };
    }

    private static void WriteLogInstance(Utf8JsonWriter writer, TransparencyLogInstance value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "baseUrl", value.BaseUrl);
        CommonJson.HashAlgorithms.WriteField(writer, "hashAlgorithm", value.HashAlgorithm);
        ProtoJsonWriter.WriteMessage(writer, "publicKey", value.PublicKey, CommonJson.WritePublicKey);
        ProtoJsonWriter.WriteMessage(writer, "logId", value.LogId, CommonJson.WriteLogId);
        ProtoJsonWriter.WriteMessage(writer, "checkpointKeyId", value.CheckpointKeyId, CommonJson.WriteLogId);
        ProtoJsonWriter.WriteString(writer, "operator", value.Operator);
        writer.WriteEndObject();
    }

    private static DistinguishedName ReadDistinguishedName(JsonElement value, string path)
    {
        var f = DistinguishedNameMessage.Collect(value, path);
        return new DistinguishedName { Organization = f.String(0), CommonName = f.String(1) };
    }

    private static void WriteDistinguishedName(Utf8JsonWriter writer, DistinguishedName value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "organization", value.Organization);
        ProtoJsonWriter.WriteString(writer, "commonName", value.CommonName);
        writer.WriteEndObject();
    }

    private static CertificateAuthority ReadAuthority(JsonElement value, string path)
    {
        var f = AuthorityMessage.Collect(value, path);
        return new CertificateAuthority
        {
            Subject = f.Message(0, ReadDistinguishedName),
            Uri = f.String(1),
            CertChain = f.Message(2, CommonJson.ReadCertificateChain),
            ValidFor = f.Message(3, CommonJson.ReadTimeRange),
            Operator = f.String(4),
        };
    }

    private static void WriteAuthority(Utf8JsonWriter writer, CertificateAuthority value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteMessage(writer, "subject", value.Subject, WriteDistinguishedName);
        ProtoJsonWriter.WriteString(writer, "uri", value.Uri);
        ProtoJsonWriter.WriteMessage(writer, "certChain", value.CertChain, CommonJson.WriteCertificateChain);
        ProtoJsonWriter.WriteMessage(writer, "validFor", value.ValidFor, CommonJson.WriteTimeRange);
        ProtoJsonWriter.WriteString(writer, "operator", value.Operator);
        writer.WriteEndObject();
    }

    private static Service ReadService(JsonElement value, string path)
    {
        var f = ServiceMessage.Collect(value, path);
        return new Service
        {
            Url = f.String(0),
            MajorApiVersion = f.UInt32(1),
            ValidFor = f.Message(2, CommonJson.ReadTimeRange),
            Operator = f.String(3),
        };
    }

    private static void WriteService(Utf8JsonWriter writer, Service value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "url", value.Url);
        ProtoJsonWriter.WriteUInt32(writer, "majorApiVersion", value.MajorApiVersion);
        ProtoJsonWriter.WriteMessage(writer, "validFor", value.ValidFor, CommonJson.WriteTimeRange);
        ProtoJsonWriter.WriteString(writer, "operator", value.Operator);
        writer.WriteEndObject();
    }

    private static ServiceConfiguration ReadServiceConfiguration(JsonElement value, string path)
    {
        var f = ServiceConfigurationMessage.Collect(value, path);
        return new ServiceConfiguration { Selector = f.Enum(0, Selectors), Count = f.UInt32(1) };
    }

    private static void WriteServiceConfiguration(Utf8JsonWriter writer, ServiceConfiguration value)
    {
        writer.WriteStartObject();
        Selectors.WriteField(writer, "selector", value.Selector);
        ProtoJsonWriter.WriteUInt32(writer, "count", value.Count);
        writer.WriteEndObject();
    }
}
