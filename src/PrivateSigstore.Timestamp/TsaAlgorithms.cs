using System.Security.Cryptography;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Timestamp;

/// <summary>The digest each TSA key algorithm signs with (<see cref="ISigningKey.Sign"/> hashes with it) and its CMS identifiers.</summary>
internal static class TsaAlgorithms
{
    /// <summary>The digest <see cref="ISigningKey.Sign"/> applies for <paramref name="algorithm"/>; Ed25519 is not a TSA algorithm.</summary>
    public static HashAlgorithmName Hash(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.RsaPkcs1v15Sha256 => HashAlgorithmName.SHA256,
        SigningAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
        SigningAlgorithm.EcdsaP521Sha512 => HashAlgorithmName.SHA512,
        _ => throw new NotSupportedException($"{algorithm} keys cannot sign timestamps here: Sigstore clients verify RFC 3161 tokens signed with ECDSA or RSA"),
    };

    /// <summary>The digest's OID (RFC 5754).</summary>
    public static string DigestOid(this SigningAlgorithm algorithm) => algorithm.Hash().Name switch
    {
        "SHA384" => TimestampQuery.Sha384Oid,
        "SHA512" => TimestampQuery.Sha512Oid,
        _ => TimestampQuery.Sha256Oid,
    };

    /// <summary>Hashes <paramref name="data"/> with the key's digest.</summary>
    public static byte[] HashData(this SigningAlgorithm algorithm, ReadOnlySpan<byte> data) => algorithm.Hash().Name switch
    {
        "SHA384" => SHA384.HashData(data),
        "SHA512" => SHA512.HashData(data),
        _ => SHA256.HashData(data),
    };
}
