using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Rekor v1 proposed entries: validation and canonicalization exactly as upstream Rekor performs them for
/// <c>POST /api/v1/log/entries</c> (<c>types.CreateVersionedEntry</c>, <c>checkEntryAlgorithms</c>,
/// <c>types.CanonicalizeEntry</c>) and, with <see cref="RekorEntryPolicy.ForSearch"/>, for proposed entries
/// in <c>POST /api/v1/log/entries/retrieve</c>. Kinds: hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2 and 0.0.1.
/// </summary>
public static partial class RekorEntries
{
    // Kinds upstream's generated ProposedEntry knows; the ones not handled here are "not enabled".
    private static readonly string[] UpstreamKinds = ["alpine", "cose", "dsse", "hashedrekord", "helm", "intoto", "jar", "rekord", "rfc3161", "rpm", "tuf"];

    // Semantic version pattern of every kind's apiVersion (pkg/generated/models).
    private const string ApiVersionPattern = @"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$";
    private const string ApiVersionMatch = @"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\z";

    /// <summary>
    /// Validates a proposed entry (UTF-8 JSON <c>{"apiVersion", "kind", "spec"}</c>) and returns the leaf upstream
    /// Rekor would store for it: the RFC 8785 body, its RFC 6962 leaf hash, the search-index keys and, for
    /// intoto, the attestation. Signatures are verified as upstream verifies them (hashedrekord over the
    /// supplied digest, including Ed25519ph and certificate chains; DSSE over the PAE with every signature
    /// accounted for), keys and certificates are re-encoded as Go writes PEM.
    /// </summary>
    /// <exception cref="RekorEntryException">
    /// The entry is rejected; <see cref="WireFormatException.Reason"/> is upstream's error message. No other
    /// exception escapes for bad input.
    /// </exception>
    public static CanonicalEntry Canonicalize(ReadOnlySpan<byte> proposedEntryJson, RekorEntryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        try
        {
            if (proposedEntryJson.Length > policy.MaxEntryBytes)
            {
                throw new EntryFailure($"proposed entry is {proposedEntryJson.Length} bytes, more than the limit of {policy.MaxEntryBytes}", FailureStage.TooLarge);
            }

            using var document = ParseBody(proposedEntryJson);
            var (kind, apiVersion, spec) = ReadEnvelope(document.RootElement);
            var result = Dispatch(kind, apiVersion, spec, policy);
            return new CanonicalEntry(kind, apiVersion, result.Body, Rfc6962.HashLeaf(result.Body), NormalizeIndexKeys(result.IndexKeys), result.Attestation);
        }
        catch (EntryFailure e)
        {
            throw ToPublic(e, policy);
        }
        catch (Exception e) when (e is JsonException or CryptographicException or AsnContentException or RegexMatchTimeoutException or WireFormatException or InvalidOperationException)
        {
            // Defensive: every parser above maps these already; anything left is still bad input.
            throw ToPublic(new EntryFailure(e.Message, FailureStage.Processing, e), policy);
        }
    }

    /// <summary>
    /// The search-index key of an x509 public key, certificate or chain in PEM — hex SHA-256 of its canonical
    /// (Go-encoded) PEM, the same key <see cref="Canonicalize"/> indexes hashedrekord entries under
    /// (rekor <c>pkg/api/index.go</c> and <c>hashedrekord IndexKeys</c>).
    /// </summary>
    /// <exception cref="RekorEntryException">The PEM is not a valid key, certificate or chain.</exception>
    public static string PublicKeyIndexKey(ReadOnlySpan<byte> pem)
    {
        try
        {
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(RekorPublicKey.Parse(pem, RekorEntryPolicy.Search.MaxChainLength).CanonicalPem()));
        }
        catch (EntryFailure e)
        {
            throw ToPublic(e, RekorEntryPolicy.Search);
        }
    }

    /// <summary>
    /// Reads the <c>kind</c> and <c>apiVersion</c> of a stored canonical body (or any proposed entry) without
    /// validating the rest, as clients do to fill a bundle's <c>kindVersion</c>.
    /// </summary>
    /// <exception cref="RekorEntryException">The body is not a JSON object with string <c>kind</c> and <c>apiVersion</c>.</exception>
    public static (string Kind, string ApiVersion) ReadKind(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = ParseBody(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EntryFailure("entry body is not a JSON object", FailureStage.Parse);
            }

            var kind = GoJson.Member(root, "kind") is { ValueKind: JsonValueKind.String } k ? GoJson.Text(k) : null;
            var version = GoJson.Member(root, "apiVersion") is { ValueKind: JsonValueKind.String } v ? GoJson.Text(v) : null;
            if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(version))
            {
                throw new EntryFailure("entry body has no string kind and apiVersion", FailureStage.Parse);
            }

            return (kind, version);
        }
        catch (EntryFailure e)
        {
            throw ToPublic(e, RekorEntryPolicy.Search);
        }
        catch (InvalidOperationException e)
        {
            throw ToPublic(new EntryFailure(e.Message, FailureStage.Parse, e), RekorEntryPolicy.Search);
        }
    }

    private static JsonDocument ParseBody(ReadOnlySpan<byte> json)
    {
        try
        {
            return GoJson.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            // go-openapi body binding; upstream reports Go's decoder error.
            throw new EntryFailure($"parsing proposedEntry body failed: {e.Message}", FailureStage.Parse, e);
        }
    }

    private static (string Kind, string ApiVersion, JsonElement Spec) ReadEnvelope(JsonElement root)
    {
        // models.UnmarshalProposedEntry: decode into struct {Kind string; APIVersion *string; Spec any}.
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(root)} into Go value of type models.targetedProposedEntry", FailureStage.Parse);
        }

        var kindElement = GoJson.Field(root, "kind");
        var kind = string.Empty;
        if (kindElement is { ValueKind: not JsonValueKind.Null } k)
        {
            kind = k.ValueKind == JsonValueKind.String
                ? GoJson.Text(k)
                : throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(k)} into Go struct field targetedProposedEntry.kind of type string", FailureStage.Parse);
        }

        string? apiVersion = null;
        if (GoJson.Field(root, "apiVersion") is { ValueKind: not JsonValueKind.Null } v)
        {
            apiVersion = v.ValueKind == JsonValueKind.String
                ? GoJson.Text(v)
                : throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(v)} into Go struct field targetedProposedEntry.apiVersion of type string", FailureStage.Parse);
        }

        // validate.RequiredString("kind", "body", …), then the discriminator switch.
        if (kind.Length == 0)
        {
            throw new EntryFailure("kind in body is required", FailureStage.Binding);
        }

        if (Array.IndexOf(UpstreamKinds, kind) < 0)
        {
            throw new EntryFailure($"invalid kind value: \"{kind}\"", FailureStage.Binding);
        }

        // <Kind>.Validate: apiVersion required and a semantic version; spec required.
        if (apiVersion is null)
        {
            throw new EntryFailure("apiVersion in body is required", FailureStage.Binding);
        }

        if (!ApiVersionRegex().IsMatch(apiVersion))
        {
            throw new EntryFailure($"apiVersion in body should match '{ApiVersionPattern}'", FailureStage.Binding);
        }

        if (GoJson.Field(root, "spec") is not { ValueKind: not JsonValueKind.Null } spec)
        {
            throw new EntryFailure("spec in body is required", FailureStage.Binding);
        }

        return (kind, apiVersion, spec);
    }

    private static EntryResult Dispatch(string kind, string apiVersion, JsonElement spec, RekorEntryPolicy policy)
    {
        Func<JsonElement, RekorEntryPolicy, EntryResult>? process = (kind, apiVersion) switch
        {
            (HashedRekordV001.Kind, HashedRekordV001.Version) => HashedRekordV001.Process,
            (DsseV001.Kind, DsseV001.Version) => DsseV001.Process,
            (IntotoV002.Kind, IntotoV002.Version) => IntotoV002.Process,
            (IntotoV001.Kind, IntotoV001.Version) => IntotoV001.Process,
            _ => null,
        };
        if (process is not null)
        {
            return process(spec, policy);
        }

        if (kind is HashedRekordV001.Kind or DsseV001.Kind or IntotoV002.Kind)
        {
            // types.RekorType.VersionedUnmarshal + EntryFactoryMap.GetEntryFactory.
            throw new EntryFailure($"{kind} implementation for version '{apiVersion}' not found: unable to locate entry for version {apiVersion}", FailureStage.Processing);
        }

        // types.CreateVersionedEntry with the server's allowed kinds (rekor-server --enabled_kinds semantics).
        throw new EntryFailure($"entry kind '{kind}' is not enabled for submission on this server", FailureStage.Processing);
    }

    private static List<string> NormalizeIndexKeys(IReadOnlyList<string> keys)
    {
        // Upstream's index storage lower-cases every key (pkg/indexstorage/redis); a set holds each once.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(keys.Count);
        foreach (var key in keys)
        {
            var lower = key.ToLowerInvariant();
            if (seen.Add(lower))
            {
                result.Add(lower);
            }
        }

        return result;
    }

    private static RekorEntryException ToPublic(EntryFailure failure, RekorEntryPolicy policy)
    {
        var detail = failure.Message;
        var (reason, status) = failure.Stage switch
        {
            FailureStage.TooLarge => (detail, 413),
            FailureStage.Parse => (detail, 400),
            FailureStage.Binding => (detail, 422),

            // pkg/api/error.go validationError = "error processing entry: %v"; searches report err.Error().
            _ => (policy.ForSearch ? detail : "error processing entry: " + detail, 400),
        };
        return new RekorEntryException(reason, detail, status, failure);
    }

    [GeneratedRegex(ApiVersionMatch, RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ApiVersionRegex();
}
