namespace PrivateSigstore.Explorer;

/// <summary>The executable: the log explorer (section "Explorer"), on http://127.0.0.1:8080 by default.</summary>
internal static class ExplorerProgram
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            var app = await ExplorerApp.BuildAsync(args).ConfigureAwait(false);
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("explorer: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }
}
