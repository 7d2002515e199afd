namespace PrivateSigstore.Core.Tests;

/// <summary>Golden files copied next to the test assembly (see testdata/*/README.md for their origins).</summary>
internal static class TestData
{
    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "testdata", relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    public static string Text(string relative) => File.ReadAllText(PathOf(relative));
}
