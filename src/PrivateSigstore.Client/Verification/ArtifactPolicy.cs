using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// What the signature must cover: the artifact bytes, or only its digest (sigstore-go <c>WithArtifact</c> /
/// <c>WithArtifactDigest</c>). Bytes are hashed with the algorithm the bundle names, so a stream is read once.
/// </summary>
public abstract record ArtifactPolicy
{
    private protected ArtifactPolicy() { }

    /// <summary>The artifact's bytes.</summary>
    public static ArtifactPolicy FromBytes(byte[] artifact) => new BytesArtifact(artifact ?? throw new ArgumentNullException(nameof(artifact)));

    /// <summary>
    /// The artifact in a file, hashed when verified (streamed, read once per verification); <paramref name="progress"/>
    /// receives the bytes hashed so far.
    /// </summary>
    public static ArtifactPolicy FromFile(string path, IProgress<long>? progress = null) =>
        new FileArtifact(path ?? throw new ArgumentNullException(nameof(path)), progress);

    /// <summary>The artifact's digest only; Ed25519 (pure) signatures cannot be verified this way.</summary>
    public static ArtifactPolicy FromDigest(HashAlgorithm algorithm, byte[] digest) =>
        new DigestArtifact(algorithm, digest ?? throw new ArgumentNullException(nameof(digest)));

    /// <summary>
    /// Parses <c>sha256:&lt;hex&gt;</c> (also sha384, sha512) as the conformance protocol and cosign write digests.
    /// Returns null when <paramref name="text"/> is not such a digest.
    /// </summary>
    public static ArtifactPolicy? TryParseDigest(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return null;
        }
        var (algorithm, length) = text[..colon] switch
        {
            "sha256" => (HashAlgorithm.Sha2_256, 32),
            "sha384" => (HashAlgorithm.Sha2_384, 48),
            "sha512" => (HashAlgorithm.Sha2_512, 64),
            _ => (HashAlgorithm.Unspecified, 0),
        };
        var hex = text[(colon + 1)..];
        if (length == 0 || hex.Length != length * 2 || !hex.All(Uri.IsHexDigit))
        {
            return null;
        }
        return FromDigest(algorithm, Convert.FromHexString(hex));
    }

    /// <summary>The artifact's digest with <paramref name="algorithm"/>, or null when only another algorithm's digest is known.</summary>
    internal abstract byte[]? Digest(HashAlgorithm algorithm);

    /// <summary>The artifact bytes, or null when only a digest is known.</summary>
    internal abstract byte[]? Bytes();

    /// <summary>A short description for audit records.</summary>
    internal abstract string Describe();

    internal static byte[] Hash(HashAlgorithm algorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        HashAlgorithm.Sha2_256 => SHA256.HashData(data),
        HashAlgorithm.Sha2_384 => SHA384.HashData(data),
        HashAlgorithm.Sha2_512 => SHA512.HashData(data),
        _ => throw new VerificationException(VerificationStep.ArtifactDigest, $"unsupported digest algorithm {algorithm}"),
    };

    internal static byte[] Hash(HashAlgorithm algorithm, Stream data) => algorithm switch
    {
        HashAlgorithm.Sha2_256 => SHA256.HashData(data),
        HashAlgorithm.Sha2_384 => SHA384.HashData(data),
        HashAlgorithm.Sha2_512 => SHA512.HashData(data),
        _ => throw new VerificationException(VerificationStep.ArtifactDigest, $"unsupported digest algorithm {algorithm}"),
    };

    internal static string AlgorithmName(HashAlgorithm algorithm) => algorithm switch
    {
        HashAlgorithm.Sha2_256 => "sha256",
        HashAlgorithm.Sha2_384 => "sha384",
        HashAlgorithm.Sha2_512 => "sha512",
        _ => algorithm.ToString(),
    };

    private sealed record BytesArtifact(byte[] Artifact) : ArtifactPolicy
    {
        internal override byte[] Digest(HashAlgorithm algorithm) => Hash(algorithm, Artifact);

        internal override byte[] Bytes() => Artifact;

        internal override string Describe() => $"artifact ({Artifact.Length} bytes)";
    }

    private sealed record FileArtifact(string Path, IProgress<long>? Progress) : ArtifactPolicy
    {
        internal override byte[] Digest(HashAlgorithm algorithm)
        {
            using Stream stream = Progress is null ? File.OpenRead(Path) : new ProgressStream(File.OpenRead(Path), Progress);
            return Hash(algorithm, stream);
        }

        internal override byte[] Bytes() => File.ReadAllBytes(Path);

        internal override string Describe() => $"artifact file {System.IO.Path.GetFileName(Path)}";
    }

    private sealed record DigestArtifact(HashAlgorithm Algorithm, byte[] Value) : ArtifactPolicy
    {
        internal override byte[]? Digest(HashAlgorithm algorithm) => algorithm == Algorithm ? Value : null;

        internal override byte[]? Bytes() => null;

        internal override string Describe() => $"artifact digest {AlgorithmName(Algorithm)}:{Convert.ToHexStringLower(Value)}";
    }
}
