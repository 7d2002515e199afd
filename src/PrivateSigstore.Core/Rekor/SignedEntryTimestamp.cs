using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Json;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Core.Rekor;

/// <summary>
/// The Rekor v1 Signed Entry Timestamp (SET, the bundle's <c>inclusionPromise</c>): an ASN.1 DER
/// ECDSA signature, with the log key, over SHA-256 of the RFC 8785 canonical JSON
/// <c>{"body","integratedTime","logID","logIndex"}</c> (rekor <c>pkg/api/entries.go signEntry</c>;
/// verified by rekor <c>pkg/verify VerifySignedEntryTimestamp</c>, sigstore-go <c>tlog.VerifySET</c>,
/// sigstore-js <c>verifyTLogSET</c>). sigstore-go accepts only ECDSA log keys here.
/// </summary>
public static class SignedEntryTimestamp
{
    /// <summary>
    /// The signed payload: canonical JSON of the entry's base64 body (exactly as in the response,
    /// standard base64 with padding), its integrated time (Unix seconds), the log ID (lower-case hex)
    /// and its <b>global</b> log index (the top-level <c>logIndex</c>, not the shard-local one).
    /// </summary>
    public static byte[] Payload(string bodyBase64, long integratedTime, string logIdHex, long logIndex)
    {
        ArgumentNullException.ThrowIfNull(bodyBase64);
        ArgumentNullException.ThrowIfNull(logIdHex);
        return CanonicalJson.Serialize(new JsonObject
        {
            ["body"] = bodyBase64,
            ["integratedTime"] = integratedTime,
            ["logID"] = logIdHex,
            ["logIndex"] = logIndex,
        });
    }

    /// <summary>Signs a payload as Rekor does: DER ECDSA over SHA-256 (<paramref name="logKey"/> stays owned by the caller).</summary>
    public static byte[] Sign(ReadOnlySpan<byte> payload, ECDsa logKey)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        return logKey.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>Reports whether <paramref name="signature"/> is a DER ECDSA-SHA256 signature of <paramref name="payload"/> by <paramref name="logKey"/>. Malformed signatures give false.</summary>
    public static bool Verify(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature, ECDsa logKey)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        try
        {
            return logKey.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// As <see cref="Verify(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ECDsa)"/> with the log key given
    /// as DER SubjectPublicKeyInfo. Throws <see cref="WireFormatException"/> if that is not an ECDSA key.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature, byte[] logKeySubjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(logKeySubjectPublicKeyInfo);
        if (PublicKeyInfo.Validate(logKeySubjectPublicKeyInfo) != PublicKeyInfo.EcPublicKeyOid)
        {
            throw new WireFormatException("SET: the log key is not an ECDSA key");
        }

        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(logKeySubjectPublicKeyInfo, out _);
        return Verify(payload, signature, key);
    }

    /// <summary>
    /// The Rekor v1 log ID: lower-case hex SHA-256 of the log key's DER SubjectPublicKeyInfo
    /// (rekor <c>pkg/sharding/ranges.go</c>; the hex of the trusted root's <c>logId.keyId</c>).
    /// </summary>
    public static string LogId(byte[] subjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        return Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));
    }
}
