using System.Globalization;
using System.Text;

namespace PrivateSigstore.Core.Dsse;

/// <summary>
/// A DSSE envelope (Dead Simple Signing Envelope, <c>io.intoto.Envelope</c>): a typed payload and the
/// signatures over its pre-authentication encoding. See github.com/secure-systems-lab/dsse protocol.md and
/// envelope.md; JSON forms are read and written by <see cref="DsseEnvelopeJson"/>.
/// </summary>
/// <param name="PayloadType">How to interpret <paramref name="Payload"/>, e.g. <c>application/vnd.in-toto+json</c>.</param>
/// <param name="Payload">The serialized body that was signed.</param>
/// <param name="Signatures">The signatures over <c>PAE(PayloadType, Payload)</c>; Sigstore bundles require exactly one.</param>
public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures)
{
    /// <summary>The in-toto statement payload type used by Sigstore attestations.</summary>
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The DSSE v1 pre-authentication encoding, the exact bytes that signatures cover:
    /// <c>"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body</c>, where SP is one space (0x20), the type is
    /// UTF-8 encoded and each LEN is the ASCII decimal byte length with no leading zeros.
    /// Throws <see cref="ArgumentException"/> when <paramref name="payloadType"/> is not valid UTF-16.
    /// </summary>
    public static byte[] PreAuthenticationEncoding(string payloadType, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        var type = StrictUtf8.GetBytes(payloadType);
        var typeLength = type.Length.ToString(CultureInfo.InvariantCulture);
        var bodyLength = payload.Length.ToString(CultureInfo.InvariantCulture);

        var result = new byte[6 + 1 + typeLength.Length + 1 + type.Length + 1 + bodyLength.Length + 1 + payload.Length];
        var span = result.AsSpan();
        var position = 0;
        Append(span, ref position, "DSSEv1 "u8);
        position += Encoding.ASCII.GetBytes(typeLength, span[position..]);
        Append(span, ref position, " "u8);
        Append(span, ref position, type);
        Append(span, ref position, " "u8);
        position += Encoding.ASCII.GetBytes(bodyLength, span[position..]);
        Append(span, ref position, " "u8);
        Append(span, ref position, payload);
        return result;
    }

    private static void Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }
}
