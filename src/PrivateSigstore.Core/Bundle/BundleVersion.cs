using System.Diagnostics.CodeAnalysis;

namespace PrivateSigstore.Core.Bundle;

/// <summary>The Sigstore bundle format versions this library understands.</summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Major and minor version numbers are separated for readability.")]
public enum BundleVersion
{
    /// <summary>v0.1: tlog entries must carry an inclusion promise (SET).</summary>
    V0_1 = 1,

    /// <summary>v0.2: tlog entries must carry an inclusion proof with a checkpoint.</summary>
    V0_2 = 2,

    /// <summary>v0.3: as v0.2, and the key material is a single certificate, never a chain.</summary>
    V0_3 = 3,
}

/// <summary>
/// The bundle media types (the <c>mediaType</c> field of a bundle's JSON) and the version each denotes.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Major and minor version numbers are separated for readability.")]
public static class BundleMediaType
{
    /// <summary>The v0.1 media type.</summary>
    public const string V0_1 = "application/vnd.dev.sigstore.bundle+json;version=0.1";

    /// <summary>The v0.2 media type.</summary>
    public const string V0_2 = "application/vnd.dev.sigstore.bundle+json;version=0.2";

    /// <summary>The v0.3 media type (the form sigstore_bundle.proto says writers MUST use).</summary>
    public const string V0_3 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The older spelling of the v0.3 media type, which readers must still accept.</summary>
    public const string V0_3Legacy = "application/vnd.dev.sigstore.bundle+json;version=0.3";

    private const string Base = "application/vnd.dev.sigstore.bundle";

    /// <summary>The media type a writer should use for <paramref name="version"/>.</summary>
    public static string For(BundleVersion version) => version switch
    {
        BundleVersion.V0_1 => V0_1,
        BundleVersion.V0_2 => V0_2,
        BundleVersion.V0_3 => V0_3,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "unknown bundle version"),
    };

    /// <summary>
    /// The version denoted by <paramref name="mediaType"/>, or null when it is not a known bundle media type.
    /// Both spellings are recognized for every version, as sigstore-go does:
    /// <c>application/vnd.dev.sigstore.bundle+json;version=0.N</c> and
    /// <c>application/vnd.dev.sigstore.bundle.v0.N+json</c>, for N = 1, 2, 3. Matching is exact (no
    /// parameters, whitespace or case variations); other versions (e.g. 0.4, 99.9) are unknown.
    /// </summary>
    public static BundleVersion? TryGetVersion(string? mediaType)
    {
        if (mediaType is null || !mediaType.StartsWith(Base, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = mediaType.AsSpan(Base.Length);
        ReadOnlySpan<char> version;
        if (rest.StartsWith("+json;version="))
        {
            version = rest["+json;version=".Length..];
        }
        else if (rest.StartsWith(".v") && rest.EndsWith("+json"))
        {
            version = rest[2..^"+json".Length];
        }
        else
        {
            return null;
        }

        return version switch
        {
            "0.1" => BundleVersion.V0_1,
            "0.2" => BundleVersion.V0_2,
            "0.3" => BundleVersion.V0_3,
            _ => null,
        };
    }
}
