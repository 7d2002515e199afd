namespace PrivateSigstore.Core.Text;

/// <summary>
/// Standard base64 (RFC 4648 §4, with padding) decoding that accepts exactly what Go's
/// <c>base64.StdEncoding.DecodeString</c> accepts for single-line input: the 64-character alphabet,
/// a length that is a multiple of four, and at most two '=' at the end. Unlike
/// <see cref="Convert.FromBase64String(string)"/> it does not skip spaces or line breaks.
/// </summary>
public static class StrictBase64
{
    /// <summary>Decodes <paramref name="text"/>; returns false (and an empty array) if it is not strict standard base64.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 != 0)
        {
            return false;
        }

        var padding = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '=')
            {
                // Padding only in the last two positions, and nothing but padding after it.
                if (i < text.Length - 2)
                {
                    return false;
                }

                padding++;
                continue;
            }

            if (padding > 0 || !IsAlphabet(c))
            {
                return false;
            }
        }

        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(text, buffer, out var written))
        {
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
        return true;
    }

    private static bool IsAlphabet(char c) =>
        c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/';
}
