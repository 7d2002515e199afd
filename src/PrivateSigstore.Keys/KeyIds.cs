using System.Security.Cryptography;

namespace PrivateSigstore.Keys;

/// <summary>Identifiers derived from public keys.</summary>
public static class KeyIds
{
    /// <summary>
    /// The 32-byte log ID of a log's public key: SHA-256 of its DER SubjectPublicKeyInfo (RFC 6962
    /// §3.2 for CT logs; the Rekor v1 <c>logID</c>; the trusted root's <c>logId.keyId</c>).
    /// </summary>
    public static byte[] LogId(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        return SHA256.HashData(spki);
    }
}
