using System.Text.Json;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// proto3 JSON reading and writing of the <c>dev.sigstore.common.v1</c> messages shared by bundles and
/// trust material. Writers emit fields in proto declaration order and omit unset values, as protojson does.
/// </summary>
internal static class CommonJson
{
    internal static readonly ProtoEnum<HashAlgorithm> HashAlgorithms = new(
        "dev.sigstore.common.v1.HashAlgorithm",
        (HashAlgorithm.Unspecified, "HASH_ALGORITHM_UNSPECIFIED", 0),
        (HashAlgorithm.Sha2_256, "SHA2_256", 1),
        (HashAlgorithm.Sha2_384, "SHA2_384", 2),
        (HashAlgorithm.Sha2_512, "SHA2_512", 3),
        (HashAlgorithm.Sha3_256, "SHA3_256", 4),
        (HashAlgorithm.Sha3_384, "SHA3_384", 5));

    internal static readonly ProtoEnum<PublicKeyDetails> KeyDetails = new(
        "dev.sigstore.common.v1.PublicKeyDetails",
        (PublicKeyDetails.Unspecified, "PUBLIC_KEY_DETAILS_UNSPECIFIED", 0),
        (PublicKeyDetails.Pkcs1RsaPkcs1v5, "PKCS1_RSA_PKCS1V5", 1),
        (PublicKeyDetails.Pkcs1RsaPss, "PKCS1_RSA_PSS", 2),
        (PublicKeyDetails.PkixRsaPkcs1v5, "PKIX_RSA_PKCS1V5", 3),
        (PublicKeyDetails.PkixRsaPss, "PKIX_RSA_PSS", 4),
        (PublicKeyDetails.PkixEcdsaP256Sha256, "PKIX_ECDSA_P256_SHA_256", 5),
        (PublicKeyDetails.PkixEcdsaP256HmacSha256, "PKIX_ECDSA_P256_HMAC_SHA_256", 6),
        (PublicKeyDetails.PkixEd25519, "PKIX_ED25519", 7),
        (PublicKeyDetails.PkixEd25519Ph, "PKIX_ED25519_PH", 8),
        (PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256, "PKIX_RSA_PKCS1V15_2048_SHA256", 9),
        (PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256, "PKIX_RSA_PKCS1V15_3072_SHA256", 10),
        (PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256, "PKIX_RSA_PKCS1V15_4096_SHA256", 11),
        (PublicKeyDetails.PkixEcdsaP384Sha384, "PKIX_ECDSA_P384_SHA_384", 12),
        (PublicKeyDetails.PkixEcdsaP521Sha512, "PKIX_ECDSA_P521_SHA_512", 13),
        (PublicKeyDetails.LmsSha256, "LMS_SHA256", 14),
        (PublicKeyDetails.LmotsSha256, "LMOTS_SHA256", 15),
        (PublicKeyDetails.PkixRsaPss_2048_Sha256, "PKIX_RSA_PSS_2048_SHA256", 16),
        (PublicKeyDetails.PkixRsaPss_3072_Sha256, "PKIX_RSA_PSS_3072_SHA256", 17),
        (PublicKeyDetails.PkixRsaPss_4096_Sha256, "PKIX_RSA_PSS_4096_SHA256", 18),
        (PublicKeyDetails.PkixEcdsaP384Sha256, "PKIX_ECDSA_P384_SHA_256", 19),
        (PublicKeyDetails.PkixEcdsaP521Sha256, "PKIX_ECDSA_P521_SHA_256", 20),
        (PublicKeyDetails.MlDsa65, "ML_DSA_65", 21),
        (PublicKeyDetails.MlDsa87, "ML_DSA_87", 22),
        (PublicKeyDetails.MlDsa44, "ML_DSA_44", 23));

    private static readonly ProtoMessage HashOutputMessage = new("dev.sigstore.common.v1.HashOutput", "algorithm", "digest");
    private static readonly ProtoMessage MessageSignatureMessage = new("dev.sigstore.common.v1.MessageSignature", "messageDigest|message_digest", "signature");
    private static readonly ProtoMessage LogIdMessage = new("dev.sigstore.common.v1.LogId", "keyId|key_id");
    private static readonly ProtoMessage Rfc3161Message = new("dev.sigstore.common.v1.RFC3161SignedTimestamp", "signedTimestamp|signed_timestamp");
    private static readonly ProtoMessage PublicKeyIdentifierMessage = new("dev.sigstore.common.v1.PublicKeyIdentifier", "hint");
    private static readonly ProtoMessage CertificateMessage = new("dev.sigstore.common.v1.X509Certificate", "rawBytes|raw_bytes");
    private static readonly ProtoMessage ChainMessage = new("dev.sigstore.common.v1.X509CertificateChain", "certificates");
    private static readonly ProtoMessage TimeRangeMessage = new("dev.sigstore.common.v1.TimeRange", "start", "end");
    private static readonly ProtoMessage PublicKeyMessage = new("dev.sigstore.common.v1.PublicKey", "rawBytes|raw_bytes", "keyDetails|key_details", "validFor|valid_for");

    internal static HashOutput ReadHashOutput(JsonElement value, string path)
    {
        var f = HashOutputMessage.Collect(value, path);
        return new HashOutput { Algorithm = f.Enum(0, HashAlgorithms), Digest = f.Bytes(1) };
    }

    internal static void WriteHashOutput(Utf8JsonWriter writer, HashOutput value)
    {
        writer.WriteStartObject();
        HashAlgorithms.WriteField(writer, "algorithm", value.Algorithm);
        ProtoJsonWriter.WriteBytes(writer, "digest", value.Digest);
        writer.WriteEndObject();
    }

    internal static MessageSignature ReadMessageSignature(JsonElement value, string path)
    {
        var f = MessageSignatureMessage.Collect(value, path);
        return new MessageSignature { MessageDigest = f.Message(0, ReadHashOutput), Signature = f.Bytes(1) };
    }

    internal static void WriteMessageSignature(Utf8JsonWriter writer, MessageSignature value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteMessage(writer, "messageDigest", value.MessageDigest, WriteHashOutput);
        ProtoJsonWriter.WriteBytes(writer, "signature", value.Signature);
        writer.WriteEndObject();
    }

    internal static LogId ReadLogId(JsonElement value, string path) =>
        new() { KeyId = LogIdMessage.Collect(value, path).Bytes(0) };

    internal static void WriteLogId(Utf8JsonWriter writer, LogId value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteBytes(writer, "keyId", value.KeyId);
        writer.WriteEndObject();
    }

    internal static Rfc3161SignedTimestamp ReadRfc3161SignedTimestamp(JsonElement value, string path) =>
        new() { SignedTimestamp = Rfc3161Message.Collect(value, path).Bytes(0) };

    internal static void WriteRfc3161SignedTimestamp(Utf8JsonWriter writer, Rfc3161SignedTimestamp value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteBytes(writer, "signedTimestamp", value.SignedTimestamp);
        writer.WriteEndObject();
    }

    internal static PublicKeyIdentifier ReadPublicKeyIdentifier(JsonElement value, string path) =>
        new() { Hint = PublicKeyIdentifierMessage.Collect(value, path).String(0) };

    internal static void WritePublicKeyIdentifier(Utf8JsonWriter writer, PublicKeyIdentifier value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "hint", value.Hint);
        writer.WriteEndObject();
    }

    internal static DerCertificate ReadCertificate(JsonElement value, string path) =>
        new() { RawBytes = CertificateMessage.Collect(value, path).Bytes(0) };

    internal static void WriteCertificate(Utf8JsonWriter writer, DerCertificate value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteBytes(writer, "rawBytes", value.RawBytes);
        writer.WriteEndObject();
    }

    internal static X509CertificateChain ReadCertificateChain(JsonElement value, string path) =>
        new() { Certificates = ChainMessage.Collect(value, path).List(0, ReadCertificate) };

    internal static void WriteCertificateChain(Utf8JsonWriter writer, X509CertificateChain value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteList(writer, "certificates", value.Certificates, WriteCertificate);
        writer.WriteEndObject();
    }

    internal static TimeRange ReadTimeRange(JsonElement value, string path)
    {
        var f = TimeRangeMessage.Collect(value, path);
        return new TimeRange { Start = f.Timestamp(0), End = f.Timestamp(1) };
    }

    internal static void WriteTimeRange(Utf8JsonWriter writer, TimeRange value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteTimestamp(writer, "start", value.Start);
        ProtoJsonWriter.WriteTimestamp(writer, "end", value.End);
        writer.WriteEndObject();
    }

    internal static PublicKeyMaterial ReadPublicKey(JsonElement value, string path)
    {
        var f = PublicKeyMessage.Collect(value, path);
        return new PublicKeyMaterial
        {
            RawBytes = f.OptionalBytes(0),
            KeyDetails = f.Enum(1, KeyDetails),
            ValidFor = f.Message(2, ReadTimeRange),
        };
    }

    internal static void WritePublicKey(Utf8JsonWriter writer, PublicKeyMaterial value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteOptionalBytes(writer, "rawBytes", value.RawBytes);
        KeyDetails.WriteField(writer, "keyDetails", value.KeyDetails);
        ProtoJsonWriter.WriteMessage(writer, "validFor", value.ValidFor, WriteTimeRange);
        writer.WriteEndObject();
    }
}
