using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using PrivateSigstore.Cli.Gate;
using PrivateSigstore.Client.ModelSigning;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig record verify</c>: replay a governance record offline.</summary>
internal static class RecordCommands
{
    public static Command Record(CliConsole console)
    {
        var command = new Command("record", "Governance records written with --record");
        var file = new Argument<FileInfo>("record") { Description = "The record (JSON, media type ...verificationrecord.v0.2+json)" };
        var trustedRoot = new Option<FileInfo?>("--trusted-root") { Description = "The trusted root to replay against (default: the one the record names; its digest must match)" };
        var verify = new Command("verify", "Replay a record offline: re-check its bundle's signature, log evidence and timestamps against the trusted root it names, the identity it recorded and the artifact digest, and that the decision follows") { file, trustedRoot };
        verify.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            VerificationRecord record;
            try
            {
                record = VerificationRecord.Parse(await File.ReadAllTextAsync(path.FullName, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                throw new UsageException($"{path.Name}: not a verification record", e);
            }
            if (record.MediaType != VerificationRecord.MediaTypeV2 || record.Bundle is null)
            {
                throw new UsageException($"{path.Name}: a {record.MediaType} record without its bundle cannot be replayed (v0.2 records written by verify-model, gate check and exec can)");
            }
            var rootFile = parse.GetValue(trustedRoot) ?? (record.TrustedRoot?.Path is { } p ? new FileInfo(p) : null);
            var material = await VerificationOptions.LoadMaterialAsync(rootFile, console, ct).ConfigureAwait(false);
            var root = await GovernanceRecord.RootAsync(rootFile, material, console, ct).ConfigureAwait(false);
            if (record.TrustedRoot is { } named && named.Digest != root.Digest)
            {
                await console.Error.WriteLineAsync($"{path.Name}: replay failed: the trusted root {root.Source} is {root.Digest}, the record names {named.Digest}").ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            var bundle = BundleJson.Parse(record.Bundle.ToJsonString());
            IdentityPolicy identity;
            try
            {
                identity = record.PublicKey is { } pem ? IdentityPolicy.PublicKeyPem(pem)
                    : record.CertificateIdentity is { } san && record.CertificateIssuer is { } issuer ? IdentityPolicy.Certificate(san, issuer)
                    : IdentityPolicy.AnyCertificateUnsafe();
            }
            catch (Exception e) when (e is WireFormatException or ArgumentException)
            {
                throw new UsageException($"{path.Name}: the recorded public key", e);
            }
            var kind = record.Artifact?.Kind;
            var digest = record.Artifact?.Digest;
            var artifact = kind == "model" || digest is null ? null : ArtifactPolicy.TryParseDigest(digest);
            var replay = new BundleVerifier(material).Audit(bundle, new VerificationPolicy(artifact, identity));
            var problems = new List<string>();
            if (replay.IsVerified && kind == "model" && digest is not null)
            {
                try
                {
                    var manifest = ModelStatement.Parse(bundle.DsseEnvelope!.Payload);
                    var signed = "sha256:" + Convert.ToHexStringLower(manifest.RootDigest());
                    if (signed != digest)
                    {
                        problems.Add($"the signed model digest is {signed}, the record says {digest}");
                    }
                }
                catch (Exception e) when (e is FormatException or NullReferenceException)
                {
                    problems.Add("the bundle is not a model signature: " + e.Message);
                }
            }
            if (!replay.IsVerified && record.IsVerified)
            {
                problems.Add($"the record says verified, the replay fails: {replay.FailedStep}: {replay.Reason}");
            }
            if (replay.Signature != record.Signature && record.Signature is not null)
            {
                problems.Add("the recorded signature is not the bundle's");
            }
            if (record.IsVerified && (replay.CertificateIdentity != record.CertificateIdentity || replay.CertificateIssuer != record.CertificateIssuer))
            {
                problems.Add($"the bundle's identity {replay.CertificateIdentity} ({replay.CertificateIssuer}) is not the recorded {record.CertificateIdentity} ({record.CertificateIssuer})");
            }
            var expectedDecision = record.Decision switch
            {
                "allowed" => record.IsVerified,
                "refused" or "break-glass" => !record.IsVerified,
                _ => true,
            };
            if (!expectedDecision)
            {
                problems.Add($"decision {record.Decision} does not follow from verdict {record.Verdict}");
            }
            if (problems.Count > 0)
            {
                await console.Error.WriteLineAsync($"{path.Name}: replay failed: {string.Join("; ", problems)}").ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            var what = record.Artifact is { } a ? $"{a.Kind} {a.Name} {a.Digest}" : "artifact";
            await console.Out.WriteLineAsync(record.IsVerified
                ? $"{path.Name}: replayed OK: {what} signed by {replay.CertificateIdentity ?? "the recorded key"}{(replay.CertificateIssuer is null ? "" : $" ({replay.CertificateIssuer})")}, decision {record.Decision ?? record.Verdict}, against {root.Source} {root.Digest}"
                : $"{path.Name}: replayed OK: the record's refusal stands ({record.FailedStep}: {record.Reason}); decision {record.Decision ?? record.Verdict}{(record.BreakGlassReason is null ? "" : $", break-glass: {record.BreakGlassReason}")}").ConfigureAwait(false);
            return ExitCodes.Verified;
        });
        command.Subcommands.Add(verify);
        return command;
    }
}
