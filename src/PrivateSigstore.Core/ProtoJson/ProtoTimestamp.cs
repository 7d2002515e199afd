using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// A point in time with nanosecond precision, mirroring <c>google.protobuf.Timestamp</c>: whole seconds
/// since the Unix epoch plus 0–999,999,999 nanoseconds, between 0001-01-01T00:00:00Z and
/// 9999-12-31T23:59:59.999999999Z. Kept separate from <see cref="DateTimeOffset"/> because trust roots carry
/// nanosecond times (e.g. <c>2026-06-04T18:43:29.186617501Z</c>) that 100-ns ticks would round.
/// </summary>
public readonly record struct ProtoTimestamp : IComparable<ProtoTimestamp>
{
    /// <summary>Seconds of 0001-01-01T00:00:00Z since the Unix epoch (the smallest valid value).</summary>
    public const long MinSeconds = -62_135_596_800;

    /// <summary>Seconds of 9999-12-31T23:59:59Z since the Unix epoch (the largest valid value).</summary>
    public const long MaxSeconds = 253_402_300_799;

    /// <summary>Creates a timestamp; throws <see cref="ArgumentOutOfRangeException"/> outside the valid range.</summary>
    public ProtoTimestamp(long seconds, int nanos)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, MinSeconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, MaxSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(nanos);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nanos, 999_999_999);
        Seconds = seconds;
        Nanos = nanos;
    }

    /// <summary>Whole seconds since 1970-01-01T00:00:00Z.</summary>
    public long Seconds { get; }

    /// <summary>Nanoseconds within the second, 0–999,999,999.</summary>
    public int Nanos { get; }

    /// <summary>Converts from <see cref="DateTimeOffset"/> exactly (100-ns ticks fit in nanoseconds).</summary>
    public static ProtoTimestamp FromDateTimeOffset(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new ProtoTimestamp(seconds, (int)(remainder * 100));
    }

    /// <summary>Converts to <see cref="DateTimeOffset"/> (UTC), truncating to 100-ns ticks.</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.FromUnixTimeSeconds(Seconds).AddTicks(Nanos / 100);

    /// <summary>
    /// The protojson form: RFC 3339 in UTC with a <c>Z</c> suffix and 0, 3, 6 or 9 fractional digits,
    /// e.g. <c>2021-01-12T11:53:27Z</c>, <c>2022-12-31T23:59:59.999Z</c>.
    /// </summary>
    public override string ToString()
    {
        var dateTime = DateTime.UnixEpoch.AddSeconds(Seconds);
        var text = dateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        if (Nanos == 0)
        {
            return text + "Z";
        }

        var fraction = Nanos.ToString("D9", CultureInfo.InvariantCulture);
        if (Nanos % 1_000_000 == 0)
        {
            fraction = fraction[..3];
        }
        else if (Nanos % 1_000 == 0)
        {
            fraction = fraction[..6];
        }

        return text + "." + fraction + "Z";
    }

    /// <summary>Orders timestamps chronologically.</summary>
    public int CompareTo(ProtoTimestamp other)
    {
        var bySeconds = Seconds.CompareTo(other.Seconds);
        return bySeconds != 0 ? bySeconds : Nanos.CompareTo(other.Nanos);
    }

    /// <summary>True when <paramref name="left"/> is earlier than <paramref name="right"/>.</summary>
    public static bool operator <(ProtoTimestamp left, ProtoTimestamp right) => left.CompareTo(right) < 0;

    /// <summary>True when <paramref name="left"/> is later than <paramref name="right"/>.</summary>
    public static bool operator >(ProtoTimestamp left, ProtoTimestamp right) => left.CompareTo(right) > 0;

    /// <summary>True when <paramref name="left"/> is not later than <paramref name="right"/>.</summary>
    public static bool operator <=(ProtoTimestamp left, ProtoTimestamp right) => left.CompareTo(right) <= 0;

    /// <summary>True when <paramref name="left"/> is not earlier than <paramref name="right"/>.</summary>
    public static bool operator >=(ProtoTimestamp left, ProtoTimestamp right) => left.CompareTo(right) >= 0;

    /// <summary>
    /// Parses an RFC 3339 timestamp as protojson does: <c>YYYY-MM-DDTHH:MM:SS</c>, an optional fraction of
    /// 1–9 digits, then <c>Z</c> or a <c>±HH:MM</c> offset (converted to UTC). Throws
    /// <see cref="WireFormatException"/> for anything else or for a time outside the valid range.
    /// </summary>
    public static ProtoTimestamp Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new WireFormatException($"invalid RFC 3339 timestamp \"{text}\"");

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ProtoTimestamp value)
    {
        value = default;
        if (text is null || text.Length < 20)
        {
            return false;
        }

        var s = text.AsSpan();

        // Fixed part: YYYY-MM-DDTHH:MM:SS
        if (!Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-'
            || !Digits(s, 8, 2, out var day) || s[10] != 'T' || !Digits(s, 11, 2, out var hour) || s[13] != ':'
            || !Digits(s, 14, 2, out var minute) || s[16] != ':' || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        // Optional fraction: 1–9 digits (protojson rejects more than nanosecond precision).
        var position = 19;
        var nanos = 0;
        if (position < s.Length && s[position] == '.')
        {
            position++;
            var start = position;
            while (position < s.Length && char.IsAsciiDigit(s[position]))
            {
                position++;
            }

            var count = position - start;
            if (count is 0 or > 9)
            {
                return false;
            }

            nanos = int.Parse(s[start..position], NumberStyles.None, CultureInfo.InvariantCulture);
            for (var i = count; i < 9; i++)
            {
                nanos *= 10;
            }
        }

        // Zone: Z or ±HH:MM.
        long offsetSeconds;
        var zone = s[position..];
        if (zone is "Z")
        {
            offsetSeconds = 0;
        }
        else if (zone.Length == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':'
                 && Digits(zone, 1, 2, out var offsetHours) && Digits(zone, 4, 2, out var offsetMinutes)
                 && offsetHours <= 23 && offsetMinutes <= 59)
        {
            offsetSeconds = ((offsetHours * 60L) + offsetMinutes) * 60L * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        var seconds = ((local.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond) - offsetSeconds;
        if (seconds is < MinSeconds or > MaxSeconds)
        {
            return false;
        }

        value = new ProtoTimestamp(seconds, nanos);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }
}
