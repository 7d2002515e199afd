namespace PrivateSigstore.Cli.Tests;

/// <summary>Runs psig in process (the same <see cref="PsigApp.RunAsync"/> the executable runs) and captures its output.</summary>
internal static class Psig
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Task<Result> RunAsync(params string[] args) => RunAsync(interactive: false, args);

    /// <summary>Runs psig as on a terminal (<paramref name="interactive"/>) or piped.</summary>
    public static async Task<Result> RunAsync(bool interactive, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PsigApp.RunAsync(args, new CliConsole(output, error, interactive), TestContext.Current.CancellationToken);
        return new Result(code, output.ToString(), error.ToString());
    }
}
