using System.Buffers;
using System.Security.Cryptography;

namespace PrivateSigstore.Client.ModelSigning;

/// <summary>A model directory (or single file) cannot be serialized: a symbolic link, a special file, an I/O error.</summary>
public sealed class ModelSerializationException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Creates the exception.</summary>
    public ModelSerializationException() : this("the model cannot be serialized") { }

    /// <summary>Creates the exception.</summary>
    public ModelSerializationException(string message) : this(message, null) { }
}

/// <summary>
/// Serializes a model as OpenSSF model_signing does (<c>files</c> or <c>shards</c> method, SHA-256): walks the
/// directory (hidden files included, ignored paths left out, symbolic links refused unless allowed), then hashes the
/// files or shards in parallel, each read sequentially in large chunks. Progress reports the bytes hashed so far.
/// </summary>
public static class ModelHasher
{
    /// <summary>The read size per call; large reads keep the hash, not the system calls, the bottleneck.</summary>
    public const int ChunkSize = 4 << 20;

    /// <summary>
    /// Hashes the model at <paramref name="modelPath"/> (a directory, or one file). <paramref name="ignorePaths"/> are
    /// relative to the model root ('/'-separated) and are recorded in the serialization as given, sorted.
    /// </summary>
    /// <exception cref="ModelSerializationException">A symbolic link without <paramref name="allowSymlinks"/>, a special file, or an I/O error.</exception>
    public static async Task<ModelManifest> HashAsync(string modelPath, IEnumerable<string> ignorePaths, bool allowSymlinks = false,
        long? shardSize = null, int? maxParallelism = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(ignorePaths);
        if (shardSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shardSize), "the shard size must be positive");
        }
        var root = Path.GetFullPath(modelPath).TrimEnd(Path.DirectorySeparatorChar);
        var ignored = ignorePaths.Select(Normalize).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var serialization = new ModelSerialization(shardSize is null ? ModelSerialization.Files : ModelSerialization.Shards, "sha256", allowSymlinks, ignored, shardSize);
        var files = ListFiles(root, ignored, allowSymlinks);
        var work = new List<(string Relative, string Full, long Start, long? End)>();
        foreach (var (relative, full, length) in files)
        {
            if (shardSize is not { } size)
            {
                work.Add((relative, full, 0, null));
                continue;
            }
            // file_shard._endpoints: shards [0,size), [size,2size) … up to the end; an empty file has none.
            for (long start = 0; start < length; start += size)
            {
                work.Add((relative, full, start, Math.Min(start + size, length)));
            }
        }
        // Largest first, so one big file does not start last and leave the other workers idle.
        var ordered = work.OrderByDescending(w => (w.End ?? new FileInfo(w.Full).Length) - w.Start).ToList();
        var results = new ModelResource[ordered.Count];
        long done = 0;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism ?? Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        // Synchronous reads on dedicated workers: each worker hashes one file (or shard) at a time, start to end.
        await Task.Run(() => Parallel.For(0, ordered.Count, options, i =>
        {
            var item = ordered[i];
            byte[] digest;
            try
            {
                digest = HashRange(item.Full, item.Start, item.End, n =>
                {
                    var total = Interlocked.Add(ref done, n);
                    progress?.Report(total);
                }, options.CancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ModelSerializationException($"cannot read {item.Relative}: {e.Message}", e);
            }
            results[i] = new ModelResource(item.Relative, item.Start, item.End, serialization.ResourceAlgorithm, digest);
        }), cancellationToken).ConfigureAwait(false);
        return new ModelManifest(ModelName(root), results, serialization);
    }

    /// <summary>The model's name as model_signing takes it: the last path component.</summary>
    public static string ModelName(string modelPath) => Path.GetFileName(Path.GetFullPath(modelPath).TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>A relative path in model_signing's form: '/'-separated, no "./" or trailing '/'.</summary>
    public static string Normalize(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        var parts = relative.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
        return string.Join('/', parts);
    }

    /// <summary>True when <paramref name="relative"/> is an ignored path or lies below one (pathlib is_relative_to).</summary>
    public static bool IsIgnored(string relative, IEnumerable<string> ignorePaths)
    {
        ArgumentNullException.ThrowIfNull(ignorePaths);
        return ignorePaths.Any(p => relative == p || relative.StartsWith(p + "/", StringComparison.Ordinal));
    }

    private static List<(string Relative, string Full, long Length)> ListFiles(string root, List<string> ignored, bool allowSymlinks)
    {
        var files = new List<(string, string, long)>();
        FileSystemInfo top = Directory.Exists(root) ? new DirectoryInfo(root) : new FileInfo(root);
        if (!top.Exists)
        {
            throw new ModelSerializationException($"{root} does not exist");
        }
        if (top.LinkTarget is not null && !allowSymlinks)
        {
            throw new ModelSerializationException($"{top.Name} is a symbolic link (allow symbolic links to follow it)");
        }
        if (top is FileInfo single)
        {
            // A model that is one file: its resource is named by the file name... model_signing names it ".": keep that.
            files.Add((".", single.FullName, single.Length));
            return files;
        }
        var pending = new Stack<DirectoryInfo>([(DirectoryInfo)top]);
        while (pending.TryPop(out var dir))
        {
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = dir.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false });
                entries = entries.ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ModelSerializationException($"cannot list {Relative(root, dir.FullName)}: {e.Message}", e);
            }
            foreach (var entry in entries)
            {
                var relative = Relative(root, entry.FullName);
                if (IsIgnored(relative, ignored))
                {
                    continue;
                }
                var isLink = entry.LinkTarget is not null;
                if (isLink && !allowSymlinks)
                {
                    throw new ModelSerializationException($"{relative} is a symbolic link (allow symbolic links to follow it)");
                }
                if (entry is DirectoryInfo sub)
                {
                    // pathlib's ** does not descend into linked directories.
                    if (!isLink)
                    {
                        pending.Push(sub);
                    }
                    continue;
                }
                var target = isLink ? new FileInfo(entry.FullName) : (FileInfo)entry;
                if (isLink && target.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo { Exists: true } resolved)
                {
                    throw new ModelSerializationException($"{relative} is a broken symbolic link or not a regular file");
                }
                if (!isLink && (entry.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) != 0)
                {
                    throw new ModelSerializationException($"{relative} is not a regular file");
                }
                files.Add((relative, entry.FullName, new FileInfo(entry.FullName).Length));
            }
        }
        return files;
    }

    private static string Relative(string root, string full) => Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>SHA-256 of bytes [start, end) of a file (the whole file when <paramref name="end"/> is null), read in <see cref="ChunkSize"/> chunks.</summary>
    internal static byte[] HashRange(string path, long start, long? end, Action<int> progress, CancellationToken cancellationToken)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using (handle)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                var offset = start;
                while (end is null || offset < end)
                {
                    var want = end is { } e ? (int)Math.Min(ChunkSize, e - offset) : ChunkSize;
                    cancellationToken.ThrowIfCancellationRequested();
                    var n = RandomAccess.Read(handle, buffer.AsSpan(0, want), offset);
                    if (n == 0)
                    {
                        if (end is not null)
                        {
                            throw new IOException("the file shrank while it was hashed");
                        }
                        break;
                    }
                    hash.AppendData(buffer, 0, n);
                    offset += n;
                    progress(n);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return hash.GetHashAndReset();
        }
    }
}
