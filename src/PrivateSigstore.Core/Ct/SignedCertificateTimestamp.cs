namespace PrivateSigstore.Core.Ct;

/// <summary>
/// An RFC 6962 §3.2 <c>SignedCertificateTimestamp</c>: a CT log's promise to include a (pre)certificate.
/// </summary>
/// <param name="Version">SCT version; 0 is v1, the only version RFC 6962 defines.</param>
/// <param name="LogId">The log's ID: SHA-256 of its public key's SubjectPublicKeyInfo DER; exactly 32 bytes.</param>
/// <param name="Timestamp">Milliseconds since the Unix epoch, as the log stamped it.</param>
/// <param name="Extensions">The opaque <c>CtExtensions</c>; empty in practice; at most 65,535 bytes.</param>
/// <param name="HashAlgorithm">TLS HashAlgorithm of the signature; 4 is SHA-256 (the only one RFC 6962 allows).</param>
/// <param name="SignatureAlgorithm">TLS SignatureAlgorithm; 3 is ECDSA, 1 is RSA.</param>
/// <param name="Signature">The signature bytes (DER <c>ECDSA-Sig-Value</c> for ECDSA); at most 65,535 bytes.</param>
public sealed record SignedCertificateTimestamp(
    byte Version,
    byte[] LogId,
    ulong Timestamp,
    byte[] Extensions,
    byte HashAlgorithm,
    byte SignatureAlgorithm,
    byte[] Signature)
{
    /// <summary>Version value of an RFC 6962 v1 SCT.</summary>
    public const byte V1 = 0;

    /// <summary>TLS HashAlgorithm code for SHA-256.</summary>
    public const byte HashSha256 = 4;

    /// <summary>TLS SignatureAlgorithm code for ECDSA.</summary>
    public const byte SignatureEcdsa = 3;

    /// <summary>Length in bytes of a log ID (a SHA-256 digest).</summary>
    public const int LogIdLength = 32;

    /// <summary>
    /// The TLS encoding: <c>version | log_id[32] | uint64 timestamp | uint16 len + extensions | hash | signature alg |
    /// uint16 len + signature</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A field is null, the log ID is not 32 bytes, or a field exceeds its uint16 length.</exception>
    public byte[] Serialize()
    {
        if (LogId is null || LogId.Length != LogIdLength)
        {
            throw new InvalidOperationException($"SCT log ID must be {LogIdLength} bytes");
        }

        if (Extensions is null || Extensions.Length > ushort.MaxValue)
        {
            throw new InvalidOperationException("SCT extensions must be present and at most 65535 bytes");
        }

        if (Signature is null || Signature.Length > ushort.MaxValue)
        {
            throw new InvalidOperationException("SCT signature must be present and at most 65535 bytes");
        }

        var w = new TlsWriter();
        w.WriteUInt8(Version);
        w.WriteFixed(LogId);
        w.WriteUInt64(Timestamp);
        w.WriteOpaque16(Extensions);
        w.WriteUInt8(HashAlgorithm);
        w.WriteUInt8(SignatureAlgorithm);
        w.WriteOpaque16(Signature);
        return w.ToArray();
    }

    /// <summary>
    /// Parses exactly one TLS-encoded SCT. Any version and algorithm codes are accepted here (verification checks them);
    /// the structure must be complete with no trailing bytes.
    /// </summary>
    /// <exception cref="WireFormatException">The input is truncated or has trailing bytes.</exception>
    public static SignedCertificateTimestamp Parse(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        byte version = r.ReadUInt8("SCT version");
        byte[] logId = r.ReadFixed(LogIdLength, "SCT log ID").ToArray();
        ulong timestamp = r.ReadUInt64("SCT timestamp");
        byte[] extensions = r.ReadOpaque16("SCT extensions").ToArray();
        byte hash = r.ReadUInt8("SCT hash algorithm");
        byte signatureAlgorithm = r.ReadUInt8("SCT signature algorithm");
        byte[] signature = r.ReadOpaque16("SCT signature").ToArray();
        r.ExpectEnd("SCT");
        return new SignedCertificateTimestamp(version, logId, timestamp, extensions, hash, signatureAlgorithm, signature);
    }
}
