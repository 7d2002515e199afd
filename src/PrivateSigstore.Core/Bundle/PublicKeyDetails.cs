using System.Diagnostics.CodeAnalysis;

namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// Public key encodings and signature algorithms (<c>dev.sigstore.common.v1.PublicKeyDetails</c>), all
/// names of sigstore_common.proto including the deprecated ones. JSON carries the proto name given on each
/// member; <see cref="Unspecified"/> is the proto zero value and is omitted when written. Member values are
/// the proto numbers.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Key size and hash groups are separated as in the proto names.")]
public enum PublicKeyDetails
{
    /// <summary><c>PUBLIC_KEY_DETAILS_UNSPECIFIED</c> (0): not set.</summary>
    Unspecified = 0,

    /// <summary><c>PKCS1_RSA_PKCS1V5</c> (1), deprecated: PKCS#1 RSA key, PKCS#1 v1.5 signature.</summary>
    Pkcs1RsaPkcs1v5 = 1,

    /// <summary><c>PKCS1_RSA_PSS</c> (2), deprecated: PKCS#1 RSA key, RSASSA-PSS signature.</summary>
    Pkcs1RsaPss = 2,

    /// <summary><c>PKIX_RSA_PKCS1V5</c> (3), deprecated.</summary>
    PkixRsaPkcs1v5 = 3,

    /// <summary><c>PKIX_RSA_PSS</c> (4), deprecated.</summary>
    PkixRsaPss = 4,

    /// <summary><c>PKIX_ECDSA_P256_SHA_256</c> (5): ECDSA P-256 with SHA-256.</summary>
    PkixEcdsaP256Sha256 = 5,

    /// <summary><c>PKIX_ECDSA_P256_HMAC_SHA_256</c> (6), deprecated (RFC 6979).</summary>
    PkixEcdsaP256HmacSha256 = 6,

    /// <summary><c>PKIX_ED25519</c> (7): Ed25519 (RFC 8032).</summary>
    PkixEd25519 = 7,

    /// <summary><c>PKIX_ED25519_PH</c> (8): Ed25519ph (pre-hashed).</summary>
    PkixEd25519Ph = 8,

    /// <summary><c>PKIX_RSA_PKCS1V15_2048_SHA256</c> (9).</summary>
    PkixRsaPkcs1v15_2048_Sha256 = 9,

    /// <summary><c>PKIX_RSA_PKCS1V15_3072_SHA256</c> (10).</summary>
    PkixRsaPkcs1v15_3072_Sha256 = 10,

    /// <summary><c>PKIX_RSA_PKCS1V15_4096_SHA256</c> (11).</summary>
    PkixRsaPkcs1v15_4096_Sha256 = 11,

    /// <summary><c>PKIX_ECDSA_P384_SHA_384</c> (12).</summary>
    PkixEcdsaP384Sha384 = 12,

    /// <summary><c>PKIX_ECDSA_P521_SHA_512</c> (13).</summary>
    PkixEcdsaP521Sha512 = 13,

    /// <summary><c>LMS_SHA256</c> (14), deprecated (stateful).</summary>
    LmsSha256 = 14,

    /// <summary><c>LMOTS_SHA256</c> (15), deprecated (stateful, single use).</summary>
    LmotsSha256 = 15,

    /// <summary><c>PKIX_RSA_PSS_2048_SHA256</c> (16).</summary>
    PkixRsaPss_2048_Sha256 = 16,

    /// <summary><c>PKIX_RSA_PSS_3072_SHA256</c> (17).</summary>
    PkixRsaPss_3072_Sha256 = 17,

    /// <summary><c>PKIX_RSA_PSS_4096_SHA256</c> (18).</summary>
    PkixRsaPss_4096_Sha256 = 18,

    /// <summary><c>PKIX_ECDSA_P384_SHA_256</c> (19), deprecated.</summary>
    PkixEcdsaP384Sha256 = 19,

    /// <summary><c>PKIX_ECDSA_P521_SHA_256</c> (20), deprecated.</summary>
    PkixEcdsaP521Sha256 = 20,

    /// <summary><c>ML_DSA_65</c> (21): pure ML-DSA-65 (FIPS 204), experimental upstream.</summary>
    MlDsa65 = 21,

    /// <summary><c>ML_DSA_87</c> (22): pure ML-DSA-87 (FIPS 204), experimental upstream.</summary>
    MlDsa87 = 22,

    /// <summary><c>ML_DSA_44</c> (23): pure ML-DSA-44 (FIPS 204), experimental upstream.</summary>
    MlDsa44 = 23,
}
