using System.Globalization;

namespace PrivateSigstore.Stack;

/// <summary>Another stack (or another program) already uses the data directory, or another start-up problem a user can fix.</summary>
public sealed class StackStartException(string message) : Exception(message);

/// <summary>
/// One stack per data directory: an exclusive lock on <c>stack.lock</c> (released by the kernel when the process dies,
/// so a crash never leaves a stale lock), and the holder's PID in <c>stack.pid</c> for the message a second stack prints.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _pidPath;

    private DataDirectoryLock(FileStream lockFile, string pidPath)
    {
        _lock = lockFile;
        _pidPath = pidPath;
    }

    /// <summary>Takes the lock; when another process holds it, throws <see cref="StackStartException"/> naming its PID and <paramref name="advice"/>.</summary>
    public static DataDirectoryLock Acquire(string dataDirectory, string advice = "stop it or give --data another directory")
    {
        Directory.CreateDirectory(dataDirectory);
        string lockPath = Path.Combine(dataDirectory, "stack.lock");
        string pidPath = Path.Combine(dataDirectory, "stack.pid");
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            string holder = File.Exists(pidPath) ? File.ReadAllText(pidPath).Trim() : "unknown";
            throw new StackStartException($"data directory {dataDirectory} is in use by PID {holder} (another stack); {advice}");
        }

        File.WriteAllText(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new DataDirectoryLock(stream, pidPath);
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_pidPath);
        }
        catch (IOException)
        {
        }

        _lock.Dispose();
    }
}
