namespace PrivateSigstore.Tuf;

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
