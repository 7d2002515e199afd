using System.Globalization;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Base64 as Go's <c>encoding/base64</c> decodes it for Rekor: <c>StdEncoding</c> (padded, '+' '/'; line
/// breaks '\r' '\n' are ignored anywhere) and <c>URLEncoding</c> (padded, '-' '_'), plus DSSE's flexible
/// decoder (go-securesystemslib <c>b64Decode</c>: standard first, then URL-safe).
/// </summary>
internal static class GoBase64
{
    /// <summary><c>base64.StdEncoding.DecodeString</c>.</summary>
    public static bool TryDecodeStandard(string text, out byte[] bytes) =>
        StrictBase64.TryDecode(WithoutLineBreaks(text), out bytes);

    /// <summary><c>base64.URLEncoding.DecodeString</c>.</summary>
    public static bool TryDecodeUrl(string text, out byte[] bytes)
    {
        var stripped = WithoutLineBreaks(text);
        if (stripped.AsSpan().IndexOfAny('+', '/') >= 0)
        {
            bytes = [];
            return false;
        }

        return StrictBase64.TryDecode(stripped.Replace('-', '+').Replace('_', '/'), out bytes);
    }

    /// <summary>go-securesystemslib <c>dsse.b64Decode</c>: standard, else URL-safe.</summary>
    public static bool TryDecodeDsse(string text, out byte[] bytes) =>
        TryDecodeStandard(text, out bytes) || TryDecodeUrl(text, out bytes);

    /// <summary>Decodes standard base64 or throws <see cref="EntryFailure"/> with Go's message behind <paramref name="context"/>.</summary>
    public static byte[] DecodeStandard(string text, string context)
    {
        if (TryDecodeStandard(text, out var bytes))
        {
            return bytes;
        }

        throw new EntryFailure($"{context}{IllegalData(text)}", FailureStage.Processing);
    }

    /// <summary>Go's <c>CorruptInputError</c> text: <c>illegal base64 data at input byte N</c> (N approximated as Go reports it for the usual cases).</summary>
    public static string IllegalData(string text)
    {
        var offset = 0;
        var significant = 0;
        for (; offset < text.Length; offset++)
        {
            var c = text[offset];
            if (c is '\r' or '\n')
            {
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
            {
                break;
            }

            significant++;
        }

        if (offset == text.Length)
        {
            // Every character is in the alphabet: the padding or the length is wrong; Go reports the last quantum.
            offset = Math.Max(0, significant - (significant % 4 == 0 ? 4 : significant % 4));
        }

        return "illegal base64 data at input byte " + offset.ToString(CultureInfo.InvariantCulture);
    }

    private static string WithoutLineBreaks(string text) =>
        text.AsSpan().IndexOfAny('\r', '\n') < 0 ? text : text.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
}
