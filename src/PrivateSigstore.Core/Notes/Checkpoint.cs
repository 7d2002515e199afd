using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// A transparency log checkpoint (c2sp.org/tlog-checkpoint): the note text
/// <c>&lt;origin&gt;\n&lt;size&gt;\n&lt;base64 root hash&gt;\n[extension lines\n]</c>.
/// Equality compares the root hash bytes and extension lines by value.
/// </summary>
/// <remarks>
/// Instances are always valid: the origin is non-empty, every line is free of control characters
/// and at most <see cref="MaxLineBytes"/> bytes, the root hash is 32 bytes (RFC 6962 SHA-256), and
/// there are at most <see cref="MaxExtensionLines"/> non-empty extension lines. The constructor
/// throws <see cref="ArgumentException"/> otherwise; <see cref="Parse"/> throws <see cref="WireFormatException"/>.
/// Rekor v1 origins (<c>"&lt;hostname&gt; - &lt;treeID&gt;"</c>) contain spaces, which C2SP only discourages.
/// </remarks>
/// <param name="Origin">The log identity, e.g. <c>log2025-1.rekor.sigstore.dev</c> or <c>rekor.sigstore.dev - 2605736670972794746</c>.</param>
/// <param name="Size">The number of leaves.</param>
/// <param name="RootHash">The 32-byte RFC 6962 root hash at <paramref name="Size"/>.</param>
/// <param name="Extensions">Extension lines without their newlines (old Rekor v1 wrote <c>Timestamp: &lt;nanos&gt;</c>).</param>
public sealed partial record Checkpoint(string Origin, ulong Size, byte[] RootHash, IReadOnlyList<string> Extensions)
{
    /// <summary>Size of the root hash in bytes.</summary>
    public const int RootHashSize = 32;

    /// <summary>Longest origin or extension line accepted, in UTF-8 bytes.</summary>
    public const int MaxLineBytes = 4096;

    /// <summary>Most extension lines accepted.</summary>
    public const int MaxExtensionLines = 100;

    private readonly string _origin = RequireValid(CheckOrigin(Origin), nameof(Origin), Origin);
    private readonly byte[] _rootHash = RequireValid(CheckRootHash(RootHash), nameof(RootHash), RootHash);
    private readonly string[] _extensions = RequireValid(CheckExtensions(Extensions), nameof(Extensions), Extensions).ToArray();

    /// <summary>Creates a checkpoint without extension lines.</summary>
    public Checkpoint(string origin, ulong size, byte[] rootHash)
        : this(origin, size, rootHash, [])
    {
    }

    /// <summary>The log identity (first line).</summary>
    public string Origin
    {
        get => _origin;
        init => _origin = RequireValid(CheckOrigin(value), nameof(Origin), value);
    }

    /// <summary>The 32-byte root hash (third line). The array is the instance's own; do not modify it.</summary>
    public byte[] RootHash
    {
        get => _rootHash;
        init => _rootHash = RequireValid(CheckRootHash(value), nameof(RootHash), value);
    }

    /// <summary>The extension lines (fourth line on), without newlines.</summary>
    public IReadOnlyList<string> Extensions
    {
        get => _extensions;
        init => _extensions = RequireValid(CheckExtensions(value), nameof(Extensions), value).ToArray();
    }

    /// <summary>
    /// True when the origin has the Rekor v1 shape <c>"&lt;anything&gt; - &lt;decimal tree ID&gt;"</c>, the test
    /// sigstore-go uses (<c>hasRekorV1STH</c>, regex <c>.* - [0-9]+$</c>) to pick the v1 verification path.
    /// </summary>
    public bool IsRekorV1Origin => IsRekorV1StyleOrigin(Origin);

    /// <summary>The Rekor v1 origin for a tree: <c>"&lt;hostname&gt; - &lt;treeId&gt;"</c> (rekor <c>pkg/util/checkpoint.go</c>).</summary>
    public static string RekorV1Origin(string hostname, long treeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        return string.Create(CultureInfo.InvariantCulture, $"{hostname} - {treeId}");
    }

    /// <summary>Reports whether <paramref name="origin"/> matches sigstore-go's Rekor v1 test <c>.* - [0-9]+$</c>.</summary>
    public static bool IsRekorV1StyleOrigin(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return RekorV1OriginPattern().IsMatch(origin);
    }

    /// <summary>
    /// Parses checkpoint note text (c2sp.org/tlog-checkpoint). Throws <see cref="WireFormatException"/>
    /// if the text does not end in a newline, has fewer than three lines, an empty origin, a size
    /// that is not canonical decimal (no sign, no leading zeros) or exceeds 2^64-1, a root hash that
    /// is not standard base64 of 32 bytes, an empty extension line, control characters, or lines
    /// or extension counts beyond the bounds.
    /// </summary>
    public static Checkpoint Parse(string noteText)
    {
        ArgumentNullException.ThrowIfNull(noteText);
        if (!noteText.EndsWith('\n'))
        {
            throw new WireFormatException("checkpoint: text does not end in a newline");
        }

        var lines = noteText[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new WireFormatException("checkpoint: fewer than three lines");
        }

        Reject(CheckOrigin(lines[0]));
        var size = ParseSize(lines[1]);
        if (!StrictBase64.TryDecode(lines[2], out var rootHash))
        {
            throw new WireFormatException("checkpoint: root hash is not standard base64");
        }

        Reject(CheckRootHash(rootHash));
        var extensions = lines[3..];
        Reject(CheckExtensions(extensions));
        return new Checkpoint(lines[0], size, rootHash, extensions);
    }

    /// <summary>Returns the note text: origin, size, base64 root hash and extension lines, each ended by <c>\n</c>.</summary>
    public string ToNoteText()
    {
        var text = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (var line in Extensions)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public bool Equals(Checkpoint? other) =>
        other is not null
        && string.Equals(Origin, other.Origin, StringComparison.Ordinal)
        && Size == other.Size
        && RootHash.AsSpan().SequenceEqual(other.RootHash)
        && Extensions.SequenceEqual(other.Extensions, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Origin, Size, Convert.ToHexString(RootHash));

    private static ulong ParseSize(string line)
    {
        // c2sp.org/tlog-checkpoint: ASCII decimal, no leading zeroes (unless the tree is empty).
        var canonical = line.Length > 0 && line.All(char.IsAsciiDigit) && (line == "0" || line[0] != '0');
        if (!canonical || !ulong.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new WireFormatException("checkpoint: tree size is not a canonical decimal number below 2^64");
        }

        return size;
    }

    private static string? CheckOrigin(string? origin) =>
        string.IsNullOrEmpty(origin) ? "checkpoint: empty origin" : CheckLine(origin, "origin");

    private static string? CheckRootHash(byte[]? rootHash) =>
        rootHash is { Length: RootHashSize } ? null : $"checkpoint: root hash is not {RootHashSize} bytes";

    private static string? CheckExtensions(IReadOnlyList<string>? extensions)
    {
        if (extensions is null)
        {
            return "checkpoint: extension lines are missing";
        }

        if (extensions.Count > MaxExtensionLines)
        {
            return $"checkpoint: more than {MaxExtensionLines} extension lines";
        }

        foreach (var line in extensions)
        {
            // c2sp.org/tlog-checkpoint: extension lines, if any, MUST be non-empty.
            var problem = string.IsNullOrEmpty(line) ? "checkpoint: empty extension line" : CheckLine(line, "extension line");
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckLine(string line, string what)
    {
        foreach (var c in line)
        {
            // c2sp.org/signed-note: no control characters other than newline (and no newline inside a line).
            if (c < 0x20)
            {
                return $"checkpoint: control character in {what}";
            }
        }

        int byteCount;
        try
        {
            byteCount = StrictUtf8.Encoding.GetByteCount(line);
        }
        catch (EncoderFallbackException)
        {
            return $"checkpoint: {what} is not valid UTF-16";
        }

        return byteCount > MaxLineBytes ? $"checkpoint: {what} longer than {MaxLineBytes} bytes" : null;
    }

    private static void Reject(string? problem)
    {
        if (problem is not null)
        {
            throw new WireFormatException(problem);
        }
    }

    private static T RequireValid<T>(string? problem, string parameter, T value) =>
        problem is null ? value : throw new ArgumentException(problem, parameter);

    [GeneratedRegex(@" - [0-9]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex RekorV1OriginPattern();
}
