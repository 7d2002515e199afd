using System.Text;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// ci-provider value evaluation (upstream <c>pkg/identity/ciprovider/principal.go applyTemplateOrReplace</c>): a value
/// containing <c>{{</c> is a Go text/template evaluated with <c>missingkey=error</c> over the defaults merged with the
/// claims (claims win); any other value names a claim or default. Only the template subset Fulcio's configurations use
/// is supported: literal text and <c>{{ .name }}</c> actions. No HTML escaping (since v1.7.1).
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

        var output = new StringBuilder();
        int position = 0;
        while (position < template.Length)
        {
            int open = template.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                output.Append(template, position, template.Length - position);
                break;
            }

            output.Append(template, position, open - position);
            int close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw IssuanceException.Identity($"template for {extensionName}: unclosed action");
            }

            string action = template[(open + 2)..close].Trim();
            if (action.Length < 2 || action[0] != '.' || action.AsSpan(1).ContainsAny(Forbidden))
            {
                throw IssuanceException.Identity($"template for {extensionName}: unsupported action {{{{{action}}}}} (only {{{{ .claim }}}})");
            }

            string key = action[1..];
            output.Append(Lookup(key) ?? throw IssuanceException.Identity($"template for {extensionName}: map has no entry for key \"{key}\""));
            position = close + 2;
        }

        return output.ToString();
    }
}
