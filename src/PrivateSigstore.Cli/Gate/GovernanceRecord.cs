using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Gate;

/// <summary>Turns a verification record into a v0.2 governance record (the evidence an auditor replays).</summary>
internal static class GovernanceRecord
{
    /// <summary>psig's version, as the approving system.</summary>
    public static string System =>
        "psig " + (typeof(GovernanceRecord).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");

    /// <summary>The v0.2 record: the v0.1 fields plus the artifact, the bundle itself, the trusted root and the approver.</summary>
    public static VerificationRecord Complete(VerificationRecord record, RecordArtifact artifact, Bundle? bundle, RecordTrustedRoot? root, string expectedIdentity, string? publicKeyPem) =>
        record with
        {
            MediaType = VerificationRecord.MediaTypeV2,
            Artifact = artifact,
            Bundle = bundle is null ? null : JsonNode.Parse(BundleJson.Serialize(bundle)),
            TrustedRoot = root,
            Approver = new RecordApprover(Environment.MachineName, System),
            ExpectedIdentity = expectedIdentity,
            PublicKey = publicKeyPem,
        };

    /// <summary>Where the trusted root came from and its digest (the file's bytes, the TUF target's, or the embedded root's).</summary>
    public static async Task<RecordTrustedRoot> RootAsync(FileInfo? file, TrustedMaterial material, CliConsole console, CancellationToken ct)
    {
        if (file is not null)
        {
            return new RecordTrustedRoot(material.Source ?? file.FullName, file.FullName, Digest(await File.ReadAllBytesAsync(file.FullName, ct).ConfigureAwait(false)));
        }
        if (material.IsPublicGoodDefault)
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("production.trusted_root.json")!;
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory, ct).ConfigureAwait(false);
            return new RecordTrustedRoot("embedded public-good", null, Digest(memory.ToArray()));
        }
        var bytes = await PsigTrust.TargetAsync(console, PsigTrust.TrustedRootTarget, optional: true, ct).ConfigureAwait(false) ?? [];
        return new RecordTrustedRoot("tuf", null, Digest(bytes));
    }

    /// <summary>The v0.2 record of a verify-blob / verify-attestation run: the bundle file is embedded as evidence.</summary>
    public static async Task<VerificationRecord> ForCommandAsync(VerificationRecord record, string kind, string name, string bundlePath,
        Commands.VerificationOptions options, System.CommandLine.ParseResult parse, TrustedMaterial material, CliConsole console, CancellationToken ct)
    {
        Bundle? bundle = null;
        try
        {
            await using var stream = File.OpenRead(bundlePath);
            bundle = BundleJson.Parse(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Core.WireFormatException)
        {
            // The record already says the bundle could not be read.
        }
        var root = await RootAsync(parse.GetValue(options.TrustedRoot), material, console, ct).ConfigureAwait(false);
        return Complete(record, new RecordArtifact(kind, name, record.ArtifactDigest), bundle, root,
            Commands.ModelCommands.Describe(parse, options), Commands.ModelCommands.KeyPem(parse, options));
    }

    public static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static async Task WriteAsync(FileInfo? path, VerificationRecord record, CancellationToken ct)
    {
        if (path is not null)
        {
            await File.WriteAllTextAsync(path.FullName, record.ToJson() + "\n", ct).ConfigureAwait(false);
        }
    }
}
