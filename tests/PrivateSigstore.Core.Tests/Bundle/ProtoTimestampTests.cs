using CsCheck;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Tests.Bundle;

public sealed class ProtoTimestampTests
{
    [Theory]
    [InlineData("2021-01-12T11:53:27Z", 1610452407L, 0, "2021-01-12T11:53:27Z")]
    [InlineData("2021-01-12T11:53:27.000Z", 1610452407L, 0, "2021-01-12T11:53:27Z")]
    [InlineData("2022-12-31T23:59:59.999Z", 1672531199L, 999_000_000, "2022-12-31T23:59:59.999Z")]
    [InlineData("2022-12-31T23:59:59.999000Z", 1672531199L, 999_000_000, "2022-12-31T23:59:59.999Z")]
    [InlineData("2026-06-04T18:43:29.186617501Z", 1780598609L, 186_617_501, "2026-06-04T18:43:29.186617501Z")]
    [InlineData("2026-06-04T18:43:29.18661Z", 1780598609L, 186_610_000, "2026-06-04T18:43:29.186610Z")]
    [InlineData("2021-01-12T12:53:27+01:00", 1610452407L, 0, "2021-01-12T11:53:27Z")]
    [InlineData("2021-01-12T10:23:27-01:30", 1610452407L, 0, "2021-01-12T11:53:27Z")]
    [InlineData("1970-01-01T00:00:00Z", 0L, 0, "1970-01-01T00:00:00Z")]
    [InlineData("1969-12-31T23:59:59.5Z", -1L, 500_000_000, "1969-12-31T23:59:59.500Z")]
    [InlineData("0001-01-01T00:00:00Z", ProtoTimestamp.MinSeconds, 0, "0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.999999999Z", ProtoTimestamp.MaxSeconds, 999_999_999, "9999-12-31T23:59:59.999999999Z")]
    [InlineData("2024-02-29T00:00:00Z", 1709164800L, 0, "2024-02-29T00:00:00Z")]
    public void Parses_rfc3339_and_writes_protojson_form(string text, long seconds, int nanos, string written)
    {
        var timestamp = ProtoTimestamp.Parse(text);

        Assert.Equal(new ProtoTimestamp(seconds, nanos), timestamp);
        Assert.Equal(written, timestamp.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("2021-01-12")]
    [InlineData("2021-01-12T11:53:27")]
    [InlineData("2021-01-12t11:53:27Z")]
    [InlineData("2021-01-12T11:53:27z")]
    [InlineData("2021-01-12 11:53:27Z")]
    [InlineData("2021-01-12T11:53:27.Z")]
    [InlineData("2021-01-12T11:53:27.1234567890Z")]
    [InlineData("2021-01-12T11:53:60Z")]
    [InlineData("2021-01-12T24:00:00Z")]
    [InlineData("2021-02-29T00:00:00Z")]
    [InlineData("2021-00-10T00:00:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+00:01")]
    [InlineData("9999-12-31T23:59:59-00:01")]
    [InlineData("2021-01-12T11:53:27+0100")]
    [InlineData("2021-01-12T11:53:27+24:00")]
    [InlineData("2021-01-12T11:53:27Z ")]
    [InlineData(" 2021-01-12T11:53:27Z")]
    [InlineData("+2021-01-12T11:53:27Z")]
    public void Rejects_what_protojson_rejects(string text)
    {
        Assert.False(ProtoTimestamp.TryParse(text, out _));
        Assert.ThrowsAny<WireFormatException>(() => ProtoTimestamp.Parse(text));
    }

    [Fact]
    public void Constructor_enforces_the_valid_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtoTimestamp(ProtoTimestamp.MinSeconds - 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtoTimestamp(ProtoTimestamp.MaxSeconds + 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtoTimestamp(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtoTimestamp(0, 1_000_000_000));
    }

    [Fact]
    public void Text_round_trip_holds_for_every_valid_timestamp() =>
        Gen.Select(Gen.Long[ProtoTimestamp.MinSeconds, ProtoTimestamp.MaxSeconds], Gen.Int[0, 999_999_999])
            .Sample((seconds, nanos) =>
            {
                var timestamp = new ProtoTimestamp(seconds, nanos);
                return ProtoTimestamp.Parse(timestamp.ToString()) == timestamp;
            });

    [Fact]
    public void Date_time_offset_conversion_is_exact_at_tick_precision() =>
        Gen.Long[DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks]
            .Sample(ticks =>
            {
                var value = new DateTimeOffset(ticks, TimeSpan.Zero);
                var timestamp = ProtoTimestamp.FromDateTimeOffset(value);
                return timestamp.ToDateTimeOffset() == value
                       && ProtoTimestamp.Parse(value.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffK", System.Globalization.CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal)) == timestamp;
            });

    [Fact]
    public void Ordering_is_chronological()
    {
        var early = ProtoTimestamp.Parse("2022-12-31T23:59:59.999999999Z");
        var late = ProtoTimestamp.Parse("2023-01-01T00:00:00Z");

        Assert.True(early < late);
        Assert.True(late > early);
        Assert.True(early <= ProtoTimestamp.Parse("2022-12-31T23:59:59.999999999Z"));
        Assert.True(late >= early);
        Assert.Equal(-1, early.CompareTo(late));
    }
}
