using System.Numerics;
using CsCheck;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Tests.ProtoJson;

public sealed class ProtoJsonValueTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("AA==", "00")]
    [InlineData("AA", "00")]
    [InlineData("AAE=", "0001")]
    [InlineData("AAE", "0001")]
    [InlineData("+/8=", "fbff")]
    [InlineData("-_8=", "fbff")]
    [InlineData("-_8", "fbff")]
    [InlineData("+/8", "fbff")]
    [InlineData("AA\r\nAA", "000000")]
    public void Base64_is_decoded_as_protojson_decodes_it(string text, string hex)
    {
        Assert.True(ProtoJsonValue.TryDecodeBase64(text, out var bytes));
        Assert.Equal(Convert.FromHexString(hex), bytes);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("AAA==")]
    [InlineData("A===")]
    [InlineData("AA=A")]
    [InlineData("AA= ")]
    [InlineData(" AA=")]
    [InlineData("A A=")]
    [InlineData("AA\t")]
    [InlineData("+_8=")]
    [InlineData("A-/=")]
    [InlineData("AA.=")]
    [InlineData("\u00e9A==")]
    public void Malformed_base64_is_rejected(string text) =>
        Assert.False(ProtoJsonValue.TryDecodeBase64(text, out _));

    [Fact]
    public void Every_base64_spelling_of_random_bytes_decodes_back() =>
        Gen.Byte.Array[0, 100].Sample(bytes =>
        {
            var standard = Convert.ToBase64String(bytes);
            var url = standard.Replace('+', '-').Replace('/', '_');
            return new[] { standard, standard.TrimEnd('='), url, url.TrimEnd('=') }
                .All(text => ProtoJsonValue.TryDecodeBase64(text, out var decoded) && decoded.AsSpan().SequenceEqual(bytes));
        });

    [Theory]
    [InlineData("0", 0)]
    [InlineData("-0", 0)]
    [InlineData("42", 42)]
    [InlineData("-42", -42)]
    [InlineData("1.0", 1)]
    [InlineData("1e3", 1000)]
    [InlineData("1E+3", 1000)]
    [InlineData("12.5e1", 125)]
    [InlineData("1000e-3", 1)]
    [InlineData("0.0e5", 0)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void Integral_json_numbers_parse(string text, long value)
    {
        Assert.True(ProtoJsonValue.TryParseIntegralNumber(text, out var parsed));
        Assert.Equal(new BigInteger(value), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1.5")]
    [InlineData("15e-1")]
    [InlineData("1500e-3")]
    [InlineData("1e")]
    [InlineData("1e1000000")]
    [InlineData("1 ")]
    [InlineData("0x1")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1_000")]
    public void Non_integral_or_non_json_numbers_do_not_parse(string text) =>
        Assert.False(ProtoJsonValue.TryParseIntegralNumber(text, out _));
}
