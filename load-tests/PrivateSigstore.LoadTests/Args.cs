using System.Globalization;

namespace PrivateSigstore.LoadTests;

/// <summary>Minimal "--name value" / "--flag" parser for the load tools.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        string? name = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (name is not null) _values[name] = "true";
                name = a[2..];
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    _values[name[..eq]] = name[(eq + 1)..];
                    name = null;
                }
            }
            else if (name is not null)
            {
                _values[name] = a;
                name = null;
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{a}'");
            }
        }
        if (name is not null) _values[name] = "true";
    }

    public string Get(string name, string fallback)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : fallback;
    }

    public string? Get(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }

    public long Long(string name, long fallback) => long.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public bool Flag(string name) => Get(name, "false") is "true" or "1" or "yes";

    /// <summary>Throws for options nobody asked for (typos must not silently change a measurement).</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}
