using System.Security.Cryptography;

namespace PrivateSigstore.Core.Ct;

/// <summary>Checks embedded SCTs the way Sigstore clients do (sigstore-js <c>verifySCTs</c>), and computes log IDs.</summary>
public static class SctVerification
{
    /// <summary>A CT log's ID (RFC 6962 §3.2): SHA-256 of its public key's SubjectPublicKeyInfo DER.</summary>
    public static byte[] LogId(byte[] spkiDer)
    {
        ArgumentNullException.ThrowIfNull(spkiDer);
        return SHA256.HashData(spkiDer);
    }

    /// <summary>
    /// Verifies an SCT embedded in <paramref name="leafCertDer"/>: rebuilds the precertificate signed data from the
    /// final certificate (its TBS minus the SCT list extension, and SHA-256 of <paramref name="issuerSpkiDer"/>) and
    /// checks the DER ECDSA signature with SHA-256. Returns false for an SCT that is not v1 / SHA-256 / ECDSA or whose
    /// signature does not verify. The caller chooses <paramref name="ctLogKey"/> by matching the SCT's log ID; this
    /// method does not compare them.
    /// </summary>
    /// <param name="leafCertDer">The final certificate, DER.</param>
    /// <param name="issuerSpkiDer">SubjectPublicKeyInfo DER of the certificate directly above the leaf in the trusted chain.</param>
    /// <param name="sct">One SCT from the certificate's SCT list.</param>
    /// <param name="ctLogKey">The CT log's public key.</param>
    /// <exception cref="WireFormatException">The certificate is malformed or has no SCT list extension.</exception>
    public static bool VerifyEmbedded(byte[] leafCertDer, byte[] issuerSpkiDer, SignedCertificateTimestamp sct, ECDsa ctLogKey)
    {
        ArgumentNullException.ThrowIfNull(leafCertDer);
        ArgumentNullException.ThrowIfNull(issuerSpkiDer);
        ArgumentNullException.ThrowIfNull(sct);
        ArgumentNullException.ThrowIfNull(ctLogKey);

        byte[] tbs = Precertificate.GetTbsWithoutSctList(leafCertDer);
        return VerifyPrecert(tbs, issuerSpkiDer, sct, ctLogKey);
    }

    /// <summary>
    /// Verifies an SCT returned for a precertificate (add-pre-chain): the signed data is built from
    /// <paramref name="tbsWithoutPoison"/> (the precertificate's TBS minus the poison, or a final certificate's TBS
    /// minus the SCT list) and SHA-256 of <paramref name="issuerSpkiDer"/>. Same acceptance rules as
    /// <see cref="VerifyEmbedded"/>.
    /// </summary>
    public static bool VerifyPrecert(byte[] tbsWithoutPoison, byte[] issuerSpkiDer, SignedCertificateTimestamp sct, ECDsa ctLogKey)
    {
        ArgumentNullException.ThrowIfNull(tbsWithoutPoison);
        ArgumentNullException.ThrowIfNull(issuerSpkiDer);
        ArgumentNullException.ThrowIfNull(sct);
        return sct.Extensions is not null
            && VerifySignature(sct, SctSignedData.ForPrecert(sct.Timestamp, SHA256.HashData(issuerSpkiDer), tbsWithoutPoison, sct.Extensions), ctLogKey);
    }

    /// <summary>Verifies an SCT returned for a final certificate (add-chain, an x509_entry). Same acceptance rules as <see cref="VerifyEmbedded"/>.</summary>
    public static bool VerifyX509(byte[] certDer, SignedCertificateTimestamp sct, ECDsa ctLogKey)
    {
        ArgumentNullException.ThrowIfNull(certDer);
        ArgumentNullException.ThrowIfNull(sct);
        return sct.Extensions is not null
            && VerifySignature(sct, SctSignedData.ForX509(sct.Timestamp, certDer, sct.Extensions), ctLogKey);
    }

    private static bool VerifySignature(SignedCertificateTimestamp sct, byte[] signed, ECDsa ctLogKey)
    {
        ArgumentNullException.ThrowIfNull(ctLogKey);
        // RFC 6962 §3.2: v1 SCTs only; sigstore clients require SHA-256 and we accept only ECDSA keys here.
        if (sct.Version != SignedCertificateTimestamp.V1
            || sct.HashAlgorithm != SignedCertificateTimestamp.HashSha256
            || sct.SignatureAlgorithm != SignedCertificateTimestamp.SignatureEcdsa
            || sct.Signature is null)
        {
            return false;
        }

        try
        {
            return ctLogKey.VerifyData(signed, sct.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
