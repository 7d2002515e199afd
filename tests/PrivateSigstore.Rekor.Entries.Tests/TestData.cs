using System.Text.Json;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>Golden files copied next to the test assembly (see testdata/*/README.md for their origins).</summary>
internal static class TestData
{
    public static string PathOf(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "testdata", .. parts]);

    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "testdata", relative);

    public static byte[] ReadBytes(params string[] parts) => File.ReadAllBytes(PathOf(parts));

    public static string ReadText(params string[] parts) => File.ReadAllText(PathOf(parts));

    public static JsonDocument ReadJson(params string[] parts) => JsonDocument.Parse(ReadBytes(parts));

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));
}
