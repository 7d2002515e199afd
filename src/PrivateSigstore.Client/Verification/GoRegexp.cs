using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// Regular expressions with Go's RE2 meaning (what cosign's <c>--certificate-identity-regexp</c> users write), run by .NET's
/// linear-time engine (<see cref="RegexOptions.NonBacktracking"/>), for patterns a user supplies:
/// <list type="bullet">
/// <item><c>$</c> is the end of the text (in .NET it also matches before a final newline), unless <c>(?m)</c> is on;</item>
/// <item><c>\d \w \s</c> (and their negations) are ASCII, <c>(?P&lt;name&gt;…)</c> is a named group, <c>\x{…}</c> a code point;</item>
/// <item>what RE2 does not have is refused (backreferences, lookaround, atomic groups, <c>\Z</c>, <c>\Q…\E</c>), never
/// given .NET's meaning.</item>
/// </list>
/// Matching is unanchored, as Go's <c>regexp.MatchString</c>: anchor with <c>^…$</c>.
/// </summary>
public static partial class GoRegexp
{
    /// <summary>Compiles <paramref name="pattern"/>; throws an <see cref="ArgumentException"/> saying why it is not accepted.</summary>
    public static Regex Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var translated = Translate(pattern);
        try
        {
            return new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw Refused(pattern, e is RegexParseException parse ? parse.Error.ToString() : e.Message);
        }
    }

    private static ArgumentException Refused(string pattern, string why) =>
        new($"'{pattern}' is not a regular expression in Go (RE2) syntax: {why}");

    private static string Translate(string pattern)
    {
        var multiline = MultilineFlag().IsMatch(pattern);
        var output = new StringBuilder(pattern.Length + 16);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 >= pattern.Length) throw Refused(pattern, "trailing backslash");
                var next = pattern[++i];
                output.Append(Escape(pattern, next, inClass, ref i));
                continue;
            }
            if (inClass)
            {
                if (c == ']') inClass = false;
                output.Append(c);
                continue;
            }
            switch (c)
            {
                case '[':
                    inClass = true;
                    output.Append(c);
                    // A ']' first in the class (after an optional '^') is literal, as in Go.
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^') output.Append(pattern[++i]);
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        output.Append(@"\]");
                        i++;
                    }
                    break;
                case '$':
                    output.Append(multiline ? "$" : @"\z");
                    break;
                case '(' when string.CompareOrdinal(pattern, i, "(?P<", 0, 4) == 0:
                    output.Append("(?<");
                    i += 3;
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
        return output.ToString();
    }

    private static string Escape(string pattern, char next, bool inClass, ref int i)
    {
        switch (next)
        {
            case 'd': return inClass ? "0-9" : "[0-9]";
            case 'w': return inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]";
            case 's': return inClass ? @"\t\n\f\r " : @"[\t\n\f\r ]";
            case 'D' or 'W' or 'S' when inClass: throw Refused(pattern, $"\\{next} inside a character class is not supported here");
            case 'D': return "[^0-9]";
            case 'W': return "[^0-9A-Za-z_]";
            case 'S': return @"[^\t\n\f\r ]";
            case 'Z' or 'Q' or 'E' or 'G' or 'k': throw Refused(pattern, $"\\{next} is not RE2 syntax");
            case >= '1' and <= '9': throw Refused(pattern, "backreferences are not RE2 syntax");
            case 'x' when i + 1 < pattern.Length && pattern[i + 1] == '{':
                var end = pattern.IndexOf('}', i + 2);
                if (end < 0 || !int.TryParse(pattern.AsSpan(i + 2, end - i - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) || code > 0x10FFFF)
                {
                    throw Refused(pattern, "bad \\x{…} escape");
                }
                i = end;
                return code <= 0xFFFF
                    ? @"\u" + code.ToString("X4", CultureInfo.InvariantCulture)
                    : Regex.Escape(char.ConvertFromUtf32(code));
            default: return "\\" + next;
        }
    }

    // (?m) or (?im) … turns on multi-line mode, where '$' is the end of a line in both engines.
    [GeneratedRegex(@"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]", RegexOptions.CultureInvariant)]
    private static partial Regex MultilineFlag();
}
