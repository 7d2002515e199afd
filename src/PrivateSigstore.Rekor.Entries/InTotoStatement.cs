using System.Text.Json;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// The index keys Rekor pulls out of an in-toto statement (<c>application/vnd.in-toto+json</c>): every
/// subject digest as <c>alg:digest</c>, and the digests of predicate <c>materials</c>. Decoding follows
/// Go's <c>encoding/json</c> into upstream's extraction structs: a JSON type that does not fit fails the
/// whole extraction (Go returns an <c>UnmarshalTypeError</c>), unknown members are ignored. Digest order
/// within a subject is document order (Go's map order is random).
/// </summary>
internal static class InTotoStatement
{
    /// <summary><c>application/vnd.in-toto+json</c> (in-toto-golang <c>in_toto.PayloadType</c>).</summary>
    public const string PayloadType = "application/vnd.in-toto+json";

    /// <summary>Subject digests (<c>indexKeyExtract.Subject</c>); false when the payload does not decode into that shape.</summary>
    public static bool TrySubjectDigests(byte[] payload, out List<string> keys)
    {
        keys = [];
        try
        {
            using var document = GoJson.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            return root.ValueKind == JsonValueKind.Object && AppendDigestList(GoJson.Field(root, "subject"), keys);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (EntryFailure)
        {
            return false;
        }
    }

    /// <summary>
    /// Material digests of the predicate (dsse's <c>materialsExtract</c>; for intoto, the SLSA v0.2
    /// <c>predicate.materials</c> of <c>in_toto.ProvenanceStatement</c>); false when that does not decode.
    /// </summary>
    public static bool TryMaterialDigests(byte[] payload, out List<string> keys)
    {
        keys = [];
        try
        {
            using var document = GoJson.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || GoJson.Field(root, "predicate") is not { } predicate || predicate.ValueKind == JsonValueKind.Null)
            {
                return root.ValueKind is JsonValueKind.Object or JsonValueKind.Null;
            }

            return predicate.ValueKind == JsonValueKind.Object && AppendDigestList(GoJson.Field(predicate, "materials"), keys);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (EntryFailure)
        {
            return false;
        }
    }

    private static bool AppendDigestList(JsonElement? list, List<string> keys)
    {
        if (list is not { } items || items.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (items.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (item.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (GoJson.Field(item, "digest") is not { } digest || digest.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (digest.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var member in digest.EnumerateObject())
            {
                switch (member.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        keys.Add(member.Name + ":" + GoJson.Text(member.Value));
                        break;
                    case JsonValueKind.Null:
                        keys.Add(member.Name + ":");
                        break;
                    default:
                        return false;
                }
            }
        }

        return true;
    }
}
