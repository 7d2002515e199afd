using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Client.Timestamp;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Cli.Commands;

/// <summary>A Rekor log to write to and the major API version it speaks.</summary>
internal sealed record RekorService(Uri Url, uint Version);

/// <summary>
/// The CA, Rekor logs and timestamp authorities a signing command uses, from flags or a signing config (chosen as
/// sigstore-go chooses: <see cref="ServiceSelection"/>). Flags win over the config; <c>--rekor-version</c> limits the
/// Rekor versions considered.
/// </summary>
internal sealed record SigningServices(Uri? FulcioUrl, IReadOnlyList<RekorService> Rekors, IReadOnlyList<Uri> TimestampAuthorities)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>How attestations are written to Rekor v2 logs (default: hashedrekord over the PAE, as sigstore-go).</summary>
    public RekorV2DsseMode DsseMode { get; init; } = RekorV2DsseMode.HashedRekordOverPae;

    /// <summary>The first Rekor log (the one reported when there are several).</summary>
    public Uri RekorUrl => Rekors[0].Url;

    /// <summary>Reads a signing config (v0.2, or v0.1) and selects its services for <paramref name="rekorVersion"/> (null: 1 or 2).</summary>
    public static SigningServices FromSigningConfig(FileInfo file, uint? rekorVersion = null, DateTimeOffset? now = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--signing-config {file.Name}", e);
        }
        return FromSigningConfig(bytes, $"--signing-config {file.Name}", file.Name, rekorVersion, now);
    }

    /// <summary>A signing config's services from its bytes; errors name <paramref name="label"/>.</summary>
    public static SigningServices FromSigningConfig(byte[] bytes, string label, string name, uint? rekorVersion = null, DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        SigningServices services;
        try
        {
            if (SigningConfigMediaType.IsV01(SigningConfigJson.PeekMediaType(bytes)))
            {
                var v01 = SigningConfigJson.ParseV01(bytes);
                services = new SigningServices(string.IsNullOrEmpty(v01.CaUrl) ? null : new Uri(v01.CaUrl),
                    [new RekorService(new Uri(v01.TlogUrls.Count > 0 ? v01.TlogUrls[0] : throw new UsageException($"{name}: no tlogUrls")), rekorVersion ?? 1)],
                    [.. v01.TsaUrls.Take(1).Select(u => new Uri(u))]);
            }
            else
            {
                services = Select(SigningConfigJson.Parse(bytes), rekorVersion, at);
            }
        }
        catch (Exception e) when (e is WireFormatException or UriFormatException or ServiceSelectionException)
        {
            throw new UsageException(label, e);
        }
        return services.RequireTimestampsForV2();
    }

    /// <summary>The Rekor log a signing config points readers at (the first one signing would write to); no TSA needed.</summary>
    public static RekorService FromSigningConfigRekor(FileInfo file, uint? rekorVersion)
    {
        try
        {
            var bytes = File.ReadAllBytes(file.FullName);
            if (SigningConfigMediaType.IsV01(SigningConfigJson.PeekMediaType(bytes)))
            {
                var v01 = SigningConfigJson.ParseV01(bytes);
                return new RekorService(new Uri(v01.TlogUrls.Count > 0 ? v01.TlogUrls[0] : throw new UsageException($"{file.Name}: no tlogUrls")), rekorVersion ?? 1);
            }
            return Select(SigningConfigJson.Parse(bytes), rekorVersion, DateTimeOffset.UtcNow).Rekors[0];
        }
        catch (Exception e) when (e is IOException or WireFormatException or UriFormatException or UnauthorizedAccessException or ServiceSelectionException)
        {
            throw new UsageException($"--signing-config {file.Name}", e);
        }
    }

    /// <summary>
    /// sigstore-go's choice for a v0.2 config: Rekor logs by <c>rekorTlogConfig</c> among versions 1 and 2 (or only
    /// <paramref name="rekorVersion"/>), the highest version first; TSAs by <c>tsaConfig</c> (version 1) when any are
    /// listed; the newest CA valid now (none when none is, which only keyless signing minds).
    /// </summary>
    /// <exception cref="ServiceSelectionException">No Rekor log (or listed TSA) fits.</exception>
    public static SigningServices Select(SigningConfig config, uint? rekorVersion, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        var versions = rekorVersion is { } v ? [v] : ServiceSelection.RekorVersions;
        var rekors = ServiceSelection.SelectServices(config.RekorTlogUrls, config.RekorTlogConfig, versions, now);
        var tsas = config.TsaUrls.Count == 0 ? []
            : ServiceSelection.SelectServices(config.TsaUrls, config.TsaConfig, ServiceSelection.TsaVersions, now);
        Uri? ca = null;
        if (config.CaUrls.Count > 0)
        {
            try
            {
                ca = new Uri(ServiceSelection.SelectService(config.CaUrls, ServiceSelection.CaVersions, now).Url);
            }
            catch (ServiceSelectionException)
            {
                // Key-based signing needs no CA; keyless signing reports the missing CA.
            }
        }
        return new SigningServices(ca, [.. rekors.Select(s => new RekorService(new Uri(s.Url), s.MajorApiVersion))], [.. tsas.Select(s => new Uri(s.Url))]);
    }

    /// <summary>
    /// Flags win over the signing config (<paramref name="signingConfig"/>, else <paramref name="tufSigningConfig"/>, the
    /// one from psig's TUF cache); Rekor is required; a Rekor v2 log requires a timestamp authority.
    /// </summary>
    public static SigningServices Resolve(FileInfo? signingConfig, string? fulcioUrl, string? rekorUrl, uint? rekorVersion = null, string? tsaUrl = null, byte[]? tufSigningConfig = null)
    {
        if (rekorVersion is { } version && version is not (1 or 2))
        {
            throw new UsageException("--rekor-version must be 1 or 2");
        }
        var fromConfig = signingConfig is not null ? FromSigningConfig(signingConfig, rekorVersion)
            : tufSigningConfig is not null ? FromSigningConfig(tufSigningConfig, $"{PsigTrust.SigningConfigTarget} from the TUF repository", PsigTrust.SigningConfigTarget, rekorVersion)
            : null;
        try
        {
            IReadOnlyList<RekorService> rekors = rekorUrl is not null ? [new RekorService(new Uri(rekorUrl), rekorVersion ?? 1)]
                : fromConfig?.Rekors ?? throw new UsageException("give --rekor-url or --signing-config (or psig initialize a TUF repository that publishes signing_config.v0.2.json)");
            var fulcio = fulcioUrl ?? fromConfig?.FulcioUrl?.AbsoluteUri;
            IReadOnlyList<Uri> tsas = tsaUrl is not null ? [new Uri(tsaUrl)] : fromConfig?.TimestampAuthorities ?? [];
            return new SigningServices(fulcio is null ? null : new Uri(fulcio), rekors, tsas).RequireTimestampsForV2();
        }
        catch (UriFormatException e)
        {
            throw new UsageException("bad service URL", e);
        }
    }

    private SigningServices RequireTimestampsForV2() =>
        Rekors.Any(r => r.Version >= 2) && TimestampAuthorities.Count == 0
            ? throw new UsageException("Rekor v2 entries carry no signed entry timestamp, so signing with Rekor v2 needs a timestamp authority: the signing config lists no tsaUrls (give --tsa-url, or --rekor-version 1)")
            : this;

    /// <summary>The log writers, in order: Rekor v1 (REST) or v2 (tiles) per <see cref="Rekors"/>.</summary>
    public IReadOnlyList<ITransparencyLogWriter> Writers() =>
        [.. Rekors.Select(r => r.Version >= 2 ? (ITransparencyLogWriter)new RekorV2Client(Http, r.Url, DsseMode) : new RekorV1Writer(new RekorClient(Http, r.Url)))];

    /// <summary>The timestamp clients, in order.</summary>
    public IReadOnlyList<TimestampClient> TimestampClients() => [.. TimestampAuthorities.Select(u => new TimestampClient(Http, u))];

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
        var signer = new BundleSigner(services.Writers(), services.TimestampClients());
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
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        await File.WriteAllTextAsync(bundlePath.FullName, BundleJson.Serialize(bundle), ct).ConfigureAwait(false);
        var written = bundle.VerificationMaterial!;
        for (var i = 0; i < written.TlogEntries.Count; i++)
        {
            var entry = written.TlogEntries[i];
            await console.Error.WriteLineAsync($"tlog entry created with index: {entry.LogIndex} (Rekor v{services.Rekors[i].Version}, {entry.KindVersion?.Kind} {entry.KindVersion?.Version})").ConfigureAwait(false);
        }
        foreach (var _ in written.TimestampVerificationData?.Rfc3161Timestamps ?? [])
        {
            await console.Error.WriteLineAsync("RFC 3161 timestamp added").ConfigureAwait(false);
        }
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
            predicateJson = StrictJson.Parse(File.ReadAllText(predicate.FullName));
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

    /// <summary>
    /// Opens a PKCS#11 token; in the NativeAOT build refuses with <see cref="Pkcs11UnavailableMessage"/>. The check is a
    /// feature switch the AOT compiler folds to a constant, so the PKCS#11 library code (which it cannot compile
    /// soundly) is not in that binary at all.
    /// </summary>
    internal static Pkcs11Token OpenToken(Pkcs11Options options)
    {
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new UsageException(Pkcs11UnavailableMessage);
        }
        return Pkcs11Token.Open(options);
    }

    /// <summary>What the NativeAOT build says for a PKCS#11 key.</summary>
    internal const string Pkcs11UnavailableMessage = "PKCS#11 keys are not available in this psig build (NativeAOT; the PKCS#11 library needs runtime marshalling): use the ReadyToRun build (PSIG_BUILD=r2r deploy/release/build-psig.sh) or psig as a dotnet tool";

    /// <summary>A <c>pkcs11:token=LABEL;object=KEYLABEL</c> URI: the token options (module and PIN from PSIG_PKCS11_MODULE / PSIG_PKCS11_PIN) and the key label.</summary>
    public static (Pkcs11Options Options, string Label) Pkcs11Uri(string uri)
    {
        if (!uri.StartsWith("pkcs11:", StringComparison.Ordinal))
        {
            throw new UsageException($"{uri} is not a pkcs11: URI (pkcs11:token=LABEL;object=KEYLABEL)");
        }
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            // The NativeAOT release binary: Pkcs11Interop reads the module's function list with runtime marshalling, which
            // NativeAOT cannot do. Say so instead of crashing.
            throw new UsageException(Pkcs11UnavailableMessage);
        }
        var attributes = uri["pkcs11:".Length..].Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "", StringComparer.Ordinal);
        var options = new Pkcs11Options
        {
            ModulePath = Environment.GetEnvironmentVariable("PSIG_PKCS11_MODULE") ?? new Pkcs11Options().ModulePath,
            TokenLabel = attributes.GetValueOrDefault("token"),
            PinEnvironmentVariable = "PSIG_PKCS11_PIN",
        };
        return (options, attributes.GetValueOrDefault("object") ?? throw new UsageException("pkcs11 key URI needs object=<label>"));
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
            var (options, label) = Pkcs11Uri(key);
            var token = OpenToken(options);
            try
            {
                return (token.GetKey(label), token);
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
