using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace PrivateSigstore.Rekor.V2;

/// <summary>
/// The <c>v2</c> command line of the Rekor executable: <c>v2 serve</c> runs the Rekor v2 service, <c>v2 export-tiles DIR</c>
/// writes the log as static tlog-tiles files. Settings not covered by options are passed as configuration
/// (<c>--RekorV2:Origin log.example.com</c>), as for the service.
/// </summary>
public static class RekorV2Command
{
    /// <summary>Parses and runs the arguments after <c>v2</c>; returns the exit code (2 for a usage error, 1 for a bad setting).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var serve = new Command("serve", """
            Runs the Rekor v2 service (rekor-tiles write API + C2SP tlog-tiles reads under /api/v2) on http://127.0.0.1:3001.
            Configuration: section RekorV2 (appsettings, RekorV2__X environment variables, or --RekorV2:X value).
            """)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (parse, ct) =>
        {
            // A store that cannot be opened (found by ServiceDiskFaultTests: an unhandled SqliteException, exit 134, on a
            // read-only disk) or a wrong setting: one line, exit 1, as Rekor v1.
            return await PrivateSigstore.Hosting.ServiceApp.RunAsync("log store", () => RekorV2App.BuildAsync([.. parse.UnmatchedTokens], cancellationToken: ct),
                e => e is PrivateSigstore.Keys.KeyConfigurationException, ct).ConfigureAwait(false);
        });

        var directory = new Argument<DirectoryInfo>("DIR") { Description = "Where to write checkpoint, tile/… and tile/entries/… (created if missing)" };
        var data = new Option<string?>("--data") { Description = "The log's data directory (RekorV2:DataDirectory; default data/rekor-v2)" };
        var logId = new Option<string?>("--log-id") { Description = "The log's id in the store (RekorV2:LogId; default rekor-v2)" };
        var origin = new Option<string?>("--origin") { Description = "The log's origin (RekorV2:Origin; default 127.0.0.1)" };
        var export = new Command("export-tiles", """
            Writes the log's checkpoint, tiles and entry bundles as static files in the C2SP tlog-tiles layout, so that nginx,
            a CDN or removable media can serve a read-only mirror at <base URL>/api/v2. Full tiles already in DIR are kept
            (they never change); the checkpoint is written last. The service may keep running (SQLite WAL).
            """)
        {
            directory, data, logId, origin,
        };
        export.TreatUnmatchedTokensAsErrors = false;
        export.SetAction(async (parse, ct) =>
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. parse.UnmatchedTokens]).Build();
            var options = new RekorV2Options();
            configuration.GetSection(RekorV2Options.Section).Bind(options);
            if (parse.GetValue(data) is { } d) options.DataDirectory = d;
            if (parse.GetValue(logId) is { } l) options.LogId = l;
            if (parse.GetValue(origin) is { } o) options.Origin = o;
            options.Validate();
            var target = parse.GetValue(directory)!.FullName;
            var result = await ExportAsync(options, target, ct).ConfigureAwait(false);
            Console.WriteLine($"exported tree size {result.TreeSize} to {target}: {result.TilesWritten} tiles and {result.BundlesWritten} entry bundles written");
            return 0;
        });

        var v2 = new Command("v2", "The Rekor v2 (rekor-tiles compatible) personality: its own log, origin and checkpoint key") { serve, export };
        var root = new RootCommand("PrivateSigstore Rekor; without arguments the Rekor v1 service, with \"v2 ...\" the Rekor v2 personality") { v2 };
        var result = root.Parse(["v2", .. args]);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) await Console.Error.WriteLineAsync("rekor v2: " + error.Message).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("Run with v2 --help for the commands and options.").ConfigureAwait(false);
            return 2;
        }
        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or Keys.KeyConfigurationException or Log.LogCorruptedException)
        {
            await Console.Error.WriteLineAsync("rekor v2: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Opens the log described by <paramref name="options"/> and exports it to <paramref name="directory"/>.</summary>
    public static async Task<RekorV2ExportResult> ExportAsync(RekorV2Options options, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = await RekorV2App.OpenLogAsync(options, NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        await using (log.ConfigureAwait(false))
        {
            return await RekorV2Export.ExportAsync(log.Log, directory, cancellationToken).ConfigureAwait(false);
        }
    }
}
