namespace PrivateSigstore.Deploy.Tests;

/// <summary>Paths of this checkout and of the services' build output.</summary>
internal static class Repository
{
    /// <summary>The repository root (the directory holding PrivateSigstore.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Release or Debug: the configuration this test assembly was built with (the services are built alike).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>A file under the root.</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The built service assembly, e.g. src/PrivateSigstore.Rekor/bin/Release/net10.0/PrivateSigstore.Rekor.dll.</summary>
    public static string ServiceDll(string service) =>
        File("src", $"PrivateSigstore.{service}", "bin", Configuration, "net10.0", $"PrivateSigstore.{service}.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivateSigstore.sln not found above " + AppContext.BaseDirectory);
    }
}
