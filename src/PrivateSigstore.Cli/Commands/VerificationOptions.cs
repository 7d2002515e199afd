using System.CommandLine;
using System.Reflection;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Cli.Commands;

/// <summary>The identity and trust flags shared by the verify commands (cosign names).</summary>
internal sealed class VerificationOptions
{
    public Option<string?> Identity { get; } = new("--certificate-identity") { Description = "Exact SAN (email or URI) the certificate must carry" };

    public Option<string?> IdentityRegexp { get; } = new("--certificate-identity-regexp") { Description = "Regular expression a certificate SAN must match: Go (RE2) syntax as in cosign, unanchored (use ^...$), $ is the end of the text" };

    public Option<string?> Issuer { get; } = new("--certificate-oidc-issuer") { Description = "Exact OIDC issuer the certificate must name" };

    public Option<FileInfo?> Key { get; } = new("--key") { Description = "PEM public key the bundle must be signed with (instead of a certificate identity)" };

    public Option<FileInfo?> TrustedRoot { get; } = new("--trusted-root") { Description = "trusted_root.json (default: the one from the TUF repository psig initialize trusted, else the embedded public-good production root)" };

    public Option<FileInfo?> Record { get; } = new("--record") { Description = "Write the JSON verification record (audit) to this file" };

    public Option<FileInfo?> WitnessPolicy { get; } = new("--witness-policy") { Description = "Require witness cosignatures on each log checkpoint, as this policy file says (witness/group/quorum lines; default: none)" };

    /// <summary>The verifier settings: the witness policy when <c>--witness-policy</c> is given.</summary>
    public VerifierOptions VerifierSettings(ParseResult parse)
    {
        if (parse.GetValue(WitnessPolicy) is not { } file)
        {
            return new VerifierOptions();
        }
        try
        {
            return new VerifierOptions { WitnessPolicy = Client.Verification.WitnessPolicy.Parse(File.ReadAllText(file.FullName), file.Name) };
        }
        catch (WireFormatException e)
        {
            throw new UsageException("--witness-policy " + e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--witness-policy {file.Name}", e);
        }
    }

    public void AddTo(Command command, bool withRecord = true)
    {
        command.Options.Add(Identity);
        command.Options.Add(IdentityRegexp);
        command.Options.Add(Issuer);
        command.Options.Add(Key);
        command.Options.Add(TrustedRoot);
        command.Options.Add(WitnessPolicy);
        if (withRecord)
        {
            command.Options.Add(Record);
        }
    }

    /// <summary>The identity policy from the flags; a <see cref="UsageException"/> when they conflict or are missing.</summary>
    public IdentityPolicy Policy(ParseResult parse)
    {
        var identity = parse.GetValue(Identity);
        var regexp = parse.GetValue(IdentityRegexp);
        var issuer = parse.GetValue(Issuer);
        var key = parse.GetValue(Key);
        if (key is not null)
        {
            if (identity is not null || regexp is not null || issuer is not null)
            {
                throw new UsageException("--key cannot be combined with --certificate-identity[-regexp] or --certificate-oidc-issuer");
            }
            try
            {
                return IdentityPolicy.PublicKeyPem(File.ReadAllText(key.FullName));
            }
            catch (Exception e) when (e is IOException or WireFormatException or UnauthorizedAccessException)
            {
                throw new UsageException($"--key {key.Name}", e);
            }
        }
        if ((identity is null) == (regexp is null))
        {
            throw new UsageException("give exactly one of --certificate-identity and --certificate-identity-regexp (or --key)");
        }
        if (string.IsNullOrEmpty(issuer))
        {
            throw new UsageException("--certificate-oidc-issuer is required with a certificate identity");
        }
        try
        {
            return identity is not null ? IdentityPolicy.Certificate(identity, issuer) : IdentityPolicy.CertificateRegex(regexp!, issuer);
        }
        catch (ArgumentException e)
        {
            throw new UsageException("--certificate-identity-regexp", e);
        }
    }

    public Task<TrustedMaterial> MaterialAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken) =>
        LoadMaterialAsync(parse.GetValue(TrustedRoot), console, cancellationToken);

    /// <summary>
    /// The trust material: <c>--trusted-root</c> when given; else trusted_root.json from psig's TUF cache (refreshed
    /// when its timestamp has expired); else the embedded public-good production root, with a note on stderr.
    /// </summary>
    public static async Task<TrustedMaterial> LoadMaterialAsync(FileInfo? file, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (file is not null)
        {
            TrustedRoot root;
            try
            {
                using var input = File.OpenRead(file.FullName);
                root = TrustedRootJson.Parse(input);
            }
            catch (Exception e) when (e is IOException or WireFormatException or UnauthorizedAccessException)
            {
                throw new UsageException($"--trusted-root {file.Name}", e);
            }
            // An empty {} or a signing config parses as an empty root; refuse it by its media type instead of failing later.
            if (!root.MediaType.StartsWith("application/vnd.dev.sigstore.trustedroot", StringComparison.Ordinal))
            {
                throw new UsageException(root.MediaType.Length == 0
                    ? $"--trusted-root {file.Name} is not a trusted root: it has no mediaType (expected {TrustedRootMediaType.V0_1})"
                    : $"--trusted-root {file.Name} is not a trusted root: its mediaType is \"{root.MediaType}\" (expected {TrustedRootMediaType.V0_1})");
            }
            return new TrustedMaterial(root) { Source = $"--trusted-root {file.FullName}" };
        }
        if (await PsigTrust.TargetAsync(console, PsigTrust.TrustedRootTarget, optional: false, cancellationToken).ConfigureAwait(false) is { } bytes)
        {
            try
            {
                return new TrustedMaterial(TrustedRootJson.Parse(bytes)) { Source = $"trusted_root.json from the TUF repository psig initialize trusted (cache {PsigTrust.Home(console)})" };
            }
            catch (WireFormatException e)
            {
                throw new TrustException($"trusted_root.json from the TUF repository does not parse: {e.Message}");
            }
        }
        await console.Error.WriteLineAsync($"psig: no TUF trust in {PsigTrust.Home(console)} (psig initialize --mirror URL --root FILE); using the embedded public-good production trusted root").ConfigureAwait(false);
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("production.trusted_root.json")!;
        return new TrustedMaterial(TrustedRootJson.Parse(stream)) { Source = "the embedded public-good production root", IsPublicGoodDefault = true };
    }

    /// <summary>Writes the record when --record was given.</summary>
    public async Task WriteRecordAsync(ParseResult parse, VerificationRecord record, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Record) is { } path)
        {
            await File.WriteAllTextAsync(path.FullName, record.ToJson() + "\n", cancellationToken).ConfigureAwait(false);
        }
    }
}
