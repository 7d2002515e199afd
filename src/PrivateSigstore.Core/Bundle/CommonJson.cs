using System.Text.Json;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// proto3 JSON codecs of the <c>dev.sigstore.common.v1</c> messages shared by bundles and trust material, each
/// field declared once (<see cref="ProtoCodec{T}"/>): read as protojson reads, written in declaration order with unset
/// values omitted, as protojson writes.
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

    internal static readonly ProtoCodec<HashOutput> HashOutputCodec = new(
        "dev.sigstore.common.v1.HashOutput",
        ProtoField.Enum("algorithm", HashAlgorithms, (HashOutput m) => m.Algorithm, (m, v) => m with { Algorithm = v }),
        ProtoField.Bytes("digest", (HashOutput m) => m.Digest, (m, v) => m with { Digest = v }));

    internal static readonly ProtoCodec<MessageSignature> MessageSignatureCodec = new(
        "dev.sigstore.common.v1.MessageSignature",
        ProtoField.Message("messageDigest|message_digest", HashOutputCodec, (MessageSignature m) => m.MessageDigest, (m, v) => m with { MessageDigest = v }),
        ProtoField.Bytes("signature", (MessageSignature m) => m.Signature, (m, v) => m with { Signature = v }));

    internal static readonly ProtoCodec<LogId> LogIdCodec = new(
        "dev.sigstore.common.v1.LogId",
        ProtoField.Bytes("keyId|key_id", (LogId m) => m.KeyId, (m, v) => m with { KeyId = v }));

    internal static readonly ProtoCodec<Rfc3161SignedTimestamp> Rfc3161SignedTimestampCodec = new(
        "dev.sigstore.common.v1.RFC3161SignedTimestamp",
        ProtoField.Bytes("signedTimestamp|signed_timestamp", (Rfc3161SignedTimestamp m) => m.SignedTimestamp, (m, v) => m with { SignedTimestamp = v }));

    internal static readonly ProtoCodec<PublicKeyIdentifier> PublicKeyIdentifierCodec = new(
        "dev.sigstore.common.v1.PublicKeyIdentifier",
        ProtoField.String("hint", (PublicKeyIdentifier m) => m.Hint, (m, v) => m with { Hint = v }));

    internal static readonly ProtoCodec<DerCertificate> CertificateCodec = new(
        "dev.sigstore.common.v1.X509Certificate",
        ProtoField.Bytes("rawBytes|raw_bytes", (DerCertificate m) => m.RawBytes, (m, v) => m with { RawBytes = v }));

    internal static readonly ProtoCodec<X509CertificateChain> CertificateChainCodec = new(
        "dev.sigstore.common.v1.X509CertificateChain",
        ProtoField.List("certificates", CertificateCodec, (X509CertificateChain m) => m.Certificates, (m, v) => m with { Certificates = v }));

    internal static readonly ProtoCodec<TimeRange> TimeRangeCodec = new(
        "dev.sigstore.common.v1.TimeRange",
        ProtoField.Timestamp("start", (TimeRange m) => m.Start, (m, v) => m with { Start = v }),
        ProtoField.Timestamp("end", (TimeRange m) => m.End, (m, v) => m with { End = v }));

    internal static readonly ProtoCodec<PublicKeyMaterial> PublicKeyCodec = new(
        "dev.sigstore.common.v1.PublicKey",
        ProtoField.OptionalBytes("rawBytes|raw_bytes", (PublicKeyMaterial m) => m.RawBytes, (m, v) => m with { RawBytes = v }),
        ProtoField.Enum("keyDetails|key_details", KeyDetails, (PublicKeyMaterial m) => m.KeyDetails, (m, v) => m with { KeyDetails = v }),
        ProtoField.Message("validFor|valid_for", TimeRangeCodec, (PublicKeyMaterial m) => m.ValidFor, (m, v) => m with { ValidFor = v }));
}
