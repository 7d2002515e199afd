using System.Globalization;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Rekor v1 entry identifiers (<c>pkg/sharding/sharding.go</c>): the UUID is the 64-hex leaf hash; the
/// EntryID prefixes it with the tree ID as 16 hex digits (<c>fmt.Sprintf("%016s", fmt.Sprintf("%x", treeID))</c>).
/// </summary>
public static class RekorLogEntry
{
    /// <summary>Length of an EntryID in hex characters (16 + 64).</summary>
    public const int EntryIdLength = 80;

    /// <summary>Length of a UUID in hex characters.</summary>
    public const int UuidLength = 64;

    /// <summary>
    /// The 80-character EntryID for a leaf in tree <paramref name="treeId"/>: lower-case hex of the tree ID,
    /// zero-padded to 16 characters, then the lower-case hex leaf hash.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The tree ID is negative.</exception>
    /// <exception cref="ArgumentException">The leaf hash is not 32 bytes.</exception>
    public static string EntryId(long treeId, ReadOnlySpan<byte> leafHash)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeId);
        if (leafHash.Length != 32)
        {
            throw new ArgumentException("a leaf hash is 32 bytes", nameof(leafHash));
        }

        return treeId.ToString("x16", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(leafHash);
    }

    /// <summary>
    /// Parses a 64-character UUID (<paramref name="treeId"/> null) or an 80-character EntryID, hex in
    /// either case, as upstream's <c>GET /api/v1/log/entries/{entryUUID}</c> pattern
    /// <c>^([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$</c> allows. Returns false for anything else, including a tree
    /// ID above <see cref="long.MaxValue"/>.
    /// </summary>
    public static bool TryParseEntryId(string? id, out long? treeId, out byte[] leafHash)
    {
        treeId = null;
        leafHash = [];
        if (id is null || (id.Length != UuidLength && id.Length != EntryIdLength) || !IsHex(id))
        {
            return false;
        }

        if (id.Length == EntryIdLength)
        {
            if (!long.TryParse(id.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tree) || tree < 0)
            {
                return false;
            }

            treeId = tree;
        }

        leafHash = Convert.FromHexString(id.AsSpan(id.Length - UuidLength));
        return true;
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
