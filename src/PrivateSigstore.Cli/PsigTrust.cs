using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Tuf;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Cli;

/// <summary>
/// psig's TUF trust: <c>psig initialize</c> stores a TUF cache (and the mirror, in <c>remote.json</c>) under
/// <c>$PSIG_HOME/tuf</c> (default <c>~/.sigstore/psig/tuf</c>); commands then take <c>trusted_root.json</c> and
/// <c>signing_config.v0.2.json</c> from it, refreshing first when the cached timestamp has expired.
/// </summary>
internal static class PsigTrust
{
    public const string HomeVariable = "PSIG_HOME";
    public const string TrustedRootTarget = "trusted_root.json";
    public const string SigningConfigTarget = "signing_config.v0.2.json";
    public const string RemoteFile = "remote.json";

    /// <summary>psig's home: <see cref="CliConsole.Home"/>, else $PSIG_HOME, else ~/.sigstore/psig.</summary>
    public static string Home(CliConsole console) =>
        console.Home
        ?? (Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sigstore", "psig"));

    /// <summary>The TUF cache directory.</summary>
    public static string CacheDirectory(CliConsole console) => Path.Combine(Home(console), "tuf");

    /// <summary>True when <c>psig initialize</c> has stored a TUF cache.</summary>
    public static bool IsInitialized(CliConsole console) => File.Exists(Path.Combine(CacheDirectory(console), "root.json"));

    /// <summary>The client over a cache directory, with the mirror recorded in it.</summary>
    public static TufClient Open(CliConsole console, string cacheDirectory)
    {
        string mirror;
        try
        {
            var remote = StrictJson.Parse(File.ReadAllBytes(Path.Combine(cacheDirectory, RemoteFile)));
            mirror = (string?)remote?["mirror"] ?? throw new TrustException($"{Path.Combine(cacheDirectory, RemoteFile)} names no mirror (run psig initialize again)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            throw new TrustException($"the TUF cache in {cacheDirectory} is damaged: {e.Message} (run psig initialize again)");
        }
        try
        {
            return new TufClient(SigningServices.HttpClient, new TufClientOptions
            {
                MetadataBaseUrl = new Uri(mirror),
                CacheDirectory = cacheDirectory,
                TimeProvider = console.Time,
            });
        }
        catch (Exception e) when (e is TufException or UriFormatException)
        {
            throw new TrustException($"the TUF cache in {cacheDirectory} is damaged: {e.Message} (run psig initialize again)");
        }
    }

    /// <summary>
    /// A target from the TUF cache (refreshed first when the cached timestamp has expired); null when psig has no TUF
    /// trust, or when <paramref name="optional"/> and the repository lists no such target.
    /// </summary>
    /// <exception cref="TrustException">The refresh was refused or failed.</exception>
    public static async Task<byte[]?> TargetAsync(CliConsole console, string name, bool optional, CancellationToken cancellationToken)
    {
        if (!IsInitialized(console))
        {
            return null;
        }
        var client = Open(console, CacheDirectory(console));
        try
        {
            await client.EnsureFreshAsync(cancellationToken).ConfigureAwait(false);
            if (optional && client.GetTargetInfo(name) is null)
            {
                return null;
            }
            return await client.GetTargetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (TufException e)
        {
            throw new TrustException($"TUF update from the mirror failed: {e.Message}");
        }
    }
}

/// <summary>The trust material could not be established (a TUF update was refused or failed): exit code 1.</summary>
internal sealed class TrustException(string message) : Exception(message)
{
    public TrustException() : this("trust error") { }

    public TrustException(string message, Exception inner) : this(message + ": " + inner.Message) { }
}
