using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// intoto v0.0.2 (<c>pkg/types/intoto/v0.0.2/entry.go</c>, <c>intoto_v0_0_2_schema.json</c>): a DSSE envelope
/// as an object whose payload and signatures are base64 of the envelope's base64 text (double base64),
/// each signature with its own PEM key; the client supplies the envelope <c>hash</c>.
/// </summary>
internal static class IntotoV002
{
    public const string Kind = "intoto";
    public const string Version = "0.0.2";

    // pkg/types/intoto/v0.0.2 maxAttestationSize.
    private const int MaxAttestationSize = 100 * 1024;

    public static EntryResult Process(JsonElement spec, RekorEntryPolicy policy)
    {
        // DecodeEntry: content and content.envelope always exist, even when absent from the JSON.
        EntrySupport.RequireObjectSpec(spec);
        string? payloadType = null;
        byte[] payload = [];
        List<Signature>? signatures = null;
        HashValue? hash = null;
        HashValue? payloadHash = null;
        if (GoJson.Object(spec, "content") is { } content)
        {
            if (GoJson.Object(content, "envelope") is { } envelope)
            {
                payloadType = GoJson.String(envelope, "payloadType");
                if (GoJson.String(envelope, "payload") is { Length: > 0 } text)
                {
                    payload = GoBase64.DecodeStandard(text, "failed parsing base64 data for payload: ");
                }

                if (GoJson.Array(envelope, "signatures") is { } list)
                {
                    if (list.GetArrayLength() > policy.MaxDsseSignatures)
                    {
                        throw new EntryFailure($"more than {policy.MaxDsseSignatures} signatures", FailureStage.Processing);
                    }

                    signatures = [];
                    foreach (var item in list.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Object)
                        {
                            continue;
                        }

                        var sig = GoJson.String(item, "sig") is { } sigText ? GoBase64.DecodeStandard(sigText, "failed parsing base64 data for signature: ") : null;
                        var key = GoJson.String(item, "publicKey") is { } keyText ? GoBase64.DecodeStandard(keyText, "failed parsing base64 data for public key: ") : null;
                        signatures.Add(new Signature(GoJson.String(item, "keyid") ?? string.Empty, sig, key));
                    }
                }
            }

            hash = HashValue.From(content, "hash");
            payloadHash = HashValue.From(content, "payloadHash");
        }

        Validate(payloadType, signatures, hash, payloadHash);

        // Unmarshal: with a payload, every signature must verify and the payload hash is recomputed.
        byte[]? attestation = null;
        if (payload.Length > 0)
        {
            var envelope = new GoDsseEnvelope(payloadType!, Encoding.Latin1.GetString(payload), [.. signatures!.Select(s => new GoDsseSignature(s.KeyId, Encoding.Latin1.GetString(s.Sig!)))]);
            VerifyEnvelope(envelope, signatures!, policy);
            if (!GoBase64.TryDecodeStandard(envelope.Payload, out var decoded))
            {
                throw new EntryFailure("could not decode envelope payload: " + GoBase64.IllegalData(envelope.Payload), FailureStage.Processing);
            }

            payloadHash = HashValue.Sha256(decoded);

            // AttestationKeyValue(): skipped when base64.StdEncoding.DecodedLen(len(payload)) exceeds the limit.
            if (envelope.Payload.Length / 4 * 3 <= MaxAttestationSize)
            {
                attestation = decoded;
            }
        }

        if (!policy.ForSearch)
        {
            RequireInsertable(payload, payloadType, signatures!);
        }

        // Canonicalize(): the client's hash is required; the payload is dropped.
        if (hash is null)
        {
            throw new EntryFailure("missing envelope digest", FailureStage.Processing);
        }

        if (payloadHash is null)
        {
            throw new EntryFailure("missing payload digest", FailureStage.Processing);
        }

        var stored = new JsonArray();
        foreach (var signature in signatures!)
        {
            var item = new JsonObject();
            if (signature.KeyId.Length > 0)
            {
                item["keyid"] = signature.KeyId;
            }

            item["publicKey"] = Convert.ToBase64String(signature.PublicKey!);
            item["sig"] = Convert.ToBase64String(signature.Sig!);
            stored.Add(item);
        }

        var body = EntrySupport.CanonicalBody(Kind, Version, new JsonObject
        {
            ["content"] = new JsonObject
            {
                ["envelope"] = new JsonObject { ["payloadType"] = payloadType, ["signatures"] = stored },
                ["hash"] = hash.ToJson(),
                ["payloadHash"] = payloadHash.ToJson(),
            },
        });

        return new EntryResult(body, IndexKeys(signatures, payloadHash, payloadType, payload, policy), attestation);
    }

    private static void Validate(string? payloadType, List<Signature>? signatures, HashValue? hash, HashValue? payloadHash)
    {
        var errors = new SchemaErrors();
        if (payloadType is null)
        {
            errors.Required("content.envelope.payloadType");
        }

        if (signatures is null)
        {
            errors.Required("content.envelope.signatures");
        }
        else
        {
            if (signatures.Count < 1)
            {
                errors.Add("content.envelope.signatures in body should have at least 1 items");
            }

            for (var i = 0; i < signatures.Count; i++)
            {
                if (signatures[i].PublicKey is null)
                {
                    errors.Required($"content.envelope.signatures.{i}.publicKey");
                }

                if (signatures[i].Sig is null)
                {
                    errors.Required($"content.envelope.signatures.{i}.sig");
                }
            }
        }

        hash?.Validate("content.hash", errors, "sha256");
        payloadHash?.Validate("content.payloadHash", errors, "sha256");
        errors.ThrowIfAny();
    }

    private static void VerifyEnvelope(GoDsseEnvelope envelope, List<Signature> signatures, RekorEntryPolicy policy)
    {
        // verifyEnvelope (v0.0.2): every signature's key, in order, must verify one signature of the envelope.
        var pending = new HashSet<string>(envelope.Signatures.Select(s => s.Sig), StringComparer.Ordinal);
        foreach (var signature in signatures)
        {
            RekorPublicKey key;
            try
            {
                key = RekorPublicKey.Parse(signature.PublicKey!, policy.MaxChainLength);
            }
            catch (EntryFailure e)
            {
                throw new EntryFailure($"could not parse public key as x509: {e.Message}", FailureStage.Processing, e);
            }

            try
            {
                var (accepted, _) = envelope.VerifyAndDecode(key.Key, verifierKeyId: null);
                pending.Remove(accepted);
            }
            catch (EntryFailure e)
            {
                throw new EntryFailure($"could not verify envelope: {e.Message}", FailureStage.Processing, e);
            }
        }

        if (pending.Count > 0)
        {
            throw new EntryFailure("all signatures must have a key that verifies it", FailureStage.Processing);
        }
    }

    private static void RequireInsertable(byte[] payload, string? payloadType, List<Signature> signatures)
    {
        // Insertable().
        if (payload.Length == 0)
        {
            throw EntrySupport.NotInsertable("missing envelope content");
        }

        if (string.IsNullOrEmpty(payloadType))
        {
            throw EntrySupport.NotInsertable("missing payloadType content");
        }

        if (signatures.Count == 0)
        {
            throw EntrySupport.NotInsertable("missing signatures content");
        }

        foreach (var signature in signatures)
        {
            if (signature.Sig is not { Length: > 0 })
            {
                throw EntrySupport.NotInsertable("missing signature content");
            }

            if (signature.PublicKey is not { Length: > 0 })
            {
                throw EntrySupport.NotInsertable("missing publicKey content");
            }
        }
    }

    private static List<string> IndexKeys(List<Signature> signatures, HashValue payloadHash, string? payloadType, byte[] payload, RekorEntryPolicy policy)
    {
        // IndexKeys(): any error makes upstream index nothing for the entry.
        var keys = new List<string>();
        try
        {
            foreach (var signature in signatures)
            {
                var key = RekorPublicKey.Parse(signature.PublicKey!, policy.MaxChainLength);
                keys.Add(EntrySupport.PrefixedKeyHash(key.CanonicalPem()));
                keys.AddRange(key.Subjects);
            }
        }
        catch (EntryFailure)
        {
            return [];
        }

        keys.Add(payloadHash.IndexKey());
        if (string.Equals(payloadType, InTotoStatement.PayloadType, StringComparison.Ordinal) && payload.Length > 0)
        {
            if (!GoBase64.TryDecodeStandard(Encoding.Latin1.GetString(payload), out var statement) || !EntrySupport.TryInTotoKeys(statement, keys))
            {
                return [];
            }
        }

        return keys;
    }

    private sealed record Signature(string KeyId, byte[]? Sig, byte[]? PublicKey);
}
