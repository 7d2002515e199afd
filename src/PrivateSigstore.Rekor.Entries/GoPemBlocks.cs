using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Go's <c>pem.Decode</c> with its <c>rest</c> result, which Rekor's <c>x509.NewPublicKey</c> uses to tell a
/// single key or certificate from a chain (anything after the first block means "chain"). Unlike
/// <see cref="GoPem.DecodeAll"/> this skips malformed blocks exactly as Go does instead of reporting them.
/// Works on text whose characters are the input bytes (Latin-1), as Go works on bytes.
/// </summary>
internal static class GoPemBlocks
{
    private const string PemStart = "\n-----BEGIN ";
    private const string PemEnd = "\n-----END ";
    private const string PemEndOfLine = "-----";
    private const int MaxAttempts = 64;

    /// <summary>Go's <c>pem.Decode</c>: the first well-formed block (or null) and the text after it (all of <paramref name="data"/> when none).</summary>
    public static PemBlock? Decode(string data, out string rest)
    {
        ArgumentNullException.ThrowIfNull(data);
        var text = data.AsSpan();
        var position = 0; // start of Go's "rest" within data
        for (var attempt = 0; ; attempt++)
        {
            // Bound: Go retries after every malformed block; a handful of retries covers honest input.
            if (attempt == MaxAttempts)
            {
                rest = data;
                return null;
            }

            var remaining = text[position..];
            if (remaining.StartsWith(PemStart.AsSpan(1), StringComparison.Ordinal))
            {
                position += PemStart.Length - 1;
            }
            else
            {
                var at = remaining.IndexOf(PemStart, StringComparison.Ordinal);
                if (at < 0)
                {
                    rest = data;
                    return null;
                }

                position += at + PemStart.Length;
            }

            var typeLine = GetLine(text, ref position);
            if (!typeLine.EndsWith(PemEndOfLine, StringComparison.Ordinal))
            {
                continue;
            }

            var type = typeLine[..^PemEndOfLine.Length];
            var hasHeaders = false;
            while (true)
            {
                if (position == text.Length)
                {
                    rest = data;
                    return null;
                }

                var next = position;
                var line = GetLine(text, ref next);
                if (line.IndexOf(':') < 0)
                {
                    break;
                }

                hasHeaders = true;
                position = next;
            }

            remaining = text[position..];
            int endIndex;
            int endTrailerIndex;
            if (!hasHeaders && remaining.StartsWith(PemEnd.AsSpan(1), StringComparison.Ordinal))
            {
                endIndex = 0;
                endTrailerIndex = PemEnd.Length - 1;
            }
            else
            {
                endIndex = remaining.IndexOf(PemEnd, StringComparison.Ordinal);
                endTrailerIndex = endIndex + PemEnd.Length;
            }

            if (endIndex < 0)
            {
                continue;
            }

            var endTrailer = remaining[endTrailerIndex..];
            var endTrailerLength = type.Length + PemEndOfLine.Length;
            if (endTrailer.Length < endTrailerLength)
            {
                continue;
            }

            var restOfEndLine = endTrailer[endTrailerLength..];
            endTrailer = endTrailer[..endTrailerLength];
            if (!endTrailer.StartsWith(type, StringComparison.Ordinal) || !endTrailer.EndsWith(PemEndOfLine, StringComparison.Ordinal))
            {
                continue;
            }

            var restOfEndLinePosition = 0;
            if (GetLine(restOfEndLine, ref restOfEndLinePosition).Length != 0)
            {
                continue;
            }

            var base64 = remaining[..endIndex].ToString().Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\t", string.Empty, StringComparison.Ordinal);
            if (!GoBase64.TryDecodeStandard(base64, out var bytes))
            {
                continue;
            }

            var after = position + endIndex + PemEnd.Length - 1;
            GetLine(text, ref after);
            rest = data[after..];
            return new PemBlock(type.ToString(), bytes);
        }
    }

    /// <summary>Go's <c>bytes.TrimSpace</c> for ASCII white space (Go also trims UTF-8 encoded Unicode spaces, which PEM never holds).</summary>
    public static string TrimSpace(string text) => text.Trim(' ', '\t', '\n', '\v', '\f', '\r');

    private static ReadOnlySpan<char> GetLine(ReadOnlySpan<char> data, ref int position)
    {
        // pem.getLine: up to '\n' (without one '\r' before it), trailing spaces and tabs removed;
        // position moves past the '\n'.
        var line = data[position..];
        var i = line.IndexOf('\n');
        int consumed;
        if (i < 0)
        {
            i = line.Length;
            consumed = i;
        }
        else
        {
            consumed = i + 1;
            if (i > 0 && line[i - 1] == '\r')
            {
                i--;
            }
        }

        position += consumed;
        return line[..i].TrimEnd(" \t");
    }
}
