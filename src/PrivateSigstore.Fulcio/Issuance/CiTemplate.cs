using System.Text;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// ci-provider value evaluation (upstream <c>pkg/identity/ciprovider/principal.go applyTemplateOrReplace</c>): a value
/// containing <c>{{</c> is a Go text/template evaluated with <c>missingkey=error</c> over the defaults merged with the
/// claims (claims win); any other value names a claim or default. Supported: the subset upstream's
/// <c>config/identity/config.yaml</c> uses — literal text, <c>{{ .name }}</c>, <c>{{ if COND }}…{{ else }}…{{ end }}</c>
/// where COND is <c>.name</c> (non-empty) or <c>eq</c>/<c>ne</c> of two operands (<c>.name</c> or a quoted string), and
/// the <c>{{-</c>/<c>-}}</c> trim markers. No HTML escaping (since v1.7.1).
/// </summary>
internal static class CiTemplate
{
    private static readonly System.Buffers.SearchValues<char> Forbidden = System.Buffers.SearchValues.Create(" .|()\"{}");

    public static string Apply(string template, IReadOnlyDictionary<string, string> claims, IReadOnlyDictionary<string, string> defaults, string extensionName)
    {
        string? Lookup(string key) =>
            claims.TryGetValue(key, out var claim) ? claim : defaults.TryGetValue(key, out var value) ? value : null;

        if (!template.Contains("{{", StringComparison.Ordinal))
        {
            return Lookup(template) ?? throw IssuanceException.Identity($"value <{template}> not present in either claims or defaults (extension {extensionName})");
        }

        var tokens = Tokenize(template, extensionName);
        int index = 0;
        var output = new StringBuilder();
        Render(tokens, ref index, output, emit: true, Lookup, extensionName, nested: false);
        return output.ToString();
    }

    private sealed record Token(bool IsAction, string Text);

    private static List<Token> Tokenize(string template, string extensionName)
    {
        var tokens = new List<Token>();
        int position = 0;
        while (position < template.Length)
        {
            int open = template.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                tokens.Add(new Token(false, template[position..]));
                break;
            }

            int close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw Error(extensionName, "unclosed action");
            }

            string text = template[position..open];
            string action = template[(open + 2)..close];
            if (action.StartsWith('-'))
            {
                text = text.TrimEnd();
                action = action[1..];
            }

            bool trimAfter = action.EndsWith('-');
            if (trimAfter)
            {
                action = action[..^1];
            }

            tokens.Add(new Token(false, text));
            tokens.Add(new Token(true, action.Trim()));
            position = close + 2;
            if (trimAfter)
            {
                while (position < template.Length && char.IsWhiteSpace(template[position]))
                {
                    position++;
                }
            }
        }

        return tokens;
    }

    /// <summary>Renders tokens until <c>else</c>/<c>end</c> (when nested) or the end; returns the keyword that stopped it.</summary>
    private static string Render(List<Token> tokens, ref int index, StringBuilder output, bool emit, Func<string, string?> lookup, string extensionName, bool nested)
    {
        while (index < tokens.Count)
        {
            var token = tokens[index++];
            if (!token.IsAction)
            {
                if (emit)
                {
                    output.Append(token.Text);
                }

                continue;
            }

            string action = token.Text;
            if (action is "else" or "end")
            {
                return nested ? action : throw Error(extensionName, $"unexpected {{{{{action}}}}}");
            }

            if (action.StartsWith("if ", StringComparison.Ordinal))
            {
                bool condition = Condition(action[3..].Trim(), lookup, extensionName);
                string stop = Render(tokens, ref index, output, emit && condition, lookup, extensionName, nested: true);
                if (stop == "else")
                {
                    stop = Render(tokens, ref index, output, emit && !condition, lookup, extensionName, nested: true);
                }

                if (stop != "end")
                {
                    throw Error(extensionName, "missing {{end}}");
                }

                continue;
            }

            string value = Operand(action, lookup, extensionName);
            if (emit)
            {
                output.Append(value);
            }
        }

        return nested ? throw Error(extensionName, "missing {{end}}") : "";
    }

    private static bool Condition(string expression, Func<string, string?> lookup, string extensionName)
    {
        var parts = Split(expression);
        if (parts.Count == 1)
        {
            return Operand(parts[0], lookup, extensionName).Length > 0;
        }

        if (parts.Count == 3 && parts[0] is "eq" or "ne")
        {
            bool equal = Operand(parts[1], lookup, extensionName) == Operand(parts[2], lookup, extensionName);
            return parts[0] == "eq" ? equal : !equal;
        }

        throw Error(extensionName, $"unsupported condition {expression}");
    }

    private static string Operand(string operand, Func<string, string?> lookup, string extensionName)
    {
        if (operand.Length >= 2 && operand[0] == '"' && operand[^1] == '"')
        {
            return operand[1..^1];
        }

        if (operand.Length >= 2 && operand[0] == '.' && operand.AsSpan(1).IndexOfAny(Forbidden) < 0)
        {
            string key = operand[1..];
            return lookup(key) ?? throw Error(extensionName, $"map has no entry for key \"{key}\"");
        }

        throw Error(extensionName, $"unsupported action {{{{{operand}}}}}");
    }

    private static List<string> Split(string expression)
    {
        var parts = new List<string>();
        int i = 0;
        while (i < expression.Length)
        {
            if (char.IsWhiteSpace(expression[i]))
            {
                i++;
                continue;
            }

            int start = i;
            if (expression[i] == '"')
            {
                i = expression.IndexOf('"', i + 1);
                i = i < 0 ? expression.Length : i + 1;
            }
            else
            {
                while (i < expression.Length && !char.IsWhiteSpace(expression[i]))
                {
                    i++;
                }
            }

            parts.Add(expression[start..i]);
        }

        return parts;
    }

    private static IssuanceException Error(string extensionName, string detail) =>
        IssuanceException.Identity($"template for {extensionName}: {detail}");
}
