namespace PrivateSigstore.Core.Ct;

/// <summary>
/// The TLS 1.2 <c>DigitallySigned</c> struct RFC 6962 uses on the wire for SCT signatures in add-chain responses and
/// for <c>tree_head_signature</c> in get-sth (RFC 5246 §4.7): <c>hash | signature | uint16 len + signature bytes</c>.
/// </summary>
/// <param name="HashAlgorithm">TLS HashAlgorithm; 4 is SHA-256.</param>
/// <param name="SignatureAlgorithm">TLS SignatureAlgorithm; 3 is ECDSA, 1 is RSA.</param>
/// <param name="Signature">The signature (DER <c>ECDSA-Sig-Value</c> for ECDSA); at most 65,535 bytes.</param>
public sealed record DigitallySigned(byte HashAlgorithm, byte SignatureAlgorithm, byte[] Signature)
{
    /// <summary>The TLS encoding.</summary>
    /// <exception cref="InvalidOperationException">The signature is missing or longer than 65,535 bytes.</exception>
    public byte[] Serialize()
    {
        if (Signature is null || Signature.Length > ushort.MaxValue)
        {
            throw new InvalidOperationException("the signature must be present and at most 65535 bytes");
        }

        var w = new TlsWriter();
        w.WriteUInt8(HashAlgorithm);
        w.WriteUInt8(SignatureAlgorithm);
        w.WriteOpaque16(Signature);
        return w.ToArray();
    }

    /// <summary>Parses exactly one TLS <c>DigitallySigned</c>; truncation and trailing bytes are rejected.</summary>
    /// <exception cref="WireFormatException">The input is malformed.</exception>
    public static DigitallySigned Parse(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        byte hash = r.ReadUInt8("hash algorithm");
        byte signatureAlgorithm = r.ReadUInt8("signature algorithm");
        byte[] signature = r.ReadOpaque16("signature", minLength: 1).ToArray();
        r.ExpectEnd("digitally-signed struct");
        return new DigitallySigned(hash, signatureAlgorithm, signature);
    }
}
