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
            if (record.MediaType != VerificationRecord.MediaTypeV2)
            {
                throw new UsageException($"{path.Name}: a {record.MediaType} record holds no bundle and cannot be replayed (v0.2 records written by verify-model, gate check and exec can)");
            }
            var decision = record.Decision ?? record.Verdict;
            var glass = record.BreakGlassReason is null ? "" : $", break-glass: {record.BreakGlassReason}";
            if (record.Bundle is null)
            {
                if (record.IsVerified)
                {
                    await console.Error.WriteLineAsync($"{path.Name}: replay failed: the record says verified but holds no bundle").ConfigureAwait(false);
                    return ExitCodes.NotVerified;
                }
                await console.Out.WriteLineAsync($"{path.Name}: replayed OK: refused with no signature bundle presented ({record.FailedStep}: {record.Reason}); decision {decision}{glass}").ConfigureAwait(false);
                return ExitCodes.Verified;
            }
            var rootFile = parse.GetValue(trustedRoot) ?? (record.TrustedRoot?.Path is { } p ? new FileInfo(p) : null);
            var material = await VerificationOptions.LoadMaterialAsync(rootFile, console, ct).ConfigureAwait(false);
            var root = await GovernanceRecord.RootAsync(rootFile, material, console, ct).ConfigureAwait(false);
            if (record.TrustedRoot is { } named && named.Digest != root.Digest)
            {
                await console.Error.WriteLineAsync($"{path.Name}: replay failed: the trusted root {root.Source} is {root.Digest}, the record names {named.Digest}").ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            Bundle bundle;
            try
            {
                bundle = BundleJson.Parse(record.Bundle.ToJsonString());
            }
            catch (WireFormatException e)
            {
                await console.Error.WriteLineAsync($"{path.Name}: replay failed: the recorded bundle does not parse: {e.Message}").ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            IdentityPolicy identity;
            try
            {
                // A verified record: the identity it recorded must be the bundle's. A refusal: the evidence is re-checked as it is.
                identity = record.PublicKey is { } pem ? IdentityPolicy.PublicKeyPem(pem)
                    : record.IsVerified && record.CertificateIdentity is { } san && record.CertificateIssuer is { } issuer ? IdentityPolicy.Certificate(san, issuer)
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
            if (replay.IsVerified && kind == "model" && digest is not null)
            {
                try
                {
                    var signed = "sha256:" + Convert.ToHexStringLower(ModelStatement.Parse(bundle.DsseEnvelope!.Payload).RootDigest());
                    if (signed != digest)
                    {
                        replay = replay with { Verdict = "not-verified", FailedStep = "model", Reason = $"the signed model digest is {signed}, the record's model digest is {digest}" };
                    }
                }
                catch (FormatException e)
                {
                    replay = replay with { Verdict = "not-verified", FailedStep = "model", Reason = "the bundle is not a model signature: " + e.Message };
                }
            }
            var problems = new List<string>();
            if (record.IsVerified && !replay.IsVerified)
            {
                problems.Add($"the record says verified, the replay fails: {replay.FailedStep}: {replay.Reason}");
            }
            if (record.Signature is not null && replay.Signature != record.Signature)
            {
                problems.Add("the recorded signature is not the bundle's");
            }
            if (record.IsVerified && (replay.CertificateIdentity != record.CertificateIdentity || replay.CertificateIssuer != record.CertificateIssuer))
            {
                problems.Add($"the bundle's identity {replay.CertificateIdentity} ({replay.CertificateIssuer}) is not the recorded {record.CertificateIdentity} ({record.CertificateIssuer})");
            }
            var consistent = record.Decision switch
            {
                "allowed" => record.IsVerified,
                "refused" or "break-glass" => !record.IsVerified,
                _ => true,
            };
            if (!consistent)
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
                ? $"{path.Name}: replayed OK: {what} signed by {replay.CertificateIdentity ?? "the recorded key"}{(replay.CertificateIssuer is null ? "" : $" ({replay.CertificateIssuer})")}, decision {decision}, against {root.Source} {root.Digest}"
                : $"{path.Name}: replayed OK: the refusal stands ({record.FailedStep}: {record.Reason}); the recorded evidence {(replay.IsVerified ? "verifies on its own" : $"fails at {replay.FailedStep}: {replay.Reason}")}; decision {decision}{glass}").ConfigureAwait(false);
            return ExitCodes.Verified;
        });
        command.Subcommands.Add(verify);
        return command;
    }
}
