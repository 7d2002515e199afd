using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Core.Tests.Json;

public sealed class CanonicalJsonTests
{
    public static TheoryData<string> CyberphoneFiles => new() { "arrays", "french", "structures", "unicode", "values", "weird" };

    [Theory]
    [MemberData(nameof(CyberphoneFiles))]
    public void Cyberphone_testdata_canonicalizes_to_the_expected_bytes(string name)
    {
        var input = TestData.ReadBytes("jcs", "input", name + ".json");
        var expected = TestData.ReadBytes("jcs", "output", name + ".json");
        var expectedHex = TestData.ReadText("jcs", "outhex", name + ".txt").Trim().Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

        var actual = CanonicalJson.Canonicalize(input);

        Assert.Equal(expected, actual);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(actual));
        Assert.Equal(actual, CanonicalJson.Canonicalize(actual)); // idempotent
    }

    [Fact]
    public void Es6_number_test_file_first_10000_lines_match()
    {
        // cyberphone testdata/README.md: lines "hex-ieee,expected"; generated with numgen.js (see testdata/jcs/README.md).
        var failures = new List<string>();
        foreach (var line in File.ReadLines(TestData.PathOf("jcs", "es6testfile10k.txt")))
        {
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            var bits = ulong.Parse(line.AsSpan(0, comma), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var expected = line[(comma + 1)..];
            var value = BitConverter.UInt64BitsToDouble(bits);

            var formatted = CanonicalJson.FormatNumber(value);
            var viaText = CanonicalJson.CanonicalizeToString(value.ToString("R", CultureInfo.InvariantCulture));
            if (formatted != expected || viaText != expected)
            {
                failures.Add($"{line} -> {formatted} / {viaText}");
            }
        }

        Assert.Empty(failures);
    }

    // RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical JSON number form.
    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Rfc8785_appendix_B_numbers(string ieeeHex, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(ulong.Parse(ieeeHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal(expected, CanonicalJson.FormatNumber(value));
    }

    [Theory]
    [InlineData("7fffffffffffffff")] // NaN
    [InlineData("7ff0000000000000")] // Infinity
    [InlineData("fff0000000000000")] // -Infinity
    public void Rfc8785_appendix_B_NaN_and_Infinity_are_errors(string ieeeHex)
    {
        var value = BitConverter.UInt64BitsToDouble(ulong.Parse(ieeeHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Throws<WireFormatException>(() => CanonicalJson.FormatNumber(value));
        Assert.Throws<WireFormatException>(() => CanonicalJson.Serialize(JsonValue.Create(value)));
    }

    [Fact]
    public void Rfc8785_section_3_2_2_sample()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

        Assert.Equal(expected, CanonicalJson.CanonicalizeToString(input));
    }

    [Fact]
    public void Rfc8785_section_3_2_3_sorts_by_utf16_code_units()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var canonical = CanonicalJson.CanonicalizeToString(input);

        // RFC 8785 §3.2.3 lists the resulting order of the values.
        string[] order = ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"];
        var positions = order.Select(v => canonical.IndexOf(v, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
        Assert.StartsWith("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\"", canonical, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"\\u001f\\u0000\\u007f\\u00e9\\u2028/\"", "\"\\u001f\\u0000\u007f\u00e9\u2028/\"")]
    [InlineData("\"\\b\\t\\n\\f\\r\"", "\"\\b\\t\\n\\f\\r\"")]
    [InlineData("[ 1.0, -0, -0.0, 1e2, 100E-2, 9007199254740993 ]", "[1,0,0,100,1,9007199254740992]")]
    [InlineData("  {\"b\" : [] , \"a\" : {}}  ", "{\"a\":{},\"b\":[]}")]
    [InlineData("\"\\ud83d\\ude00\"", "\"😀\"")]
    public void Canonicalizes_small_cases(string input, string expected) =>
        Assert.Equal(expected, CanonicalJson.CanonicalizeToString(input));

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate")]
    [InlineData("{\"a\":{\"x\":1,\"x\":1}}", "duplicate")]
    [InlineData("[1e400]", "double range")]
    [InlineData("[-1e400]", "double range")]
    [InlineData("\"\\ud800\"", "")]
    [InlineData("\"\\udc00x\"", "")]
    [InlineData("{\"a\":1} x", "")]
    [InlineData("[1,]", "")]
    [InlineData("/* c */ 1", "")]
    [InlineData("01", "")]
    [InlineData("'a'", "")]
    [InlineData("", "")]
    [InlineData("   ", "")]
    [InlineData("[NaN]", "")]
    [InlineData("{\"a\":1", "")]
    [InlineData("\"tab\there\"", "")]
    public void Rejects_bad_input(string input, string reasonFragment)
    {
        var e = Assert.Throws<WireFormatException>(() => CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input)));
        Assert.Contains(reasonFragment, e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x22, 0xff, 0x22 })] // invalid byte
    [InlineData(new byte[] { 0x22, 0xc0, 0xaf, 0x22 })] // overlong '/'
    [InlineData(new byte[] { 0x22, 0xed, 0xa0, 0x80, 0x22 })] // UTF-8 encoded lone surrogate U+D800
    [InlineData(new byte[] { 0x22, 0xe2, 0x82, 0x22 })] // truncated sequence
    [InlineData(new byte[] { 0xef, 0xbb, 0xbf, 0x31 })] // byte-order mark
    [InlineData(new byte[] { 0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d })] // invalid UTF-8 in a name
    public void Rejects_invalid_utf8(byte[] input) =>
        Assert.Throws<WireFormatException>(() => CanonicalJson.Canonicalize(input));

    [Fact]
    public void Rejects_a_dotnet_string_with_a_lone_surrogate() =>
        Assert.Throws<WireFormatException>(() => CanonicalJson.Canonicalize("\"\ud800\""));

    [Fact]
    public void Depth_is_bounded()
    {
        var ok = new string('[', CanonicalJson.DefaultMaxDepth) + new string(']', CanonicalJson.DefaultMaxDepth);
        var tooDeep = "[" + ok + "]";

        Assert.Equal(ok, CanonicalJson.CanonicalizeToString(ok));
        Assert.Throws<WireFormatException>(() => CanonicalJson.Canonicalize(tooDeep));
        Assert.Throws<WireFormatException>(() => CanonicalJson.Serialize(JsonNode.Parse(tooDeep, documentOptions: new() { MaxDepth = 200 })));
    }

    [Fact]
    public void Serialize_sorts_and_formats_a_node_tree()
    {
        var node = new JsonObject
        {
            ["logIndex"] = 31821305L,
            ["body"] = "eyJh",
            ["integratedTime"] = 1692374735L,
            ["logID"] = "c0d2",
            ["nested"] = new JsonArray(1.5, -0.0, null, true, "\u00e9\n", new JsonObject { ["z"] = 1, ["a"] = 2 }),
            ["big"] = 9007199254740993L,
            ["dec"] = 4.50m,
        };

        var canonical = Encoding.UTF8.GetString(CanonicalJson.Serialize(node));

        Assert.Equal(
            "{\"big\":9007199254740992,\"body\":\"eyJh\",\"dec\":4.5,\"integratedTime\":1692374735,\"logID\":\"c0d2\",\"logIndex\":31821305,\"nested\":[1.5,0,null,true,\"\u00e9\\n\",{\"a\":2,\"z\":1}]}",
            canonical);
        Assert.Equal("null"u8.ToArray(), CanonicalJson.Serialize(null));
        Assert.Equal(CanonicalJson.Serialize(node), CanonicalJson.Canonicalize(node.ToJsonString()));
    }

    [Fact]
    public void Serialize_rejects_lone_surrogates()
    {
        Assert.Throws<WireFormatException>(() => CanonicalJson.Serialize(JsonValue.Create("a\udc00")));
        Assert.Throws<WireFormatException>(() => CanonicalJson.Serialize(new JsonObject { ["\ud800"] = 1 }));
    }

    [Fact]
    public void Random_bytes_never_escape_as_another_exception()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            try
            {
                var canonical = CanonicalJson.Canonicalize(bytes);
                Assert.Equal(canonical, CanonicalJson.Canonicalize(canonical));
            }
            catch (WireFormatException)
            {
            }
        }, iter: 20_000);
    }

    [Fact]
    public void Mutated_json_never_escapes_as_another_exception()
    {
        var seed = TestData.ReadBytes("jcs", "input", "values.json");
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte).Array[1, 4].Sample(edits =>
        {
            var copy = (byte[])seed.Clone();
            foreach (var (at, value) in edits)
            {
                copy[at] = value;
            }

            try
            {
                CanonicalJson.Canonicalize(copy);
            }
            catch (WireFormatException)
            {
            }
        }, iter: 20_000);
    }
}
