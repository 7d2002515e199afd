using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Monitor;

/// <summary>What the monitor knows of one log, kept durably between runs.</summary>
internal sealed class LogState
{
    /// <summary>The log's URL.</summary>
    public string Log { get; set; } = "";

    /// <summary>The last verified tree size.</summary>
    public long Size { get; set; }

    /// <summary>Its root hash (hex).</summary>
    public string RootHash { get; set; } = "";

    /// <summary>The verified checkpoint or signed tree head as the log served it (the evidence).</summary>
    public string Checkpoint { get; set; } = "";

    /// <summary>When the size last grew.</summary>
    public DateTimeOffset LastGrowth { get; set; }

    /// <summary>The next entry to read (identity watch, full audit).</summary>
    public long NextEntry { get; set; }

    /// <summary>Full audit: the compact range of the entries read so far (its size is <see cref="NextEntry"/>), hex hashes.</summary>
    public List<string>? AuditRange { get; set; }

    /// <summary>The last problem alerted (kind and evidence hash), so that a problem that persists is alerted once.</summary>
    public string? LastProblem { get; set; }
}

/// <summary>Per-log state files under <c>DataDirectory/state</c>, replaced atomically (temp file, fsync, rename).</summary>
internal sealed class LogStateStore(string dataDirectory)
{
    private readonly string _directory = Path.Combine(dataDirectory, "state");

    private string PathFor(string log) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(log)))[..24] + ".json");

    public LogState? Load(string log)
    {
        var path = PathFor(log);
        if (!File.Exists(path)) return null;
        var state = JsonSerializer.Deserialize(File.ReadAllBytes(path), MonitorJson.Default.LogState)
            ?? throw new InvalidDataException($"{path} is empty");
        return state.Log == log ? state : throw new InvalidDataException($"{path} holds the state of {state.Log}, not {log}");
    }

    public void Save(LogState state)
    {
        Directory.CreateDirectory(_directory);
        var path = PathFor(state.Log);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(JsonSerializer.SerializeToUtf8Bytes(state, MonitorJson.Default.LogState));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
