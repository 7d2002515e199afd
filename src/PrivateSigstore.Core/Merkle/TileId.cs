using System.Globalization;
using System.Text;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// A C2SP tlog-tiles hash tile (https://c2sp.org/tlog-tiles): tile <see cref="Index"/> at tile level
/// <see cref="Level"/> holds the hashes of tree nodes <c>(8 * Level, Index * 256 + i)</c> for
/// <c>i &lt; Width</c>. A full tile is 256 hashes (8,192 bytes) wide; a partial tile 1..255.
/// </summary>
/// <param name="Level">Tile level, 0..63.</param>
/// <param name="Index">Index of the tile within its level.</param>
/// <param name="Width">Number of hashes, 1..256 (256 = full).</param>
public readonly record struct TileId(int Level, ulong Index, int Width)
{
    /// <summary>The number of hashes in a full tile.</summary>
    public const int FullWidth = 256;

    /// <summary>The number of tree levels one tile spans.</summary>
    public const int Height = 8;

    /// <summary>The highest tile level tlog-tiles allows.</summary>
    public const int MaxLevel = 63;

    /// <summary>Tile level, 0..63.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The level is outside 0..63.</exception>
    public int Level { get; init; } = Level is >= 0 and <= MaxLevel
        ? Level
        : throw new ArgumentOutOfRangeException(nameof(Level), Level, "tile level must be 0..63");

    /// <summary>Number of hashes, 1..256 (256 = full).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The width is outside 1..256.</exception>
    public int Width { get; init; } = Width is >= 1 and <= FullWidth
        ? Width
        : throw new ArgumentOutOfRangeException(nameof(Width), Width, "tile width must be 1..256");

    /// <summary>Whether the tile holds fewer than 256 hashes.</summary>
    public bool IsPartial => Width < FullWidth;

    /// <summary>The tree level of the hashes this tile stores: <c>8 * Level</c>.</summary>
    public int NodeLevel => Level * Height;

    /// <summary>The tile's resource path, <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c>, e.g. <c>tile/0/x001/x234/067.p/8</c>.</summary>
    public string Path => string.Create(CultureInfo.InvariantCulture, $"tile/{Level}/{FormatIndex(Index, Width)}");

    /// <summary>The byte length of the tile's contents: <c>32 * Width</c>.</summary>
    public int ByteLength => Width * Rfc6962.HashSize;

    /// <summary>
    /// The path of entry bundle <paramref name="index"/> holding <paramref name="width"/> entries:
    /// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is outside 1..256.</exception>
    public static string EntriesPath(ulong index, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, FullWidth);
        return "tile/entries/" + FormatIndex(index, width);
    }

    /// <summary>
    /// Parses a canonical tile path <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> (no leading slash):
    /// L is 0..63 without leading zeros; N is 3-digit groups, all but the last prefixed <c>x</c>, with no
    /// leading all-zero group; W is 1..255 without leading zeros. <c>Parse(p).Path == p</c> for every accepted path.
    /// </summary>
    /// <exception cref="WireFormatException">The path is not a canonical tile path (including <c>tile/entries/…</c>).</exception>
    public static TileId Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TryParse(path, out TileId tile, out string? reason) ? tile : throw new WireFormatException(reason);
    }

    /// <summary>As <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? path, out TileId tile) => TryParse(path, out tile, out _);

    /// <summary>
    /// Parses an entry bundle path <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c> into the bundle index and
    /// its width (256 when full), with the rules of <see cref="Parse"/>.
    /// </summary>
    /// <exception cref="WireFormatException">The path is not a canonical entry bundle path.</exception>
    public static (ulong Index, int Width) ParseEntriesPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        const string Prefix = "tile/entries/";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new WireFormatException("entry bundle path must start with tile/entries/");
        }

        return TryParseIndex(path.AsSpan(Prefix.Length), out ulong index, out int width, out string? reason)
            ? (index, width)
            : throw new WireFormatException(reason);
    }

    private static bool TryParse(string? path, out TileId tile, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        tile = default;
        if (path is null || !path.StartsWith("tile/", StringComparison.Ordinal))
        {
            reason = "tile path must start with tile/";
            return false;
        }

        ReadOnlySpan<char> rest = path.AsSpan(5);
        int slash = rest.IndexOf('/');
        if (slash < 0)
        {
            reason = "tile path has no index";
            return false;
        }

        // tlog-tiles: <L> is a decimal ASCII integer between 0 and 63, with no additional leading zeroes.
        ReadOnlySpan<char> level = rest[..slash];
        if (level.Length is < 1 or > 2 || !IsDigits(level) || (level.Length == 2 && level[0] == '0'))
        {
            reason = "tile level must be a decimal integer 0..63 without leading zeros";
            return false;
        }

        int l = int.Parse(level, NumberStyles.None, CultureInfo.InvariantCulture);
        if (l > MaxLevel)
        {
            reason = "tile level must be 0..63";
            return false;
        }

        if (!TryParseIndex(rest[(slash + 1)..], out ulong index, out int width, out reason))
        {
            return false;
        }

        tile = new TileId(l, index, width);
        return true;
    }

    /// <summary>Parses <c>&lt;N&gt;[.p/&lt;W&gt;]</c>.</summary>
    private static bool TryParseIndex(ReadOnlySpan<char> text, out ulong index, out int width, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        index = 0;
        width = FullWidth;
        int partial = text.IndexOf(".p/", StringComparison.Ordinal);
        if (partial >= 0)
        {
            // tlog-tiles: <W> is a decimal ASCII integer between 1 and 255, with no additional leading zeroes.
            ReadOnlySpan<char> w = text[(partial + 3)..];
            if (w.Length is < 1 or > 3 || !IsDigits(w) || w[0] == '0')
            {
                reason = "tile width must be a decimal integer 1..255 without leading zeros";
                return false;
            }

            width = int.Parse(w, NumberStyles.None, CultureInfo.InvariantCulture);
            if (width >= FullWidth)
            {
                reason = "partial tile width must be 1..255";
                return false;
            }

            text = text[..partial];
        }

        // tlog-tiles: <N> is zero-padded 3-digit path elements, all but the last beginning with x.
        int groups = 0;
        while (true)
        {
            int slash = text.IndexOf('/');
            bool last = slash < 0;
            ReadOnlySpan<char> group = last ? text : text[..slash];
            if (!last)
            {
                if (group.Length != 4 || group[0] != 'x')
                {
                    reason = "tile index groups other than the last must be x followed by 3 digits";
                    return false;
                }

                group = group[1..];
            }

            if (group.Length != 3 || !IsDigits(group))
            {
                reason = "tile index groups must be 3 decimal digits";
                return false;
            }

            ulong value = ulong.Parse(group, NumberStyles.None, CultureInfo.InvariantCulture);
            if (groups == 0 && value == 0 && !last)
            {
                reason = "tile index must not start with an all-zero group";
                return false;
            }

            if (index > (ulong.MaxValue - value) / 1000)
            {
                reason = "tile index overflows 64 bits";
                return false;
            }

            index = (index * 1000) + value;
            groups++;
            if (last)
            {
                break;
            }

            text = text[(slash + 1)..];
        }

        reason = null;
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Formats <c>&lt;N&gt;[.p/&lt;W&gt;]</c>: 1234067 → <c>x001/x234/067</c>.</summary>
    private static string FormatIndex(ulong index, int width)
    {
        var builder = new StringBuilder(32);
        Span<ulong> groups = stackalloc ulong[7];
        int count = 0;
        do
        {
            groups[count++] = index % 1000;
            index /= 1000;
        }
        while (index > 0);

        for (int i = count - 1; i >= 0; i--)
        {
            if (i > 0)
            {
                builder.Append('x');
            }

            builder.Append(groups[i].ToString("D3", CultureInfo.InvariantCulture));
            if (i > 0)
            {
                builder.Append('/');
            }
        }

        if (width < FullWidth)
        {
            builder.Append(".p/").Append(width.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
