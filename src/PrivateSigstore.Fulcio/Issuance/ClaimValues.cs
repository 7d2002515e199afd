using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>Reads token claims the way Fulcio's principals do.</summary>
internal static class ClaimValues
{
    /// <summary>A string claim, or null when absent, null or not a string (Go's <c>json</c> into a <c>string</c> field).</summary>
    public static string? String(JsonElement claims, string name) =>
        claims.ValueKind == JsonValueKind.Object && claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A required non-empty string claim (upstream: "missing {name} claim in ID token").</summary>
    public static string Required(JsonElement claims, string name) =>
        String(claims, name) is { Length: > 0 } value ? value : throw IssuanceException.Identity($"missing {name} claim in ID token");

    /// <summary>The claim at a JSONPath of the form <c>$.a.b</c> (dotted member names only).</summary>
    public static JsonElement? AtPath(JsonElement claims, string path)
    {
        if (!path.StartsWith("$.", StringComparison.Ordinal))
        {
            return null;
        }

        var current = claims;
        foreach (var part in path[2..].Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>
    /// Every top-level claim as a string, as ci-provider's <c>mapValuesToString</c>: strings verbatim, numbers without
    /// a trailing ".0" when integral, everything else in Go's <c>%v</c> form.
    /// </summary>
    public static Dictionary<string, string> Stringify(JsonElement claims)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (claims.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in claims.EnumerateObject())
            {
                result[property.Name] = GoValue(property.Value);
            }
        }

        return result;
    }

    private static string GoValue(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString()!;
            case JsonValueKind.Number:
                // Go decodes JSON numbers into float64 and prints them with FormatFloat('f', -1): no exponent, no ".0".
                return value.TryGetInt64(out long integral)
                    ? integral.ToString(CultureInfo.InvariantCulture)
                    : decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal exact)
                        ? exact.ToString("0.############################", CultureInfo.InvariantCulture)
                        : value.GetDouble().ToString("R", CultureInfo.InvariantCulture);
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Array:
                return "[" + string.Join(' ', value.EnumerateArray().Select(GoValue)) + "]";
            case JsonValueKind.Object:
                var builder = new StringBuilder("map[");
                builder.AppendJoin(' ', value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + ":" + GoValue(p.Value)));
                return builder.Append(']').ToString();
            default:
                return "<nil>";
        }
    }
}
