using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Witness;

/// <summary>
/// The witness's durable state: for each origin, the latest checkpoint it cosigned (with the log signatures it verified
/// and its own cosignature), one file per origin named by the lowercase hex SHA-256 of the origin, under
/// <c>&lt;DataDirectory&gt;/checkpoints</c>. A write goes to a temporary file that is flushed to disk, renamed over the
/// old one, and the directory is synced, so a crash leaves either the old or the new checkpoint, never a torn one. The
/// directory is locked (<c>.lock</c>) so that two witness processes never share it. Callers serialize writes per origin.
/// </summary>
internal sealed partial class CheckpointStore : IDisposable
{
    private readonly string _directory;
    private readonly FileStream _lock;
    private readonly Dictionary<string, SignedCheckpoint> _latest = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private CheckpointStore(string directory, FileStream lockFile)
    {
        _directory = directory;
        _lock = lockFile;
    }

    /// <summary>Opens (creating) the store under <paramref name="dataDirectory"/> and loads every checkpoint; a corrupt file fails the start, naming it.</summary>
    public static CheckpointStore Open(string dataDirectory)
    {
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), "checkpoints");
        Directory.CreateDirectory(directory);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(directory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            // Another witness holds the lock (.NET: "... being used by another process"), or the directory cannot be written
            // (read-only, full): say which (a read-only file system used to be reported as another witness process too).
            throw e.Message.Contains("being used by another process", StringComparison.Ordinal)
                ? new IOException($"the witness state directory {directory} is in use by another witness process", e)
                : new IOException($"cannot lock the witness state directory {directory}: {e.Message}", e);
        }

        var store = new CheckpointStore(directory, lockFile);
        try
        {
            foreach (var temp in Directory.EnumerateFiles(directory, ".*.tmp")) File.Delete(temp);
            foreach (var file in Directory.EnumerateFiles(directory, "*.checkpoint"))
            {
                SignedCheckpoint checkpoint;
                try
                {
                    checkpoint = SignedCheckpoint.Parse(File.ReadAllBytes(file));
                }
                catch (WireFormatException e)
                {
                    throw new InvalidDataException($"witness state file {file} does not hold a signed checkpoint: {e.Message}", e);
                }

                if (!string.Equals(FileName(checkpoint.Checkpoint.Origin), Path.GetFileName(file), StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"witness state file {file} holds the checkpoint of origin '{checkpoint.Checkpoint.Origin}', whose file name differs");
                }

                store._latest[checkpoint.Checkpoint.Origin] = checkpoint;
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    /// <summary>The lowercase hex SHA-256 of an origin (the tlog-witness monitoring path segment).</summary>
    public static string OriginHash(string origin) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)));

    /// <summary>The latest cosigned checkpoint of <paramref name="origin"/>, or null.</summary>
    public SignedCheckpoint? Latest(string origin)
    {
        lock (_gate) return _latest.GetValueOrDefault(origin);
    }

    /// <summary>Every stored checkpoint.</summary>
    public IReadOnlyList<SignedCheckpoint> All()
    {
        lock (_gate) return [.. _latest.Values];
    }

    /// <summary>Persists <paramref name="checkpoint"/> as the latest of its origin (durably), then makes it visible.</summary>
    public void Save(SignedCheckpoint checkpoint)
    {
        var origin = checkpoint.Checkpoint.Origin;
        var path = Path.Combine(_directory, FileName(origin));
        var temp = Path.Combine(_directory, $".{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(checkpoint.Note.SerializeToUtf8());
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }

        SyncDirectory(_directory);
        lock (_gate) _latest[origin] = checkpoint;
    }

    public void Dispose() => _lock.Dispose();

    private static string FileName(string origin) => OriginHash(origin) + ".checkpoint";

    /// <summary>fsync the directory so that the rename itself survives a power loss (POSIX); a no-op elsewhere.</summary>
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return;
        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
