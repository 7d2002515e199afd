namespace PrivateSigstore.Client.Oci;

/// <summary>Media types of the OCI image spec v1.1, Docker's schema 2 and cosign's objects.</summary>
public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";

    /// <summary>The OCI empty descriptor's media type (image-spec v1.1 "Guidance for an empty descriptor").</summary>
    public const string Empty = "application/vnd.oci.empty.v1+json";

    /// <summary>The Sigstore bundle v0.3 media type, the referrer's <c>artifactType</c> (cosign specs/BUNDLE_SPEC.md).</summary>
    public const string SigstoreBundleV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>Older bundle media types a reader still accepts on a referrer.</summary>
    public static bool IsSigstoreBundle(string? mediaType) =>
        mediaType is not null && mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal);

    /// <summary>A legacy cosign signature layer (specs/SIGNATURE_SPEC.md): the simple-signing payload.</summary>
    public const string CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>A legacy cosign attestation layer: a DSSE envelope (cosign <c>types.DssePayloadType</c>).</summary>
    public const string DsseEnvelope = "application/vnd.dsse.envelope.v1+json";

    /// <summary>What a manifest GET accepts: both image and index types, OCI and Docker.</summary>
    public static readonly IReadOnlyList<string> ManifestAccept = [ImageManifest, ImageIndex, DockerManifest, DockerManifestList];

    /// <summary>True for an index (multi-platform image).</summary>
    public static bool IsIndex(string mediaType) => mediaType is ImageIndex or DockerManifestList;
}
