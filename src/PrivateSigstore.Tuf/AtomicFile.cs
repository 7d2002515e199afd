namespace PrivateSigstore.Tuf;

/// <summary>Writes that are never seen half-done: a temporary file in the same directory, flushed to disk, then renamed over the target.</summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>An exclusive lock on a repository directory, held by one writer at a time (the service's re-signer or a command).</summary>
public sealed class RepositoryLock : IDisposable
{
    private readonly FileStream _stream;

    private RepositoryLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, waiting up to <paramref name="wait"/> for another writer to finish.</summary>
    public static RepositoryLock Acquire(string directory, TimeSpan wait)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, ".lock");
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new RepositoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException e)
            {
                throw new TufException($"the TUF repository {directory} is locked by another writer (a running service's re-signer or another command); try again", e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
