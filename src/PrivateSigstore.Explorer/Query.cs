using System.Globalization;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Explorer;

/// <summary>What a search box query is.</summary>
internal enum QueryKind
{
    /// <summary>A log index (in a named log, or Rekor v1 by default).</summary>
    LogIndex,

    /// <summary>A Rekor v1 entry UUID (80 hex: tree ID + leaf hash).</summary>
    Uuid,

    /// <summary>64 hex: a leaf hash / UUID, an artifact SHA-256, or a key or certificate fingerprint.</summary>
    Hex64,

    /// <summary><c>alg:hex</c> artifact digest.</summary>
    Digest,

    /// <summary>An email address (SAN).</summary>
    Email,

    /// <summary>A URL: a URI SAN or an OIDC issuer.</summary>
    Url,

    /// <summary>A certificate serial number (<c>serial:hex</c>).</summary>
    Serial,

    /// <summary>An OIDC issuer given explicitly (<c>issuer:URL</c>).</summary>
    Issuer,

    /// <summary>Another identity (username SAN, subject) given as text.</summary>
    Identity,
}

/// <summary>A parsed query: its kind and normalized value (and, for an index, the log named).</summary>
internal sealed partial record Query(QueryKind Kind, string Value, string? LogName = null)
{
    /// <summary>
    /// Understands what it is given (the issue's list): <c>123</c> or <c>ct:123</c> / <c>rekor-v2:123</c> (an index),
    /// 80 hex (UUID), 64 hex (UUID, digest or fingerprint), <c>sha256:…</c> (digest), an email, a URL (URI SAN or issuer),
    /// <c>serial:…</c>, <c>issuer:…</c>, <c>san:…</c>. Throws <see cref="ExplorerBadQueryException"/> for anything else.
    /// </summary>
    public static Query Parse(string text, int maxLength, IEnumerable<string> logNames)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Bounded before anything else looks at it.
        if (text.Length > maxLength) throw new ExplorerBadQueryException($"the query is longer than {maxLength.ToString(CultureInfo.InvariantCulture)} characters");
        var q = text.Trim();
        if (q.Length == 0) throw new ExplorerBadQueryException("the query is empty");
        if (q.Any(char.IsControl)) throw new ExplorerBadQueryException("the query contains control characters");
        var colon = q.IndexOf(':', StringComparison.Ordinal);
        var known = colon > 0 ? q[..colon].ToLowerInvariant() : "";
        if (colon > 0 && known is not ("http" or "https") && (!q.Contains("://", StringComparison.Ordinal) || known is "issuer" or "san"))
        {
            var prefix = known;
            var rest = q[(colon + 1)..].Trim();
            if (logNames.Contains(prefix, StringComparer.Ordinal))
            {
                return long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                    ? new Query(QueryKind.LogIndex, i.ToString(CultureInfo.InvariantCulture), prefix)
                    : throw new ExplorerBadQueryException($"'{prefix}:' must be followed by a log index");
            }
            switch (prefix)
            {
                case "serial":
                    var serial = rest.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
                    return serial.Length is > 0 and <= 64 && serial.All(Uri.IsHexDigit)
                        ? new Query(QueryKind.Serial, serial.TrimStart('0') is { Length: > 0 } s ? s : "0")
                        : throw new ExplorerBadQueryException("a serial number is hexadecimal (serial:0a1b…)");
                case "issuer":
                    return Uri.TryCreate(rest, UriKind.Absolute, out _) ? new Query(QueryKind.Issuer, rest) : throw new ExplorerBadQueryException("issuer: must be followed by the issuer's URL");
                case "san":
                    return rest.Length > 0 ? new Query(rest.Contains('@', StringComparison.Ordinal) ? QueryKind.Email : QueryKind.Identity, rest) : throw new ExplorerBadQueryException("san: must be followed by an identity");
                case "sha1" or "sha256" or "sha384" or "sha512":
                    var want = prefix switch { "sha1" => 40, "sha256" => 64, "sha384" => 96, _ => 128 };
                    var hex = rest.ToLowerInvariant();
                    return hex.Length == want && hex.All(Uri.IsHexDigit)
                        ? new Query(QueryKind.Digest, prefix + ":" + hex)
                        : throw new ExplorerBadQueryException($"a {prefix} digest is {want.ToString(CultureInfo.InvariantCulture)} hexadecimal digits");
            }
        }
        if (q.All(char.IsAsciiDigit))
        {
            return long.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? new Query(QueryKind.LogIndex, index.ToString(CultureInfo.InvariantCulture))
                : throw new ExplorerBadQueryException("the log index is too large");
        }
        if (q.All(Uri.IsHexDigit))
        {
            return q.Length switch
            {
                80 => new Query(QueryKind.Uuid, q.ToLowerInvariant()),
                64 => new Query(QueryKind.Hex64, q.ToLowerInvariant()),
                40 => new Query(QueryKind.Digest, "sha1:" + q.ToLowerInvariant()),
                96 => new Query(QueryKind.Digest, "sha384:" + q.ToLowerInvariant()),
                128 => new Query(QueryKind.Digest, "sha512:" + q.ToLowerInvariant()),
                _ => throw new ExplorerBadQueryException("hexadecimal queries are an entry UUID (64 or 80 digits) or a digest (40, 64, 96 or 128 digits)"),
            };
        }
        if (Uri.TryCreate(q, UriKind.Absolute, out var url) && url.Scheme is "http" or "https") return new Query(QueryKind.Url, q);
        if (EmailPattern().IsMatch(q)) return new Query(QueryKind.Email, q);
        if (IdentityPattern().IsMatch(q)) return new Query(QueryKind.Identity, q);
        throw new ExplorerBadQueryException("the query is not an email, identity, digest, log index, entry UUID, fingerprint, serial or issuer URL");
    }

    /// <summary>One @, something on each side, no spaces: SAN emails as Fulcio puts them (any characters are shown encoded).</summary>
    [GeneratedRegex(@"^[^\s@]+@[^\s@]+$")]
    private static partial Regex EmailPattern();

    /// <summary>A username or URI-like SAN without spaces (e.g. a SPIFFE ID or <c>repo:org/name:ref:…</c> subject).</summary>
    [GeneratedRegex(@"^[\p{L}\p{N}._~:/+\-=#]+$")]
    private static partial Regex IdentityPattern();

    public string Describe() => Kind switch
    {
        QueryKind.LogIndex => $"log index {Value}" + (LogName is null ? "" : $" in {LogName}"),
        QueryKind.Uuid => $"entry UUID {Value}",
        QueryKind.Hex64 => $"entry UUID, SHA-256 digest or fingerprint {Value}",
        QueryKind.Digest => $"artifact digest {Value}",
        QueryKind.Email => $"email {Value}",
        QueryKind.Url => $"URI or OIDC issuer {Value}",
        QueryKind.Serial => $"certificate serial {Value}",
        QueryKind.Issuer => $"OIDC issuer {Value}",
        _ => $"identity {Value}",
    };
}
