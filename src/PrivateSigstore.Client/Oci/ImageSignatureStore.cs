using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Client.Oci;

/// <summary>Where a signature was found.</summary>
public enum SignatureSource
{
    /// <summary>An OCI 1.1 referrer listed by the registry's referrers API.</summary>
    ReferrersApi,

    /// <summary>An OCI 1.1 referrer listed in the referrers tag schema index (<c>sha256-&lt;hex&gt;</c>).</summary>
    ReferrersTag,

    /// <summary>A legacy cosign signature (<c>sha256-&lt;hex&gt;.sig</c>, specs/SIGNATURE_SPEC.md).</summary>
    LegacySignatureTag,

    /// <summary>A legacy cosign attestation (<c>sha256-&lt;hex&gt;.att</c>).</summary>
    LegacyAttestationTag,
}

/// <summary>
/// One signature found for an image: a Sigstore bundle (for legacy tags, one assembled from the layer's
/// annotations), or why it could not be read. <see cref="SignedPayload"/> is the legacy simple-signing payload.
/// </summary>
public sealed record FoundSignature(SignatureSource Source, string Location, Bundle? Bundle, string? Problem)
{
    /// <summary>Legacy <c>.sig</c>: the simple-signing payload the signature covers.</summary>
    public byte[]? SignedPayload { get; init; }

    /// <summary>The in-toto predicate type of a DSSE bundle (null for a message signature or a non-in-toto payload).</summary>
    public string? PredicateType => Bundle?.DsseEnvelope is { } envelope ? ImageSignatureStore.PredicateTypeOf(envelope) : null;

    /// <summary>A short description for messages: where it lives.</summary>
    public string Describe() => Source switch
    {
        SignatureSource.ReferrersApi => $"referrer {Location} (referrers API)",
        SignatureSource.ReferrersTag => $"referrer {Location} (referrers tag schema)",
        SignatureSource.LegacySignatureTag => $"legacy signature {Location}",
        _ => $"legacy attestation {Location}",
    };
}

/// <summary>What was written for one signed manifest.</summary>
public sealed record AttachedBundle(string ReferrerDigest, bool ReferrersApi, string? FallbackTag);

/// <summary>
/// Sigstore signatures stored in a registry the way cosign stores them. Writing follows cosign 3
/// (<c>pkg/oci/remote/write.go</c> <c>WriteAttestationNewBundleFormat</c> / <c>WriteReferrer</c>, specs/BUNDLE_SPEC.md):
/// the bundle is a blob; an OCI 1.1 image manifest with <c>artifactType</c>
/// <c>application/vnd.dev.sigstore.bundle.v0.3+json</c>, the empty config, the bundle as its one layer and the image
/// as its <c>subject</c> is put by digest; when the registry does not answer with <c>OCI-Subject</c> (no referrers
/// API, e.g. distribution 2.8), the referrers tag schema index <c>sha256-&lt;hex&gt;</c> is updated
/// (distribution-spec v1.1 "Pushing Manifests with Subject"). Reading looks in the referrers API, the referrers tag
/// and the legacy <c>sha256-&lt;hex&gt;.sig</c>/<c>.att</c> tags (specs/SIGNATURE_SPEC.md).
/// </summary>
public sealed class ImageSignatureStore(RegistryClient registry)
{
    /// <summary>cosign's annotation keys (pkg/oci/static, pkg/oci/remote) for legacy layers and referrer manifests.</summary>
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
    public const string CertificateAnnotation = "dev.sigstore.cosign/certificate";
    public const string ChainAnnotation = "dev.sigstore.cosign/chain";
    public const string BundleAnnotation = "dev.sigstore.cosign/bundle";
    public const string Rfc3161Annotation = "dev.sigstore.cosign/rfc3161timestamp";
    public const string BundleContentAnnotation = "dev.sigstore.bundle.content";
    public const string BundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";
    public const string CreatedAnnotation = "org.opencontainers.image.created";

    /// <summary>cosign 3's predicate type for an image signature (pkg/types <c>CosignSignPredicateType</c>).</summary>
    public const string CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

    /// <summary>The OCI empty JSON blob <c>{}</c> and its digest (image-spec v1.1 "Guidance for an empty descriptor").</summary>
    private static readonly byte[] EmptyJson = "{}"u8.ToArray();

    private readonly RegistryClient _registry = registry ?? throw new ArgumentNullException(nameof(registry));

    /// <summary>The manifest a reference names (a tag resolved to its digest); throws <see cref="RegistryException"/>.</summary>
    public Task<Manifest> ResolveAsync(ImageReference image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return _registry.GetManifestAsync(image.Registry, image.Repository, image.Identifier, cancellationToken);
    }

    /// <summary>The platform manifests of an index (for <c>--recursive</c>).</summary>
    public static IReadOnlyList<Descriptor> Children(Manifest index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return OciMediaTypes.IsIndex(index.MediaType) ? RegistryClient.ParseIndex(index.Bytes, $"index {index.Digest}") : [];
    }

    /// <summary>The referrers tag schema tag for a digest: <c>sha256-&lt;hex&gt;</c> (distribution-spec v1.1).</summary>
    public static string ReferrersTag(string digest) => digest.Replace(':', '-');

    /// <summary>
    /// Attaches <paramref name="bundleJson"/> to <paramref name="subject"/> as cosign 3 does; the annotations are
    /// BUNDLE_SPEC's (<c>dev.sigstore.bundle.content</c>, <c>dev.sigstore.bundle.predicateType</c>, created time).
    /// </summary>
    public async Task<AttachedBundle> AttachBundleAsync(ImageReference image, Descriptor subject, byte[] bundleJson, string content, string? predicateType, DateTimeOffset created, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(bundleJson);
        var config = await _registry.PushBlobAsync(image.Registry, image.Repository, EmptyJson, OciMediaTypes.Empty, cancellationToken).ConfigureAwait(false);
        var layer = await _registry.PushBlobAsync(image.Registry, image.Repository, bundleJson, OciMediaTypes.SigstoreBundleV03, cancellationToken).ConfigureAwait(false);
        // Annotation keys sorted, as Go's encoding/json writes a map.
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [BundleContentAnnotation] = content,
            [CreatedAnnotation] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (predicateType is not null)
        {
            annotations[BundlePredicateTypeAnnotation] = predicateType;
        }
        // Field order as cosign's referrerManifest marshals (go-containerregistry v1.Manifest, then artifactType);
        // cosign also sets artifactType on the config descriptor.
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.ImageManifest,
            ["config"] = new JsonObject { ["mediaType"] = OciMediaTypes.Empty, ["size"] = config.Size, ["digest"] = config.Digest, ["artifactType"] = OciMediaTypes.SigstoreBundleV03 },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = OciMediaTypes.SigstoreBundleV03, ["size"] = layer.Size, ["digest"] = layer.Digest }),
            ["annotations"] = ToJson(annotations),
            ["subject"] = new JsonObject { ["mediaType"] = subject.MediaType, ["size"] = subject.Size, ["digest"] = subject.Digest },
            ["artifactType"] = OciMediaTypes.SigstoreBundleV03,
        };
        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var digest = RegistryClient.Sha256Digest(bytes);
        var ociSubject = await _registry.PutManifestAsync(image.Registry, image.Repository, digest, bytes, OciMediaTypes.ImageManifest, cancellationToken).ConfigureAwait(false);
        if (ociSubject is not null)
        {
            return new AttachedBundle(digest, ReferrersApi: true, FallbackTag: null);
        }
        // No OCI-Subject header: the registry does not index referrers; keep the tag schema index up to date.
        var tag = ReferrersTag(subject.Digest);
        var descriptor = new Descriptor(OciMediaTypes.ImageManifest, digest, bytes.LongLength) { ArtifactType = OciMediaTypes.SigstoreBundleV03, Annotations = annotations };
        await AddToReferrersTagAsync(image, tag, descriptor, cancellationToken).ConfigureAwait(false);
        return new AttachedBundle(digest, ReferrersApi: false, FallbackTag: tag);
    }

    private async Task AddToReferrersTagAsync(ImageReference image, string tag, Descriptor descriptor, CancellationToken cancellationToken)
    {
        var existing = await _registry.TryGetManifestAsync(image.Registry, image.Repository, tag, cancellationToken).ConfigureAwait(false);
        JsonObject index;
        if (existing is null)
        {
            index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciMediaTypes.ImageIndex, ["manifests"] = new JsonArray() };
        }
        else
        {
            try
            {
                index = StrictJson.Parse(existing.Bytes) as JsonObject ?? throw new RegistryException($"the referrers tag {tag} is not a JSON object");
            }
            catch (JsonException e)
            {
                throw new RegistryException($"the referrers tag {tag} does not parse: {e.Message}", e);
            }
            if (index["manifests"] is not JsonArray)
            {
                index["manifests"] = new JsonArray();
            }
        }
        var manifests = (JsonArray)index["manifests"]!;
        if (manifests.Any(m => m?["digest"]?.GetValue<string>() == descriptor.Digest))
        {
            return;
        }
        var entry = new JsonObject { ["mediaType"] = descriptor.MediaType, ["size"] = descriptor.Size, ["digest"] = descriptor.Digest, ["artifactType"] = descriptor.ArtifactType };
        if (descriptor.Annotations is { Count: > 0 } annotations)
        {
            entry["annotations"] = ToJson(annotations);
        }
        manifests.Add((JsonNode)entry);
        var bytes = Encoding.UTF8.GetBytes(index.ToJsonString());
        await _registry.PutManifestAsync(image.Registry, image.Repository, tag, bytes, OciMediaTypes.ImageIndex, cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject ToJson(IEnumerable<KeyValuePair<string, string>> annotations)
    {
        var json = new JsonObject();
        foreach (var (key, value) in annotations)
        {
            json[key] = value;
        }
        return json;
    }

    /// <summary>
    /// Every signature stored for <paramref name="digest"/>: Sigstore bundle referrers (referrers API when the registry
    /// has one, and the referrers tag schema index), then the legacy <c>.sig</c> and <c>.att</c> tags. Referrers that
    /// are not Sigstore bundles are skipped; ones that claim to be but do not parse are returned with a problem.
    /// </summary>
    public async Task<(IReadOnlyList<FoundSignature> Found, bool ReferrersApi)> FindAsync(ImageReference image, string digest, bool legacySignatures, bool legacyAttestations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var found = new List<FoundSignature>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var api = await _registry.GetReferrersAsync(image.Registry, image.Repository, digest, cancellationToken).ConfigureAwait(false);
        var fromTag = await _registry.TryGetManifestAsync(image.Registry, image.Repository, ReferrersTag(digest), cancellationToken).ConfigureAwait(false);
        var lists = new List<(SignatureSource, IReadOnlyList<Descriptor>)>();
        if (api is not null)
        {
            lists.Add((SignatureSource.ReferrersApi, api));
        }
        if (fromTag is not null)
        {
            lists.Add((SignatureSource.ReferrersTag, RegistryClient.ParseIndex(fromTag.Bytes, $"the referrers tag {ReferrersTag(digest)}")));
        }
        foreach (var (source, descriptors) in lists)
        {
            foreach (var descriptor in descriptors)
            {
                // BUNDLE_SPEC "Retrieval": Sigstore bundles are identified by the descriptor's artifactType.
                if (!OciMediaTypes.IsSigstoreBundle(descriptor.ArtifactType) || !seen.Add(descriptor.Digest))
                {
                    continue;
                }
                found.Add(await ReadReferrerAsync(image, source, descriptor, digest, cancellationToken).ConfigureAwait(false));
            }
        }
        if (legacySignatures)
        {
            found.AddRange(await ReadLegacyAsync(image, digest, ".sig", cancellationToken).ConfigureAwait(false));
        }
        if (legacyAttestations)
        {
            found.AddRange(await ReadLegacyAsync(image, digest, ".att", cancellationToken).ConfigureAwait(false));
        }
        return (found, api is not null);
    }

    private async Task<FoundSignature> ReadReferrerAsync(ImageReference image, SignatureSource source, Descriptor descriptor, string subjectDigest, CancellationToken cancellationToken)
    {
        Manifest manifest;
        try
        {
            manifest = await _registry.GetManifestAsync(image.Registry, image.Repository, descriptor.Digest, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            return new FoundSignature(source, descriptor.Digest, null, e.Message);
        }
        try
        {
            using var json = JsonDocument.Parse(manifest.Bytes, new JsonDocumentOptions { MaxDepth = 32 });
            var root = json.RootElement;
            // A referrer listed for this image must name it as its subject (distribution-spec: the index lists manifests whose subject is the digest).
            if (!root.TryGetProperty("subject", out var subject) || subject.GetProperty("digest").GetString() != subjectDigest)
            {
                return new FoundSignature(source, descriptor.Digest, null, $"its subject is not {subjectDigest}");
            }
            if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array || layers.GetArrayLength() == 0)
            {
                return new FoundSignature(source, descriptor.Digest, null, "it has no layers, so no bundle");
            }
            var layer = RegistryClient.ParseDescriptor(layers[0]);
            if (!OciMediaTypes.IsSigstoreBundle(layer.MediaType))
            {
                return new FoundSignature(source, descriptor.Digest, null, $"its layer is {layer.MediaType}, not a Sigstore bundle");
            }
            var blob = await _registry.GetBlobAsync(image.Registry, image.Repository, layer.Digest, cancellationToken).ConfigureAwait(false);
            return new FoundSignature(source, descriptor.Digest, BundleJson.Parse(blob), null);
        }
        catch (WireFormatException e)
        {
            return new FoundSignature(source, descriptor.Digest, null, $"its bundle does not parse: {e.Message}");
        }
        catch (RegistryException e)
        {
            return new FoundSignature(source, descriptor.Digest, null, e.Message);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return new FoundSignature(source, descriptor.Digest, null, $"its manifest is malformed: {e.Message}");
        }
    }

    /// <summary>
    /// The legacy tag scheme (specs/SIGNATURE_SPEC.md "Tag-based Discovery"): <c>sha256-&lt;hex&gt;.sig</c> with one
    /// simple-signing layer per signature, or <c>.att</c> with one DSSE envelope layer per attestation; signature,
    /// certificate, chain, Rekor bundle and RFC 3161 timestamp in the layer's annotations.
    /// </summary>
    private async Task<IReadOnlyList<FoundSignature>> ReadLegacyAsync(ImageReference image, string digest, string suffix, CancellationToken cancellationToken)
    {
        var tag = ReferrersTag(digest) + suffix;
        var source = suffix == ".sig" ? SignatureSource.LegacySignatureTag : SignatureSource.LegacyAttestationTag;
        var manifest = await _registry.TryGetManifestAsync(image.Registry, image.Repository, tag, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return [];
        }
        var found = new List<FoundSignature>();
        List<Descriptor> layers;
        try
        {
            using var json = JsonDocument.Parse(manifest.Bytes, new JsonDocumentOptions { MaxDepth = 32 });
            layers = json.RootElement.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array ? [.. l.EnumerateArray().Select(RegistryClient.ParseDescriptor)] : [];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return [new FoundSignature(source, tag, null, $"the manifest is malformed: {e.Message}")];
        }
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var location = $"{tag} layer {i}";
            try
            {
                var blob = await _registry.GetBlobAsync(image.Registry, image.Repository, layer.Digest, cancellationToken).ConfigureAwait(false);
                found.Add(LegacyBundle(source, location, layer, blob));
            }
            catch (RegistryException e)
            {
                found.Add(new FoundSignature(source, location, null, e.Message));
            }
        }
        return found;
    }

    /// <summary>
    /// A bundle v0.1 assembled from a legacy layer, as sigstore-go and cosign read the same material: the payload (or
    /// DSSE envelope), the signature annotation, the certificate and chain, the Rekor bundle (SET + canonical body; no
    /// inclusion proof, which v0.1 allows) and an RFC 3161 timestamp.
    /// </summary>
    public static FoundSignature LegacyBundle(SignatureSource source, string location, Descriptor layer, byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(blob);
        var annotations = layer.Annotations ?? new Dictionary<string, string>();
        try
        {
            var material = LegacyMaterial(annotations);
            if (source == SignatureSource.LegacySignatureTag)
            {
                if (layer.MediaType != OciMediaTypes.CosignSimpleSigning)
                {
                    return new FoundSignature(source, location, null, $"the layer is {layer.MediaType}, not a simple-signing payload");
                }
                if (!annotations.TryGetValue(SignatureAnnotation, out var signature) || signature.Length == 0)
                {
                    return new FoundSignature(source, location, null, $"the layer has no {SignatureAnnotation} annotation");
                }
                var bundle = new Bundle
                {
                    MediaType = BundleMediaType.V0_1,
                    VerificationMaterial = material,
                    MessageSignature = new MessageSignature
                    {
                        MessageDigest = new HashOutput { Algorithm = HashAlgorithm.Sha2_256, Digest = System.Security.Cryptography.SHA256.HashData(blob) },
                        Signature = Convert.FromBase64String(signature),
                    },
                };
                return new FoundSignature(source, location, bundle, null) { SignedPayload = blob };
            }
            if (layer.MediaType != OciMediaTypes.DsseEnvelope)
            {
                return new FoundSignature(source, location, null, $"the layer is {layer.MediaType}, not a DSSE envelope");
            }
            return new FoundSignature(source, location, new Bundle { MediaType = BundleMediaType.V0_1, VerificationMaterial = material, DsseEnvelope = DsseEnvelopeJson.Parse(blob) }, null);
        }
        catch (Exception e) when (e is FormatException or JsonException or WireFormatException or InvalidOperationException or KeyNotFoundException)
        {
            return new FoundSignature(source, location, null, $"the layer's signature material is malformed: {e.Message}");
        }
    }

    private static VerificationMaterial LegacyMaterial(IReadOnlyDictionary<string, string> annotations)
    {
        var entries = new List<TransparencyLogEntry>();
        if (annotations.TryGetValue(BundleAnnotation, out var rekorBundle) && rekorBundle.Length > 0)
        {
            // cosign bundle.RekorBundle: {"SignedEntryTimestamp": b64, "Payload": {"body": b64, "integratedTime", "logIndex", "logID": hex}}.
            using var json = JsonDocument.Parse(rekorBundle);
            var payload = json.RootElement.GetProperty("Payload");
            var body = Convert.FromBase64String(payload.GetProperty("body").GetString() ?? "");
            using var bodyJson = JsonDocument.Parse(body);
            entries.Add(new TransparencyLogEntry
            {
                LogIndex = payload.GetProperty("logIndex").GetInt64(),
                LogId = new LogId { KeyId = Convert.FromHexString(payload.GetProperty("logID").GetString() ?? "") },
                KindVersion = new KindVersion { Kind = bodyJson.RootElement.GetProperty("kind").GetString() ?? "", Version = bodyJson.RootElement.GetProperty("apiVersion").GetString() ?? "" },
                IntegratedTime = payload.GetProperty("integratedTime").GetInt64(),
                InclusionPromise = new InclusionPromise { SignedEntryTimestamp = Convert.FromBase64String(json.RootElement.GetProperty("SignedEntryTimestamp").GetString() ?? "") },
                CanonicalizedBody = body,
            });
        }
        TimestampVerificationData? timestamps = null;
        if (annotations.TryGetValue(Rfc3161Annotation, out var rfc3161) && rfc3161.Length > 0)
        {
            // cosign bundle.RFC3161Timestamp: {"SignedRFC3161Timestamp": b64 DER}.
            using var json = JsonDocument.Parse(rfc3161);
            timestamps = new TimestampVerificationData
            {
                Rfc3161Timestamps = [new Rfc3161SignedTimestamp { SignedTimestamp = Convert.FromBase64String(json.RootElement.GetProperty("SignedRFC3161Timestamp").GetString() ?? "") }],
            };
        }
        if (annotations.TryGetValue(CertificateAnnotation, out var certificate) && certificate.Length > 0)
        {
            var chain = new List<DerCertificate> { new() { RawBytes = GoPem.DecodeCertificates(certificate)[0] } };
            if (annotations.TryGetValue(ChainAnnotation, out var more) && more.Length > 0)
            {
                chain.AddRange(GoPem.DecodeCertificates(more).Select(b => new DerCertificate { RawBytes = b }));
            }
            return new VerificationMaterial { X509CertificateChain = new X509CertificateChain { Certificates = chain }, TlogEntries = entries, TimestampVerificationData = timestamps };
        }
        return new VerificationMaterial { PublicKey = new PublicKeyIdentifier(), TlogEntries = entries, TimestampVerificationData = timestamps };
    }

    /// <summary>The predicate type of an in-toto statement in a DSSE envelope, or null.</summary>
    public static string? PredicateTypeOf(DsseEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType)
        {
            return null;
        }
        try
        {
            using var statement = JsonDocument.Parse(envelope.Payload, new JsonDocumentOptions { MaxDepth = 64 });
            return statement.RootElement.ValueKind == JsonValueKind.Object && statement.RootElement.TryGetProperty("predicateType", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
