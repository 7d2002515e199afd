using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Cli.Commands;

/// <summary>The CA and log a signing command uses, from flags or a signing config.</summary>
internal sealed record SigningServices(Uri? FulcioUrl, Uri RekorUrl)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Reads a signing config (v0.2, or v0.1): the first CA URL and the first Rekor v1 URL.</summary>
    public static SigningServices FromSigningConfig(FileInfo file)
    {
        try
        {
            var bytes = File.ReadAllBytes(file.FullName);
            if (SigningConfigMediaType.IsV01(SigningConfigJson.PeekMediaType(bytes)))
            {
                var v01 = SigningConfigJson.ParseV01(bytes);
                return new SigningServices(string.IsNullOrEmpty(v01.CaUrl) ? null : new Uri(v01.CaUrl),
                    new Uri(v01.TlogUrls.Count > 0 ? v01.TlogUrls[0] : throw new UsageException($"{file.Name}: no tlogUrls")));
            }
            var config = SigningConfigJson.Parse(bytes);
            var rekor = config.RekorTlogUrls.FirstOrDefault(s => s.MajorApiVersion == 1)
                ?? throw new UsageException($"{file.Name}: no Rekor v1 service (this client writes Rekor v1 entries)");
            return new SigningServices(config.CaUrls.Count > 0 ? new Uri(config.CaUrls[0].Url) : null, new Uri(rekor.Url));
        }
        catch (Exception e) when (e is IOException or WireFormatException or UriFormatException or UnauthorizedAccessException)
        {
            throw new UsageException($"--signing-config {file.Name}", e);
        }
    }

    /// <summary>Flags win over the signing config; Rekor is required.</summary>
    public static SigningServices Resolve(FileInfo? signingConfig, string? fulcioUrl, string? rekorUrl)
    {
        var fromConfig = signingConfig is null ? null : FromSigningConfig(signingConfig);
        var rekor = rekorUrl ?? fromConfig?.RekorUrl.AbsoluteUri ?? throw new UsageException("give --rekor-url or --signing-config");
        var fulcio = fulcioUrl ?? fromConfig?.FulcioUrl?.AbsoluteUri;
        try
        {
            return new SigningServices(fulcio is null ? null : new Uri(fulcio), new Uri(rekor));
        }
        catch (UriFormatException e)
        {
            throw new UsageException("bad service URL", e);
        }
    }

    public RekorClient Rekor() => new(Http, RekorUrl);

    public static HttpClient HttpClient => Http;

    /// <summary>Keyless: ephemeral key, Fulcio certificate, Rekor entry, bundle written to <paramref name="bundlePath"/>.</summary>
    public static async Task<int> SignKeylessAsync(CliConsole console, SigningServices services, string token, FileInfo input, FileInfo bundlePath, bool inToto, CancellationToken ct)
    {
        if (services.FulcioUrl is null)
        {
            throw new UsageException("keyless signing needs --fulcio-url or a signing config with a CA");
        }
        var fulcio = new FulcioClient(Http, services.FulcioUrl);
        SignerMaterial material;
        try
        {
            material = await KeylessSigning.CreateAsync(fulcio, token, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServiceClientException or ArgumentException or HttpRequestException)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
        using (material.Key)
        {
            return await SignAsync(console, services, material, input, bundlePath, inToto, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Signs with <paramref name="material"/> and writes the bundle; 0 on success, 1 on a service failure.</summary>
    public static async Task<int> SignAsync(CliConsole console, SigningServices services, SignerMaterial material, FileInfo input, FileInfo bundlePath, bool inToto, CancellationToken ct)
    {
        byte[] data;
        try
        {
            data = await ReadAsync(console, input, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException(input.Name, e);
        }
        var signer = new BundleSigner(services.Rekor());
        Bundle bundle;
        try
        {
            bundle = inToto ? await signer.AttestAsync(material, data, cancellationToken: ct).ConfigureAwait(false)
                : await signer.SignBlobAsync(material, data, ct).ConfigureAwait(false);
        }
        catch (ServiceClientException e)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
        await File.WriteAllTextAsync(bundlePath.FullName, BundleJson.Serialize(bundle), ct).ConfigureAwait(false);
        var entry = bundle.VerificationMaterial!.TlogEntries[0];
        await console.Error.WriteLineAsync($"tlog entry created with index: {entry.LogIndex}").ConfigureAwait(false);
        await console.Error.WriteLineAsync($"Wrote bundle to file {bundlePath.Name}").ConfigureAwait(false);
        return ExitCodes.Verified;
    }

    /// <summary>Reads the file to sign, with a percentage on a terminal for large files.</summary>
    private static async Task<byte[]> ReadAsync(CliConsole console, FileInfo input, CancellationToken ct)
    {
        if (ByteProgress.For(console, "reading " + input.Name, input.FullName) is not { } progress)
        {
            return await File.ReadAllBytesAsync(input.FullName, ct).ConfigureAwait(false);
        }
        await using var stream = File.OpenRead(input.FullName);
        var data = new byte[stream.Length];
        var offset = 0;
        while (offset < data.Length)
        {
            var n = await stream.ReadAsync(data.AsMemory(offset, Math.Min(1 << 20, data.Length - offset)), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"{input.Name} shrank while it was read");
            }
            offset += n;
            progress.Report(offset);
        }
        return data;
    }

    /// <summary>An in-toto v1 statement for <paramref name="subject"/> with a predicate from a JSON file.</summary>
    public static byte[] Statement(FileInfo subject, string predicateType, FileInfo predicate)
    {
        JsonNode? predicateJson;
        try
        {
            predicateJson = JsonNode.Parse(File.ReadAllText(predicate.FullName));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            throw new UsageException($"--predicate {predicate.Name}", e);
        }
        using var stream = File.OpenRead(subject.FullName);
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        var statement = new JsonObject
        {
            ["_type"] = "https://in-toto.io/Statement/v1",
            ["subject"] = new JsonArray(new JsonObject { ["name"] = subject.Name, ["digest"] = new JsonObject { ["sha256"] = digest } }),
            ["predicateType"] = predicateType,
            ["predicate"] = predicateJson,
        };
        return System.Text.Encoding.UTF8.GetBytes(statement.ToJsonString());
    }

    /// <summary>Loads <c>--key</c>: a PEM private key file, or <c>pkcs11:token=LABEL;object=KEYLABEL</c> (module and PIN from PSIG_PKCS11_MODULE / PSIG_PKCS11_PIN).</summary>
    public static (ISigningKey Key, IDisposable? Token) LoadKey(string key, string? password)
    {
        try
        {
            if (!key.StartsWith("pkcs11:", StringComparison.Ordinal))
            {
                return (PemSigningKey.Load(key, password), null);
            }
            var attributes = key["pkcs11:".Length..].Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "", StringComparer.Ordinal);
            var options = new Pkcs11Options
            {
                ModulePath = Environment.GetEnvironmentVariable("PSIG_PKCS11_MODULE") ?? new Pkcs11Options().ModulePath,
                TokenLabel = attributes.GetValueOrDefault("token"),
                PinEnvironmentVariable = "PSIG_PKCS11_PIN",
            };
            var token = Pkcs11Token.Open(options);
            try
            {
                return (token.GetKey(attributes.GetValueOrDefault("object") ?? throw new UsageException("pkcs11 key URI needs object=<label>")), token);
            }
            catch
            {
                token.Dispose();
                throw;
            }
        }
        catch (KeyConfigurationException e)
        {
            throw new UsageException("--key", e);
        }
    }
}
