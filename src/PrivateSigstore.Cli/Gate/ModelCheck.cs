using PrivateSigstore.Client.ModelSigning;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// Verifies a model directory against a model_signing signature bundle: the bundle (DSSE, identity, log evidence)
/// first, then the signed manifest against the model hashed as the signature says (same method and ignored paths,
/// plus the signature file, git metadata and any extra ignored paths). Extra, missing and changed files are named.
/// </summary>
internal static class ModelCheck
{
    /// <summary>
    /// The ignored paths relative to the model root: git metadata (unless <paramref name="includeGitPaths"/>), the
    /// signature file when it lies inside the model, and <paramref name="userPaths"/> (relative to the current
    /// directory, as model_signing's CLI resolves them; those outside the model are dropped).
    /// </summary>
    public static List<string> IgnorePaths(string modelDir, string? signature, IEnumerable<string> userPaths, bool includeGitPaths)
    {
        var root = Path.GetFullPath(modelDir).TrimEnd(Path.DirectorySeparatorChar);
        var list = new List<string>();
        if (!includeGitPaths)
        {
            list.AddRange(ModelSerialization.GitPaths);
        }
        foreach (var path in userPaths.Concat(signature is null ? [] : [signature]))
        {
            var relative = Path.GetRelativePath(root, Path.GetFullPath(path));
            if (relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative) && relative != ".")
            {
                list.Add(ModelHasher.Normalize(relative));
            }
        }
        return list;
    }

    /// <summary>Hashes the model (progress on a terminal).</summary>
    public static async Task<ModelManifest> HashAsync(CliConsole console, string modelDir, IEnumerable<string> ignorePaths, bool allowSymlinks, long? shardSize, CancellationToken ct)
    {
        var total = console.IsInteractive ? TotalBytes(modelDir) : 0;
        var progress = total >= ByteProgress.Threshold ? new ByteProgress(console, "hashing " + ModelHasher.ModelName(modelDir), total) : null;
        try
        {
            return await ModelHasher.HashAsync(modelDir, ignorePaths, allowSymlinks, shardSize, progress: progress is null ? null : new Throttled(progress), cancellationToken: ct).ConfigureAwait(false);
        }
        catch (ModelSerializationException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>
    /// Verifies <paramref name="bundle"/> over the model: the record (not verified, failed step <c>model</c>, when the
    /// files do not match), and the model's subject digest as hashed (null when it could not be hashed).
    /// </summary>
    public static async Task<(VerificationRecord Record, string? SubjectDigest)> VerifyAsync(CliConsole console, BundleVerifier verifier, Bundle bundle,
        IdentityPolicy identity, string modelDir, string? signaturePath, IReadOnlyList<string> extraIgnore, CancellationToken ct)
    {
        var policy = new VerificationPolicy(null, identity);
        if (bundle.DsseEnvelope is not { } envelope)
        {
            return (verifier.Unreadable("the bundle holds no DSSE envelope: not a model signature", policy), null);
        }
        var record = verifier.Audit(bundle, policy);
        if (!record.IsVerified)
        {
            return (record, null);
        }
        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType)
        {
            return (record with { Verdict = "not-verified", FailedStep = "model", Reason = $"payload type {envelope.PayloadType} is not {DsseEnvelope.InTotoPayloadType}" }, null);
        }
        ModelManifest signed;
        try
        {
            signed = ModelStatement.Parse(envelope.Payload);
        }
        catch (FormatException e)
        {
            return (record with { Verdict = "not-verified", FailedStep = "model", Reason = "not a model signature: " + e.Message }, null);
        }
        var s = signed.Serialization;
        if (s.HashType != "sha256")
        {
            return (record with { Verdict = "not-verified", FailedStep = "model", Reason = $"hash type {s.HashType} is not supported (sha256 is)" }, null);
        }
        // Git metadata is left out as model_signing leaves it out, unless the signature covers some of it (signed with --include-git-paths).
        var gitSigned = signed.Resources.Any(r => ModelHasher.IsIgnored(r.Path, ModelSerialization.GitPaths));
        var ignore = IgnorePaths(modelDir, signaturePath, extraIgnore, includeGitPaths: gitSigned).Concat(s.IgnorePaths).ToList();
        var actual = await HashAsync(console, modelDir, ignore, s.AllowSymlinks, s.Method == ModelSerialization.Shards ? s.ShardSize : null, ct).ConfigureAwait(false);
        var subject = "sha256:" + Convert.ToHexStringLower(actual.RootDigest());
        var diffs = actual.Differences(signed);
        return diffs.Count == 0
            ? (record, subject)
            : (record with { Verdict = "not-verified", FailedStep = "model", Reason = string.Join("; ", diffs) }, subject);
    }

    private static long TotalBytes(string dir)
    {
        try
        {
            return Directory.Exists(dir)
                ? new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Sum(f => f.Length)
                : new FileInfo(dir).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Reports from many workers to one console line, serialized.</summary>
    private sealed class Throttled(ByteProgress inner) : IProgress<long>
    {
        private readonly Lock _lock = new();

        public void Report(long value)
        {
            lock (_lock)
            {
                inner.Report(value);
            }
        }
    }
}
