using System.CommandLine;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Trust;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig trusted-root</c>: writes a trusted_root.json for a running private stack.</summary>
internal static class TrustedRootCommand
{
    public static Command Create(CliConsole console)
    {
        var rekor = new Option<string>("--rekor-url") { Description = "Rekor base URL", Required = true };
        var fulcio = new Option<string?>("--fulcio-url") { Description = "Fulcio base URL (its /api/v2/trustBundle becomes the CA)" };
        var ctKeys = new Option<FileInfo[]>("--ctlog-public-key") { Description = "PEM public key of a CT log whose SCTs Fulcio embeds (repeatable)" };
        var validFrom = new Option<DateTimeOffset?>("--valid-from") { Description = "Start of every validity period (default: now minus one day)" };
        var output = new Option<FileInfo?>("--out") { Description = "Write here instead of standard output" };
        var command = new Command("trusted-root", "Build trusted_root.json from a running stack (trust on first use: check the keys against your ceremony records)")
        {
            rekor, fulcio, ctKeys, validFrom, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            List<byte[]> keys;
            try
            {
                keys = [.. (parse.GetValue(ctKeys) ?? []).Select(f => GoPem.DecodePublicKey(File.ReadAllText(f.FullName)))];
            }
            catch (Exception e) when (e is IOException or WireFormatException or UnauthorizedAccessException)
            {
                throw new UsageException("--ctlog-public-key", e);
            }
            Uri rekorUrl, fulcioUrl;
            try
            {
                rekorUrl = new Uri(parse.GetValue(rekor)!);
                fulcioUrl = parse.GetValue(fulcio) is { } f ? new Uri(f) : null!;
            }
            catch (UriFormatException e)
            {
                throw new UsageException("bad service URL", e);
            }
            try
            {
                var root = await TrustedRootBuilder.FromServicesAsync(SigningServices.HttpClient, rekorUrl, fulcioUrl, keys,
                    parse.GetValue(validFrom) ?? DateTimeOffset.UtcNow.AddDays(-1), ct).ConfigureAwait(false);
                var json = TrustedRootJson.Serialize(root, indented: true);
                if (parse.GetValue(output) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, json + "\n", ct).ConfigureAwait(false);
                }
                else
                {
                    await console.Out.WriteLineAsync(json).ConfigureAwait(false);
                }
                return ExitCodes.Verified;
            }
            catch (Exception e) when (e is ServiceClientException or HttpRequestException or WireFormatException or ArgumentException)
            {
                await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
        });
        return command;
    }
}
