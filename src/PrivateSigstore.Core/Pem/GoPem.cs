using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Core.Pem;

/// <summary>
/// PEM as Go's <c>encoding/pem</c> writes and reads it. Sigstore hashes PEM bytes (Rekor leaf
/// bodies re-encode keys and certificates with <c>pem.EncodeToMemory</c>), so the encoder is
/// byte-exact: <c>-----BEGIN T-----\n</c>, standard base64 in lines of 64 characters each ended by
/// <c>\n</c>, <c>-----END T-----\n</c>.
/// </summary>
/// <remarks>
/// The decoder follows <c>pem.Decode</c> where it is lenient (text outside blocks is skipped,
/// <c>\r\n</c> line ends, spaces and tabs inside the base64, any line length) but is stricter
/// where Go silently skips a broken block: a block that starts and is then malformed (bad
/// base64, no END line, END type differing from BEGIN, RFC 1421 headers) is an error, so that a
/// damaged certificate chain is reported instead of shortened. Input size and block count are bounded.
/// </remarks>
public static class GoPem
{
    /// <summary>The default bound on the size of PEM text accepted by the decoders (1 MiB).</summary>
    public const int DefaultMaxBytes = 1 << 20;

    /// <summary>The default bound on the number of blocks (e.g. certificates in a chain).</summary>
    public const int DefaultMaxBlocks = 10;

    /// <summary>The PEM type Go uses for certificates.</summary>
    public const string CertificateType = "CERTIFICATE";

    /// <summary>The PEM type Go uses for PKIX public keys.</summary>
    public const string PublicKeyType = "PUBLIC KEY";

    private const string BeginPrefix = "-----BEGIN ";
    private const string EndPrefix = "-----END ";
    private const string Dashes = "-----";
    private const int LineLength = 64;

    /// <summary>
    /// Encodes <paramref name="der"/> as one PEM block exactly as Go's <c>pem.EncodeToMemory</c> does
    /// (no headers). <paramref name="type"/> must be non-empty printable ASCII without leading or
    /// trailing spaces and without <c>-----</c>; otherwise <see cref="ArgumentException"/>.
    /// </summary>
    public static string Encode(string type, ReadOnlySpan<byte> der)
    {
        RequireValidType(type);
        var base64 = Convert.ToBase64String(der);
        var text = new StringBuilder(base64.Length + (base64.Length / LineLength) + (2 * type.Length) + 40);
        text.Append(BeginPrefix).Append(type).Append(Dashes).Append('\n');
        for (var i = 0; i < base64.Length; i += LineLength)
        {
            text.Append(base64, i, Math.Min(LineLength, base64.Length - i)).Append('\n');
        }

        text.Append(EndPrefix).Append(type).Append(Dashes).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Encodes DER certificates as consecutive <c>CERTIFICATE</c> blocks, as sigstore's
    /// <c>cryptoutils.MarshalCertificatesToPEM</c> does (leaf first, in the order given). The bytes are not parsed.
    /// </summary>
    public static string EncodeCertificates(IEnumerable<byte[]> ders)
    {
        ArgumentNullException.ThrowIfNull(ders);
        var text = new StringBuilder();
        foreach (var der in ders)
        {
            ArgumentNullException.ThrowIfNull(der, nameof(ders));
            text.Append(Encode(CertificateType, der));
        }

        return text.ToString();
    }

    /// <summary>
    /// Encodes a DER SubjectPublicKeyInfo as a <c>PUBLIC KEY</c> block, as sigstore's
    /// <c>cryptoutils.MarshalPublicKeyToPEM</c> does. Throws <see cref="WireFormatException"/> if
    /// <paramref name="spkiDer"/> is not a SubjectPublicKeyInfo Go would parse (ECDSA on a NIST curve, RSA, Ed25519).
    /// </summary>
    public static string EncodePublicKey(byte[] spkiDer)
    {
        ArgumentNullException.ThrowIfNull(spkiDer);
        PublicKeyInfo.Validate(spkiDer);
        return Encode(PublicKeyType, spkiDer);
    }

    /// <summary>
    /// Decodes every PEM block in <paramref name="text"/>, in order. Text outside blocks is skipped.
    /// Throws <see cref="WireFormatException"/> if the text is longer than <paramref name="maxBytes"/>
    /// characters (PEM is ASCII), holds more than <paramref name="maxBlocks"/> blocks, or a block is
    /// malformed (BEGIN line not ended by <c>-----</c>, headers, invalid base64, missing or mismatched END line).
    /// Returns an empty list when there is no block at all.
    /// </summary>
    public static IReadOnlyList<PemBlock> DecodeAll(string text, int maxBlocks = DefaultMaxBlocks, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        if (text.Length > maxBytes)
        {
            throw new WireFormatException($"PEM: input is longer than {maxBytes} bytes");
        }

        var blocks = new List<PemBlock>();
        var position = 0;
        while (position < text.Length)
        {
            var line = NextLine(text, ref position);

            // pem.Decode: a block starts with "-----BEGIN " at the start of a line; other text is skipped.
            if (!line.StartsWith(BeginPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (blocks.Count == maxBlocks)
            {
                throw new WireFormatException($"PEM: more than {maxBlocks} blocks");
            }

            blocks.Add(ReadBlock(text, line, ref position));
        }

        return blocks;
    }

    /// <summary>
    /// Decodes text that must hold exactly one PEM block of type <paramref name="expectedType"/>
    /// (text around it is skipped). Throws <see cref="WireFormatException"/> otherwise, or for any
    /// reason <see cref="DecodeAll"/> would.
    /// </summary>
    public static PemBlock DecodeSingle(string text, string expectedType, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(expectedType);
        var blocks = DecodeAll(text, maxBlocks: 1, maxBytes);
        if (blocks.Count == 0)
        {
            throw new WireFormatException($"PEM: no {expectedType} block found");
        }

        if (!string.Equals(blocks[0].Type, expectedType, StringComparison.Ordinal))
        {
            throw new WireFormatException($"PEM: expected a {expectedType} block, found {blocks[0].Type}");
        }

        return blocks[0];
    }

    /// <summary>
    /// Decodes a chain of 1..<paramref name="maxCertificates"/> <c>CERTIFICATE</c> blocks and checks
    /// that each holds exactly one parseable DER X.509 certificate. Returns the DER bytes in the
    /// order written. Throws <see cref="WireFormatException"/> for no certificate, too many, a block
    /// of another type, or bytes that do not parse.
    /// </summary>
    public static byte[][] DecodeCertificates(string pem, int maxCertificates = DefaultMaxBlocks)
    {
        var blocks = DecodeAll(pem, maxCertificates);
        if (blocks.Count == 0)
        {
            throw new WireFormatException("PEM: no CERTIFICATE block found");
        }

        var ders = new byte[blocks.Count][];
        for (var i = 0; i < blocks.Count; i++)
        {
            if (!string.Equals(blocks[i].Type, CertificateType, StringComparison.Ordinal))
            {
                throw new WireFormatException($"PEM: block {i} is {blocks[i].Type}, expected CERTIFICATE");
            }

            RequireCertificate(blocks[i].Bytes, i);
            ders[i] = blocks[i].Bytes;
        }

        return ders;
    }

    /// <summary>
    /// Decodes a single <c>PUBLIC KEY</c> block and returns its DER SubjectPublicKeyInfo. Throws
    /// <see cref="WireFormatException"/> unless the text holds exactly one such block whose bytes are
    /// a SubjectPublicKeyInfo Go would parse (ECDSA on a NIST curve, RSA, Ed25519).
    /// </summary>
    public static byte[] DecodePublicKey(string pem)
    {
        var block = DecodeSingle(pem, PublicKeyType);
        PublicKeyInfo.Validate(block.Bytes);
        return block.Bytes;
    }

    private static PemBlock ReadBlock(string text, string beginLine, ref int position)
    {
        // BEGIN line: "-----BEGIN " type "-----", nothing else but trailing spaces (trimmed by NextLine).
        if (!beginLine.EndsWith(Dashes, StringComparison.Ordinal) || beginLine.Length < BeginPrefix.Length + Dashes.Length)
        {
            throw new WireFormatException("PEM: BEGIN line is not terminated by -----");
        }

        var type = beginLine[BeginPrefix.Length..^Dashes.Length];
        var base64 = new StringBuilder();
        while (position < text.Length)
        {
            var line = NextLine(text, ref position);
            if (line.StartsWith(EndPrefix, StringComparison.Ordinal))
            {
                if (!string.Equals(line, EndPrefix + type + Dashes, StringComparison.Ordinal))
                {
                    throw new WireFormatException($"PEM: END line does not match BEGIN {type}");
                }

                if (!StrictBase64.TryDecode(base64.ToString(), out var bytes))
                {
                    throw new WireFormatException($"PEM: invalid base64 in {type} block");
                }

                return new PemBlock(type, bytes);
            }

            if (line.Contains(':', StringComparison.Ordinal))
            {
                throw new WireFormatException($"PEM: headers in {type} block are not supported");
            }

            // pem.Decode removes spaces and tabs inside the base64 (removeSpacesAndTabs).
            foreach (var c in line)
            {
                if (c is not (' ' or '\t'))
                {
                    base64.Append(c);
                }
            }
        }

        throw new WireFormatException($"PEM: missing END line for {type} block");
    }

    private static string NextLine(string text, ref int position)
    {
        // Go getLine: up to '\n', without one '\r' before it, trailing spaces and tabs trimmed.
        var end = text.IndexOf('\n', position);
        var next = end < 0 ? text.Length : end + 1;
        if (end < 0)
        {
            end = text.Length;
        }
        else if (end > position && text[end - 1] == '\r')
        {
            end--;
        }

        var line = text[position..end].TrimEnd(' ', '\t');
        position = next;
        return line;
    }

    private static void RequireCertificate(byte[] der, int index)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            if (certificate.RawData.Length != der.Length)
            {
                throw new WireFormatException($"PEM: trailing bytes after certificate {index}");
            }
        }
        catch (CryptographicException e)
        {
            throw new WireFormatException($"PEM: certificate {index} does not parse as X.509 ({e.Message})", e);
        }
    }

    private static void RequireValidType(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var valid = type.Length > 0
            && type[0] != ' ' && type[^1] != ' '
            && !type.Contains(Dashes, StringComparison.Ordinal)
            && type.All(static c => c is >= ' ' and <= '~');
        if (!valid)
        {
            throw new ArgumentException($"invalid PEM type \"{type}\"", nameof(type));
        }
    }
}
