using System.Text.Json;

namespace PrivateSigstore.Core.Tests;

/// <summary>Reads golden vectors copied next to the test assembly from testdata/.</summary>
internal static class TestData
{
    public static string PathOf(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "testdata", .. parts]);

    public static byte[] ReadBytes(params string[] parts) => File.ReadAllBytes(PathOf(parts));

    public static string ReadText(params string[] parts) => File.ReadAllText(PathOf(parts));

    public static JsonDocument ReadJson(params string[] parts) => JsonDocument.Parse(ReadBytes(parts));
}
