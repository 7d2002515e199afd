using System.Formats.Asn1;
using System.Security.Cryptography;

namespace PrivateSigstore.Core.Crypto;

/// <summary>
/// Checks DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) the way Go's <c>x509.ParsePKIXPublicKey</c>
/// does for the algorithms Sigstore uses: ECDSA on a named NIST curve, RSA (NULL parameters) and
/// Ed25519 (no parameters, 32-byte key). Anything else is rejected.
/// </summary>
public static class PublicKeyInfo
{
    /// <summary>id-ecPublicKey (RFC 5480).</summary>
    public const string EcPublicKeyOid = "1.2.840.10045.2.1";

    /// <summary>rsaEncryption (RFC 8017).</summary>
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    /// <summary>id-Ed25519 (RFC 8410).</summary>
    public const string Ed25519Oid = "1.3.101.112";

    // Go's crypto/x509 namedCurveFromOID: P-224, P-256, P-384, P-521.
    private static readonly string[] NamedCurveOids = ["1.3.132.0.33", "1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35"];

    /// <summary>
    /// Returns the algorithm OID of a valid SubjectPublicKeyInfo; throws <see cref="WireFormatException"/>
    /// if <paramref name="der"/> is not strict DER, has trailing bytes, uses an unsupported algorithm
    /// or holds key material that does not import.
    /// </summary>
    public static string Validate(ReadOnlySpan<byte> der)
    {
        try
        {
            var outer = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var spki = outer.ReadSequence();
            RequireEnd(outer);
            var algorithm = spki.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            var key = spki.ReadBitString(out var unusedBits);
            RequireEnd(spki);
            if (unusedBits != 0)
            {
                throw new WireFormatException("public key: subjectPublicKey has unused bits");
            }

            switch (oid)
            {
                case EcPublicKeyOid:
                    // Go accepts only namedCurve parameters for the NIST curves.
                    var curve = algorithm.HasData ? algorithm.ReadObjectIdentifier() : throw new WireFormatException("public key: EC key without curve parameters");
                    RequireEnd(algorithm);
                    if (Array.IndexOf(NamedCurveOids, curve) < 0)
                    {
                        throw new WireFormatException($"public key: unsupported elliptic curve {curve}");
                    }

                    // Imports (and validates the point) once per distinct key; see ImportedKeys.
                    ImportedKeys.Ecdsa(der.ToArray());

                    break;
                case RsaEncryptionOid:
                    // Go: "x509: RSA key missing NULL parameters".
                    if (!algorithm.HasData)
                    {
                        throw new WireFormatException("public key: RSA key missing NULL parameters");
                    }

                    algorithm.ReadNull();
                    RequireEnd(algorithm);
                    ImportedKeys.Rsa(der.ToArray());

                    break;
                case Ed25519Oid:
                    // RFC 8410 §3: parameters MUST be absent; the key is 32 bytes.
                    RequireEnd(algorithm);
                    if (key.Length != 32)
                    {
                        throw new WireFormatException("public key: Ed25519 key is not 32 bytes");
                    }

                    break;
                default:
                    throw new WireFormatException($"public key: unsupported algorithm {oid}");
            }

            return oid;
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException($"public key: not a DER SubjectPublicKeyInfo ({e.Message})", e);
        }
        catch (CryptographicException e)
        {
            throw new WireFormatException($"public key: key material does not import ({e.Message})", e);
        }
    }

    /// <summary>
    /// Validates <paramref name="der"/> as <see cref="Validate"/> does and returns the key for verification: an
    /// <see cref="ECDsa"/> or <see cref="RSA"/> shared process-wide (imported once per distinct key; never dispose it), or
    /// for Ed25519 the 32-byte public key. Throws <see cref="WireFormatException"/> as <see cref="Validate"/> does.
    /// </summary>
    public static object ImportForVerification(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        var oid = Validate(der);
        try
        {
            return oid switch
            {
                EcPublicKeyOid => ImportedKeys.Ecdsa(der),
                RsaEncryptionOid => ImportedKeys.Rsa(der),
                _ => Ed25519.PublicKeyFromSubjectPublicKeyInfo(der),
            };
        }
        catch (CryptographicException e)
        {
            throw new WireFormatException($"public key: key material does not import ({e.Message})", e);
        }
    }

    private static void RequireEnd(AsnReader reader)
    {
        if (reader.HasData)
        {
            throw new WireFormatException("public key: unexpected data in SubjectPublicKeyInfo");
        }
    }
}
