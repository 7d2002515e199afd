namespace PrivateSigstore.Stack;

/// <summary>
/// The psig command the stack prints: the psig built with the stack (<c>dotnet …/PrivateSigstore.Cli/bin/CONFIG/net10.0/psig.dll</c>,
/// which starts in a fraction of a second), else a <c>psig</c> on the PATH (the dotnet tool or the release binary), else
/// <c>dotnet run</c> from the checkout (seconds per command).
/// </summary>
internal static class PsigLocator
{
    /// <summary>The command prefix, and a few words on where it comes from.</summary>
    internal sealed record Psig(string Command, string Where);

    public static Psig Find() => Find(AppContext.BaseDirectory, Environment.GetEnvironmentVariable("PATH"));

    internal static Psig Find(string baseDirectory, string? path)
    {
        // The stack runs from src/PrivateSigstore.Stack/bin/CONFIG/TFM/; the Stack project builds the Cli project too
        // (a project reference without the assembly), so psig.dll is at src/PrivateSigstore.Cli/bin/CONFIG/TFM/.
        var here = new DirectoryInfo(Path.TrimEndingDirectorySeparator(baseDirectory));
        if (here.Parent is { } configuration && configuration.Parent?.Parent is { } project && project.Parent is { } src)
        {
            var dll = Path.Combine(src.FullName, "PrivateSigstore.Cli", "bin", configuration.Name, here.Name, "psig.dll");
            if (File.Exists(dll))
            {
                return new Psig("dotnet " + Quote(dll), "psig as built with the stack");
            }
        }
        var besideUs = Path.Combine(baseDirectory, "psig.dll");
        if (File.Exists(besideUs))
        {
            return new Psig("dotnet " + Quote(besideUs), "psig as built with the stack");
        }
        foreach (var directory in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "psig")))
            {
                return new Psig("psig", "psig from your PATH");
            }
        }
        return new Psig("dotnet run --project src/PrivateSigstore.Cli --", "from this checkout; slow: install psig as a dotnet tool, docs/client.md");
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;
}
