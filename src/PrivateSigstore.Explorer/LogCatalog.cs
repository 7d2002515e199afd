using System.Security.Cryptography;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Explorer;

/// <summary>The kinds of log the explorer reads.</summary>
public enum ExplorerLogKind
{
    /// <summary>Rekor v1 REST API.</summary>
    RekorV1,

    /// <summary>Rekor v2 (C2SP tlog-tiles).</summary>
    RekorV2,

    /// <summary>RFC 6962 certificate transparency.</summary>
    Ct,
}

/// <summary>One log, from the trusted root: its kind, a short name used in URLs, base URL and key.</summary>
internal sealed record ExplorerLog(ExplorerLogKind Kind, string Name, Uri BaseUrl, byte[] PublicKey, string Origin)
{
    /// <summary>SHA-256 of the key's SubjectPublicKeyInfo, hex (Rekor v1 log ID, RFC 6962 log ID).</summary>
    public string KeyIdHex { get; } = Convert.ToHexStringLower(SHA256.HashData(PublicKey));

    public string Title => Kind switch
    {
        ExplorerLogKind.RekorV1 => "Rekor v1",
        ExplorerLogKind.RekorV2 => "Rekor v2 (tiles)",
        _ => "CT log",
    };

    public bool IsEd25519 => PublicKeyInfo.Validate(PublicKey) == PublicKeyInfo.Ed25519Oid;
}

/// <summary>The logs named by the trusted root, deduplicated by URL (after a key rotation the newest key wins).</summary>
internal sealed class LogCatalog
{
    public LogCatalog(IReadOnlyList<ExplorerLog> logs, byte[] trustedRootJson)
    {
        Logs = logs;
        TrustedRootJson = trustedRootJson;
    }

    public IReadOnlyList<ExplorerLog> Logs { get; }

    /// <summary>The trusted root as read from disk (served to browsers byte for byte).</summary>
    public byte[] TrustedRootJson { get; }

    public ExplorerLog? Find(string name) => Logs.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.Ordinal));

    public ExplorerLog? First(ExplorerLogKind kind) => Logs.FirstOrDefault(l => l.Kind == kind);

    public static LogCatalog Load(ExplorerOptions options)
    {
        byte[] bytes;
        TrustedRoot root;
        try
        {
            bytes = File.ReadAllBytes(options.TrustedRootPath);
            root = Core.Trust.TrustedRootJson.Parse(bytes);
        }
        catch (Exception e) when (e is WireFormatException or IOException or FormatException)
        {
            throw new ArgumentException($"Explorer:TrustedRootPath {options.TrustedRootPath}: {e.Message}", e);
        }
        var byUrl = new Dictionary<string, (ExplorerLogKind Kind, Uri Url, byte[] Key, DateTimeOffset Start)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (log, ct) in root.Tlogs.Select(l => (l, false)).Concat(root.Ctlogs.Select(l => (l, true))))
        {
            if (!Uri.TryCreate(log.BaseUrl, UriKind.Absolute, out var url) || log.PublicKey?.RawBytes is not { Length: > 0 } key) continue;
            var kind = ct ? ExplorerLogKind.Ct : PublicKeyInfo.Validate(key) == PublicKeyInfo.Ed25519Oid ? ExplorerLogKind.RekorV2 : ExplorerLogKind.RekorV1;
            var start = log.PublicKey.ValidFor?.Start?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
            var id = kind + " " + url.AbsoluteUri.TrimEnd('/');
            if (byUrl.TryGetValue(id, out var known) && known.Start > start) continue;
            byUrl[id] = (kind, url, key, start);
        }
        if (byUrl.Count == 0) throw new ArgumentException($"Explorer:TrustedRootPath {options.TrustedRootPath} names no log with a URL and a key");
        var logs = new List<ExplorerLog>();
        foreach (var group in byUrl.Values.GroupBy(v => v.Kind))
        {
            var n = 0;
            foreach (var (kind, url, key, _) in group)
            {
                var name = kind switch { ExplorerLogKind.RekorV1 => "rekor", ExplorerLogKind.RekorV2 => "rekor-v2", _ => "ct" };
                if (n++ > 0) name += "-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var origin = kind == ExplorerLogKind.RekorV2 ? options.RekorV2Origin ?? url.Host : url.Host;
                logs.Add(new ExplorerLog(kind, name, url, key, origin));
            }
        }
        return new LogCatalog([.. logs.OrderBy(l => l.Kind).ThenBy(l => l.Name, StringComparer.Ordinal)], bytes);
    }
}
