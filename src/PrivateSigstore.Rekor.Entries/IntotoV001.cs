using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// intoto v0.0.1 (<c>pkg/types/intoto/v0.0.1/entry.go</c>, <c>intoto_v0_0_1_schema.json</c>): a DSSE envelope
/// as a JSON string and one PEM key or certificate; stored as the envelope and payload hashes and the
/// (re-encoded) key. cosign's older attestations and its <c>entries/retrieve</c> lookups use it.
/// </summary>
internal static class IntotoV001
{
    public const string Kind = "intoto";
    public const string Version = "0.0.1";

    // pkg/types/intoto/v0.0.1 maxAttestationSize.
    private const int MaxAttestationSize = 100 * 1024;

    public static EntryResult Process(JsonElement spec, RekorEntryPolicy policy)
    {
        // DecodeEntry (map fast path).
        EntrySupport.RequireObjectSpec(spec);
        var hasContent = false;
        var envelopeText = string.Empty;
        HashValue? hash = null;
        HashValue? payloadHash = null;
        if (GoJson.Object(spec, "content") is { } content)
        {
            hasContent = true;
            envelopeText = GoJson.String(content, "envelope") ?? string.Empty;
            hash = HashValue.From(content, "hash");
            payloadHash = HashValue.From(content, "payloadHash");
        }

        byte[]? publicKey = null;
        if (GoJson.String(spec, "publicKey") is { Length: > 0 } keyText)
        {
            publicKey = GoBase64.DecodeStandard(keyText, "failed parsing base64 data for public key: ");
        }

        // Validate(strfmt.Default).
        var errors = new SchemaErrors();
        if (!hasContent)
        {
            errors.Required("content");
        }
        else
        {
            hash?.Validate("content.hash", errors, "sha256");
            payloadHash?.Validate("content.payloadHash", errors, "sha256");
        }

        if (publicKey is null)
        {
            errors.Required("publicKey");
        }

        errors.ThrowIfAny();

        var key = RekorPublicKey.Parse(publicKey!, policy.MaxChainLength);

        // validate(): with an envelope, the key must verify it and both hashes are computed here;
        // without one (the stored form), the given hash is required.
        GoDsseEnvelope? envelope = null;
        byte[]? attestation = null;
        if (envelopeText.Length == 0)
        {
            if (hash is null)
            {
                throw new EntryFailure("missing hash value for envelope", FailureStage.Processing);
            }
        }
        else
        {
            envelope = GoDsseEnvelope.Parse(envelopeText, policy.MaxDsseSignatures);

            // dsse.WrapVerifier: the verifier's key ID is the SSH fingerprint of its key (dsse.SHA256KeyID).
            envelope.VerifyAndDecode(key.Key, key.Key.SshFingerprint());
            if (!GoBase64.TryDecodeStandard(envelope.Payload, out var decoded))
            {
                throw new EntryFailure(GoBase64.IllegalData(envelope.Payload), FailureStage.Processing);
            }

            payloadHash = HashValue.Sha256(decoded);
            hash = HashValue.Sha256(Encoding.UTF8.GetBytes(envelopeText));
            if (envelope.Payload.Length / 4 * 3 <= MaxAttestationSize)
            {
                attestation = decoded;
            }
        }

        if (!policy.ForSearch)
        {
            // Insertable().
            if (envelope is null)
            {
                throw EntrySupport.NotInsertable("missing envelope content");
            }

            if (envelope.Payload.Length == 0 || envelope.PayloadType.Length == 0 || envelope.Signatures.Count == 0)
            {
                throw EntrySupport.NotInsertable("invalid DSSE envelope");
            }
        }

        // Canonicalize(): hashes and the canonical key; the envelope is dropped.
        var canonicalPem = key.CanonicalPem();
        var contentJson = new JsonObject { ["hash"] = hash!.ToJson() };
        if (payloadHash is not null)
        {
            contentJson["payloadHash"] = payloadHash.ToJson();
        }

        var body = EntrySupport.CanonicalBody(Kind, Version, new JsonObject
        {
            ["content"] = contentJson,
            ["publicKey"] = Convert.ToBase64String(canonicalPem),
        });

        // IndexKeys(): envelope hash, key hash and subjects, payload hash, in-toto digests (errors only logged upstream).
        var indexKeys = new List<string> { hash.IndexKey(), EntrySupport.PrefixedKeyHash(canonicalPem) };
        indexKeys.AddRange(key.Subjects);
        if (payloadHash is not null)
        {
            indexKeys.Add(payloadHash.IndexKey());
        }

        if (envelope is not null && string.Equals(envelope.PayloadType, InTotoStatement.PayloadType, StringComparison.Ordinal)
            && GoBase64.TryDecodeStandard(envelope.Payload, out var statement))
        {
            EntrySupport.TryInTotoKeys(statement, indexKeys);
        }

        return new EntryResult(body, indexKeys, attestation);
    }
}
