using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Tuf;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// The policy's <c>tuf: {mirror, root}</c>: trusted_root.json fetched through psig's TUF client (the same client and
/// checks as <c>psig initialize</c>: root rotation, rollback, freeze, target hashes), with a cache per mirror and initial
/// root under <c>$PSIG_HOME/gate-tuf/</c> that is used offline while its timestamp is fresh. Each trusted root used is
/// also kept by digest (<c>trusted-roots/sha256-….trusted_root.json</c>), so the record names a file that keeps its bytes
/// and replays offline after the repository has moved on.
/// </summary>
internal static class GateTuf
{
    private const int MaxRootBytes = 512 * 1024;

    /// <summary>The trust material and the record's account of where it came from.</summary>
    /// <exception cref="UsageException">The initial root cannot be read or does not verify.</exception>
    /// <exception cref="TrustException">The TUF update was refused or failed, or the target does not parse.</exception>
    public static async Task<(TrustedMaterial Material, RecordTrustedRoot Root)> LoadAsync(CliConsole console, GateTufSource tuf, string policyName, CancellationToken ct)
    {
        var label = $"--policy {policyName}: tuf";
        byte[] initial;
        try
        {
            var info = new FileInfo(tuf.Root);
            if (info.Exists && info.Length > MaxRootBytes)
            {
                throw new UsageException($"{label}.root {tuf.Root}: more than {MaxRootBytes} bytes");
            }
            initial = await File.ReadAllBytesAsync(tuf.Root, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{label}.root {tuf.Root}: cannot read it: {e.Message}");
        }
        var initialDigest = GovernanceRecord.Digest(initial);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tuf.Mirror.AbsoluteUri + "\n" + initialDigest)))[..16];
        var cache = Path.Combine(PsigTrust.Home(console), "gate-tuf", key);
        TufClient client;
        try
        {
            if (!File.Exists(Path.Combine(cache, "root.json")))
            {
                TufClient.Initialize(cache, initial, Path.GetFileName(tuf.Root));
            }
            client = new TufClient(SigningServices.HttpClient, new TufClientOptions { MetadataBaseUrl = tuf.Mirror, CacheDirectory = cache, TimeProvider = console.Time });
        }
        catch (TufException e)
        {
            throw new UsageException($"{label}.root {tuf.Root}: {OneLine(e.Message)}");
        }
        byte[] bytes;
        try
        {
            await client.EnsureFreshAsync(ct).ConfigureAwait(false);
            bytes = await client.GetTargetAsync(PsigTrust.TrustedRootTarget, ct).ConfigureAwait(false);
        }
        catch (TufException e)
        {
            throw new TrustException($"{label}: TUF update from {tuf.Mirror} failed: {OneLine(e.Message)}");
        }
        TrustedMaterial material;
        var source = $"tuf {tuf.Mirror} {PsigTrust.TrustedRootTarget} (root v{client.Root.Version}, targets v{client.Targets!.Version}; trusted from {tuf.Root} {initialDigest})";
        try
        {
            material = new TrustedMaterial(TrustedRootJson.Parse(bytes)) { Source = source };
        }
        catch (WireFormatException e)
        {
            throw new TrustException($"{label}: {PsigTrust.TrustedRootTarget} from {tuf.Mirror} does not parse: {e.Message}");
        }
        var digest = GovernanceRecord.Digest(bytes);
        var kept = Path.Combine(cache, "trusted-roots", digest.Replace(':', '-') + "." + PsigTrust.TrustedRootTarget);
        if (!File.Exists(kept))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
            AtomicFile.Write(kept, bytes);
        }
        return (material, new RecordTrustedRoot(source, kept, digest));
    }

    /// <summary>A message on one line, at most 300 characters (a parse error may quote the file).</summary>
    private static string OneLine(string message)
    {
        var line = string.Join(' ', message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
