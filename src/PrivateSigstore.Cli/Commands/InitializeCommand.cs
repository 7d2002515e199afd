using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Tuf;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>psig initialize --mirror URL --root FILE|URL [--root-checksum SHA256]</c> (cosign's words): trust a TUF
/// repository from a root the operator got out of band, fetch its targets, and keep them in psig's home.
/// </summary>
internal static class InitializeCommand
{
    private const int MaxRootBytes = 512 * 1024;

    public static Command Create(CliConsole console)
    {
        var mirror = new Option<string>("--mirror") { Description = "The TUF repository URL (metadata at <mirror>/N.root.json, targets at <mirror>/targets/)", Required = true };
        var root = new Option<string>("--root") { Description = "The initial trusted root.json: a file (or an http/https URL, then give --root-checksum)", Required = true };
        var checksum = new Option<string?>("--root-checksum") { Description = "SHA-256 (hex) the root file must have" };
        var command = new Command("initialize", $"Trust a TUF repository (e.g. the PrivateSigstore TUF service): verify the root, fetch trusted_root.json and signing_config.v0.2.json, and keep them in $PSIG_HOME/tuf (default ~/.sigstore/psig/tuf) for every later command") { mirror, root, checksum };
        command.SetAction((parse, ct) => RunAsync(console, parse.GetValue(mirror)!, parse.GetValue(root)!, parse.GetValue(checksum), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string mirror, string root, string? checksum, CancellationToken ct)
    {
        if (!Uri.TryCreate(mirror, UriKind.Absolute, out var mirrorUrl) || mirrorUrl.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--mirror {mirror}: not an http or https URL");
        }
        var rootBytes = await ReadRootAsync(root, ct).ConfigureAwait(false);
        if (checksum is not null && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(rootBytes)), checksum.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new TrustException($"--root {root}: its SHA-256 is {Convert.ToHexStringLower(SHA256.HashData(rootBytes))}, not the --root-checksum {checksum}");
        }

        var home = PsigTrust.Home(console);
        var final = PsigTrust.CacheDirectory(console);
        var staging = Path.Combine(home, $"tuf.new-{Guid.NewGuid():N}");
        try
        {
            TufMetadata initial;
            try
            {
                initial = TufClient.Initialize(staging, rootBytes, Path.GetFileName(root));
            }
            catch (TufException e)
            {
                throw new UsageException($"--root {root}: {e.Message}");
            }
            AtomicFile.Write(Path.Combine(staging, PsigTrust.RemoteFile), System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["mirror"] = mirrorUrl.AbsoluteUri }.ToJsonString() + "\n"));
            var client = PsigTrust.Open(console, staging);
            var targets = new List<(string Name, byte[] Bytes)>();
            try
            {
                await client.RefreshAsync(ct).ConfigureAwait(false);
                targets.Add((PsigTrust.TrustedRootTarget, await client.GetTargetAsync(PsigTrust.TrustedRootTarget, ct).ConfigureAwait(false)));
                if (client.GetTargetInfo(PsigTrust.SigningConfigTarget) is not null)
                {
                    targets.Add((PsigTrust.SigningConfigTarget, await client.GetTargetAsync(PsigTrust.SigningConfigTarget, ct).ConfigureAwait(false)));
                }
            }
            catch (TufException e)
            {
                throw new TrustException($"TUF update from {mirrorUrl} failed: {e.Message}");
            }
            try
            {
                TrustedRootJson.Parse(targets[0].Bytes);
                if (targets.Count > 1)
                {
                    SigningConfigJson.Parse(targets[1].Bytes);
                }
            }
            catch (WireFormatException e)
            {
                throw new TrustException($"the repository's target does not parse: {e.Message}");
            }

            Replace(staging, final);
            var r = client.Root;
            var info = r.AsRoot().Roles[TufRole.Root];
            var output = console.Out;
            await output.WriteLineAsync($"Initialized TUF trust from {mirrorUrl} (cache: {final})").ConfigureAwait(false);
            await output.WriteLineAsync($"root: version {r.Version}{(r.Version != initial.Version ? $" (from {initial.Version})" : "")}, expires {Format(r.Expires)}, {info.Threshold} of {info.KeyIds.Count} root key(s)").ConfigureAwait(false);
            await output.WriteLineAsync($"timestamp: version {client.Timestamp!.Version}, expires {Format(client.Timestamp.Expires)}").ConfigureAwait(false);
            await output.WriteLineAsync($"targets: version {client.Targets!.Version}, expires {Format(client.Targets.Expires)}").ConfigureAwait(false);
            foreach (var (name, bytes) in targets)
            {
                await output.WriteLineAsync($"  {name}  {bytes.Length} bytes  sha256:{Convert.ToHexStringLower(SHA256.HashData(bytes))}").ConfigureAwait(false);
            }
            if (targets.Count == 1)
            {
                await console.Error.WriteLineAsync($"psig: the repository lists no {PsigTrust.SigningConfigTarget}: signing needs --signing-config or --rekor-url").ConfigureAwait(false);
            }
            return ExitCodes.Verified;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static string Format(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The root from a file or an http(s) URL (at most 512 KiB).</summary>
    private static async Task<byte[]> ReadRootAsync(string root, CancellationToken ct)
    {
        if (Uri.TryCreate(root, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            try
            {
                using var response = await SigningServices.HttpClient.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new TrustException($"--root {root}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                }
                if (response.Content.Headers.ContentLength > MaxRootBytes)
                {
                    throw new TrustException($"--root {root}: more than {MaxRootBytes} bytes");
                }
                var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                return bytes.Length <= MaxRootBytes ? bytes : throw new TrustException($"--root {root}: more than {MaxRootBytes} bytes");
            }
            catch (HttpRequestException e)
            {
                throw new TrustException($"--root {root}: {e.Message}");
            }
        }
        try
        {
            var file = new FileInfo(root);
            if (file.Exists && file.Length > MaxRootBytes)
            {
                throw new UsageException($"--root {root}: more than {MaxRootBytes} bytes");
            }
            return await File.ReadAllBytesAsync(root, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--root {root}: cannot read it: {e.Message}");
        }
    }

    /// <summary>Puts the new cache in place of the old one (the old one is kept until the new one is there).</summary>
    private static void Replace(string staging, string final)
    {
        string? old = null;
        if (Directory.Exists(final))
        {
            old = final + $".old-{Guid.NewGuid():N}";
            Directory.Move(final, old);
        }
        Directory.Move(staging, final);
        if (old is not null)
        {
            Directory.Delete(old, recursive: true);
        }
    }
}
