using System.Runtime.InteropServices;

namespace PrivateSigstore.Hosting;

/// <summary>
/// Data the stack writes (stores, keys, TUF, witness and monitor state) is readable by the service's user only: the process
/// umask becomes 077, so every directory it creates is 0700 and every file 0600 (SQLite's -wal and -shm included), and a
/// service's data directory is brought to 0700 / 0600 at start (issue 20 #6).
/// </summary>
public static partial class OwnerOnlyFiles
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Sets the process umask to 077 (no-op on Windows).</summary>
    public static void RestrictProcessUmask()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(0b000_111_111);
        }
    }

    /// <summary>Creates <paramref name="path"/> if needed, and makes it 0700 and every entry below it 0700 (directories) or 0600 (files).</summary>
    public static void SecureDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, DirectoryMode);
        // Only what differs is changed: a data directory that is already right may be on a read-only file system.
        if (File.GetUnixFileMode(path) != DirectoryMode) File.SetUnixFileMode(path, DirectoryMode);
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is not null) continue; // never follow or change a link's target
            var wanted = entry is DirectoryInfo ? DirectoryMode : FileMode;
            if (entry.UnixFileMode != wanted) entry.UnixFileMode = wanted;
        }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
