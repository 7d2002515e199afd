namespace PrivateSigstore.Core.Crypto;

/// <summary>
/// A signature scheme: key type plus the digest a signer applies (<c>PrivateSigstore.Keys.ISigningKey.Sign</c>). These are
/// the schemes Sigstore clients accept from a CA or a log (Fulcio's default
/// <c>--client-signing-algorithms</c> and sigstore-go's verifier defaults).
/// </summary>
public enum SigningAlgorithm
{
    /// <summary>ECDSA on NIST P-256 over SHA-256; ASN.1 DER signatures. The default for Rekor, CT logs and the CA.</summary>
    EcdsaP256Sha256,

    /// <summary>ECDSA on NIST P-384 over SHA-384; ASN.1 DER signatures.</summary>
    EcdsaP384Sha384,

    /// <summary>ECDSA on NIST P-521 over SHA-512; ASN.1 DER signatures.</summary>
    EcdsaP521Sha512,

    /// <summary>RSA (2048 to 4096 bits) PKCS#1 v1.5 over SHA-256.</summary>
    RsaPkcs1v15Sha256,

    /// <summary>Pure Ed25519 (RFC 8032) over the message itself; 64-byte signatures.</summary>
    Ed25519,
}
