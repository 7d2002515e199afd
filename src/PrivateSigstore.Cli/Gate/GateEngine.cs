using System.Security.Cryptography;
using System.Text.Json;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// One kind of artifact the gate answers for: files, model directories, digests (the HTTP endpoint) and OCI images
/// (<see cref="ImageArtifact"/>: names are references, digests manifest digests, bundles come from the registry).
/// </summary>
internal interface IGateArtifact
{
    /// <summary><c>file</c>, <c>model</c>, <c>digest</c>, <c>oci-image</c>.</summary>
    string Kind { get; }

    /// <summary>The name as given (path or reference; an image once resolved: <c>registry/repo:tag@sha256:…</c>).</summary>
    string Name { get; }

    /// <summary>The names policy globs are matched against.</summary>
    IEnumerable<string> MatchNames(string policyDirectory);

    /// <summary>The signature bundle used when none is given.</summary>
    string DefaultBundle { get; }

    /// <summary>Where required attestations are looked for, for the refusal message.</summary>
    string AttestationsWhere => $"no bundle beside {Name} holds it";

    /// <summary>
    /// The signatures to try when they do not come from one bundle file (an image's come from its registry); null:
    /// read the bundle file (<c>--bundle</c> or <see cref="DefaultBundle"/>).
    /// </summary>
    Task<GateSignatures?> SignaturesAsync(CliConsole console, CancellationToken ct) => Task.FromResult<GateSignatures?>(null);

    /// <summary>Attestation bundles for the artifact (files: <c>NAME.*.sigstore.json</c> beside it, not the signature itself): where from, and the JSON.</summary>
    IEnumerable<(string Source, byte[] Json)> AttestationBundles(string signatureBundle);

    /// <summary>Verifies the signature bundle (from <paramref name="bundlePath"/>) under one identity; the record and the artifact's digest.</summary>
    Task<(VerificationRecord Record, string? Digest)> VerifyAsync(CliConsole console, BundleVerifier verifier, Bundle bundle, IdentityPolicy identity, string bundlePath, CancellationToken ct);
}

/// <summary>One signature to try: where it came from (a file, a referrer's digest, a legacy tag) and its bundle.</summary>
internal sealed record GateSignature(string Source, Bundle Bundle);

/// <summary>
/// The signatures an artifact brought (<see cref="IGateArtifact.SignaturesAsync"/>), the artifact's digest when known,
/// and, when there are none, the failed step and why (e.g. <c>unsigned</c>: no signature found; <c>registry</c>).
/// </summary>
internal sealed record GateSignatures(string? Digest, IReadOnlyList<GateSignature> Signatures, string Step, string Why);

/// <summary>A file (a tool, plugin, binary): a blob signature or an in-toto attestation with the file as subject.</summary>
internal sealed class FileArtifact(string path) : IGateArtifact
{
    private string? _digest;

    public string Kind => "file";

    public string Name => path;

    public string DefaultBundle => path + ".sigstore.json";

    public IEnumerable<string> MatchNames(string policyDirectory) => GateEngine.PathNames(path, policyDirectory);

    public IEnumerable<(string Source, byte[] Json)> AttestationBundles(string signatureBundle) => GateEngine.Siblings(path, signatureBundle);

    public Task<(VerificationRecord, string?)> VerifyAsync(CliConsole console, BundleVerifier verifier, Bundle bundle, IdentityPolicy identity, string bundlePath, CancellationToken ct)
    {
        _digest ??= "sha256:" + Convert.ToHexStringLower(HashFile());
        var record = verifier.Audit(bundle, new VerificationPolicy(ArtifactPolicy.FromFile(path), identity));
        return Task.FromResult<(VerificationRecord, string?)>((record, _digest));
    }

    private byte[] HashFile()
    {
        using var stream = File.OpenRead(path);
        return SHA256.HashData(stream);
    }
}

/// <summary>A model directory signed with model_signing (the signature defaults to <c>DIR/model.sig</c>).</summary>
internal sealed class ModelArtifact(string directory) : IGateArtifact
{
    public string Kind => "model";

    public string Name => directory;

    public string DefaultBundle => Path.Combine(directory, "model.sig");

    public IEnumerable<string> MatchNames(string policyDirectory) => GateEngine.PathNames(directory, policyDirectory);

    public IEnumerable<(string Source, byte[] Json)> AttestationBundles(string signatureBundle) => GateEngine.Siblings(directory.TrimEnd('/', Path.DirectorySeparatorChar), signatureBundle);

    public Task<(VerificationRecord, string?)> VerifyAsync(CliConsole console, BundleVerifier verifier, Bundle bundle, IdentityPolicy identity, string bundlePath, CancellationToken ct) =>
        ModelCheck.VerifyAsync(console, verifier, bundle, identity, directory, bundlePath, [], ct);
}

/// <summary>The gate's answer.</summary>
internal sealed record GateDecision(bool Allowed, string Reason, VerificationRecord Record);

/// <summary>
/// The verify-before-use decision: every policy matching the artifact must be satisfied by at least one of its
/// authorities, and its required attestations must be signed by one of them too; no matching policy means refused.
/// </summary>
internal sealed class GateEngine(GatePolicy policy, BundleVerifier verifier, RecordTrustedRoot root)
{
    public GatePolicy Policy => policy;

    /// <summary>
    /// Decides for <paramref name="artifact"/> with the signature bundle at <paramref name="bundlePath"/> (null: its
    /// default, or the signatures it brings) under the policies matching it (<paramref name="only"/>: under these).
    /// </summary>
    public async Task<GateDecision> CheckAsync(CliConsole console, IGateArtifact artifact, string? bundlePath, CancellationToken ct, IReadOnlyList<GateRule>? only = null)
    {
        var rules = only ?? policy.Matching(artifact.MatchNames(Path.GetDirectoryName(policy.File)!));
        if (rules.Count == 0)
        {
            return Refuse(Blank(), artifact, null, null, "policy", $"no policy in {Path.GetFileName(policy.File)} matches {artifact.Name} (refused: the gate fails closed)", null);
        }
        if (bundlePath is null && await artifact.SignaturesAsync(console, ct).ConfigureAwait(false) is { } brought)
        {
            return brought.Signatures.Count == 0
                ? Refuse(Blank(), artifact, rules[0], null, brought.Step, brought.Why, brought.Digest)
                : await CheckAsync(console, artifact, brought.Signatures, rules, ct).ConfigureAwait(false);
        }
        var bundleFile = bundlePath ?? artifact.DefaultBundle;
        Bundle bundle;
        try
        {
            using var stream = File.OpenRead(bundleFile);
            bundle = BundleJson.Parse(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WireFormatException)
        {
            var why = e is FileNotFoundException or DirectoryNotFoundException ? $"no signature bundle: {bundleFile} does not exist (unsigned)" : $"cannot read bundle {bundleFile}: {e.Message}";
            return Refuse(Blank(), artifact, rules[0], null, "bundle-format", why, null);
        }
        return await CheckAsync(console, artifact, [new GateSignature(bundleFile, bundle)], rules, ct).ConfigureAwait(false);
    }

    public VerificationRecord Blank() => new() { VerificationTime = DateTimeOffset.UtcNow, Policy = "gate " + policy.File };

    /// <summary>
    /// Decides under <paramref name="rules"/> (all must pass): a rule passes when one of its authorities verifies one of
    /// <paramref name="signatures"/>, and each attestation it requires is found signed by one of its authorities.
    /// </summary>
    public async Task<GateDecision> CheckAsync(CliConsole console, IGateArtifact artifact, IReadOnlyList<GateSignature> signatures, IReadOnlyList<GateRule> rules, CancellationToken ct)
    {
        VerificationRecord? last = null;
        Bundle? lastBundle = null;
        var links = new List<RecordLink>();
        string? digest = null;
        GateAuthority? approvedBy = null;
        foreach (var rule in rules)
        {
            var failures = new List<string>();
            VerificationRecord? passed = null;
            GateSignature? passedSignature = null;
            foreach (var authority in rule.Authorities)
            {
                foreach (var signature in signatures)
                {
                    var (record, d) = await artifact.VerifyAsync(console, verifier, signature.Bundle, authority.Identity, signature.Source, ct).ConfigureAwait(false);
                    digest ??= d;
                    (last, lastBundle) = (record, signature.Bundle);
                    if (record.IsVerified)
                    {
                        (passed, passedSignature, approvedBy) = (record, signature, authority);
                        break;
                    }
                    failures.Add($"{authority.Description}{(signatures.Count > 1 ? " over " + signature.Source : "")}: {record.FailedStep}: {record.Reason}");
                }
                if (passed is not null)
                {
                    break;
                }
            }
            if (passed is null)
            {
                return Refuse(last!, artifact, rule, lastBundle, last!.FailedStep ?? "identity", $"policy {rule.Name}: no authority verified ({string.Join("; ", failures)})", digest);
            }
            var found = Attestations(artifact, passedSignature!.Source, rule, digest);
            foreach (var link in found.Where(l => !links.Contains(l)))
            {
                links.Add(link);
            }
            foreach (var required in rule.Attestations)
            {
                if (!found.Any(l => l.PredicateType == required && l.Verdict == "verified"))
                {
                    return Refuse(passed, artifact, rule, passedSignature.Bundle, "attestation",
                        $"policy {rule.Name}: required attestation {required} is missing ({artifact.AttestationsWhere} signed by an authority of the policy)", digest, links);
                }
            }
            (last, lastBundle) = (passed, passedSignature.Bundle);
        }
        var allowed = Complete(last!, artifact, rules[^1], lastBundle, digest, approvedBy) with { Decision = "allowed", Links = links };
        return new GateDecision(true, $"allowed by policy {string.Join(", ", rules.Select(r => r.Name))}", allowed);
    }

    public GateDecision Refuse(VerificationRecord record, IGateArtifact artifact, GateRule? rule, Bundle? bundle, string step, string reason, string? digest, List<RecordLink>? links = null) =>
        new(false, reason, Complete(record, artifact, rule, bundle, digest, null) with
        {
            Verdict = "not-verified",
            FailedStep = step,
            Reason = reason,
            Decision = "refused",
            Links = links,
        });

    private VerificationRecord Complete(VerificationRecord record, IGateArtifact artifact, GateRule? rule, Bundle? bundle, string? digest, GateAuthority? authority) =>
        GovernanceRecord.Complete(record, new RecordArtifact(artifact.Kind, artifact.Name, digest), bundle, root,
            authority?.Description ?? string.Join(" | ", rule?.Authorities.Select(a => a.Description) ?? []), authority?.PublicKeyPem)
        with { GatePolicy = new RecordPolicy(rule?.Name, policy.File, policy.Digest) };

    /// <summary>The attestation bundles beside the artifact: each verified under the rule's authorities with the artifact as subject.</summary>
    private List<RecordLink> Attestations(IGateArtifact artifact, string bundleFile, GateRule rule, string? digest)
    {
        var links = new List<RecordLink>();
        if (digest is null || ArtifactPolicy.TryParseDigest(digest) is not { } subject)
        {
            return links;
        }
        foreach (var (path, json) in artifact.AttestationBundles(bundleFile))
        {
            Bundle att;
            string predicateType;
            try
            {
                att = BundleJson.Parse(json);
                if (att.DsseEnvelope is not { PayloadType: DsseEnvelope.InTotoPayloadType } envelope)
                {
                    continue;
                }
                using var doc = JsonDocument.Parse(envelope.Payload);
                predicateType = doc.RootElement.GetProperty("predicateType").GetString() ?? "";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or WireFormatException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                continue;
            }
            var verified = rule.Authorities.Any(a => verifier.Audit(att, new VerificationPolicy(subject, a.Identity)).IsVerified);
            links.Add(new RecordLink(predicateType, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(att.DsseEnvelope!.Payload)), path, verified ? "verified" : "not-verified"));
        }
        return links;
    }

    /// <summary>The names a path matches under: as given, relative to the policy's directory, and absolute ('/'-separated).</summary>
    internal static IEnumerable<string> PathNames(string path, string policyDirectory)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        string[] names = [path.Replace('\\', '/').TrimEnd('/'), Path.GetRelativePath(policyDirectory, full).Replace('\\', '/'), full.Replace('\\', '/')];
        return names.Select(n => n.StartsWith("./", StringComparison.Ordinal) ? n[2..] : n).Distinct(StringComparer.Ordinal);
    }

    /// <summary><c>NAME.*.sigstore.json</c> beside <paramref name="path"/>, other than the signature bundle.</summary>
    internal static IEnumerable<(string, byte[])> Siblings(string path, string signatureBundle)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        var signature = Path.GetFullPath(signatureBundle);
        var files = Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, name + ".*.sigstore.json").Where(f => Path.GetFullPath(f) != signature).Order(StringComparer.Ordinal).ToList()
            : [];
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            yield return (file, bytes);
        }
    }
}
