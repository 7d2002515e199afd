using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// dsse v0.0.1 (<c>pkg/types/dsse/v0.0.1/entry.go</c>, <c>dsse_v0_0_1_schema.json</c>): a DSSE envelope sent as
/// a JSON string plus the keys or certificates that verify it; stored as the envelope and payload hashes
/// and the signatures with their (re-encoded) verifiers.
/// </summary>
internal static partial class DsseV001
{
    public const string Kind = "dsse";
    public const string Version = "0.0.1";

    // The schema's pattern as upstream reports it; matched with \z because Go's $ (unlike .NET's) never
    // matches before a final newline.
    private const string SignaturePattern = @"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=|[A-Za-z0-9+\/]{4})$";
    private const string SignatureMatch = @"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=|[A-Za-z0-9+\/]{4})\z";

    public static EntryResult Process(JsonElement spec, RekorEntryPolicy policy)
    {
        // DecodeEntry (map fast path).
        EntrySupport.RequireObjectSpec(spec);
        ProposedContent? proposed = null;
        if (GoJson.Object(spec, "proposedContent") is { } content)
        {
            List<byte[]>? verifiers = null;
            if (GoJson.Array(content, "verifiers") is { } list)
            {
                if (list.GetArrayLength() > policy.MaxDsseSignatures)
                {
                    throw new EntryFailure($"more than {policy.MaxDsseSignatures} verifiers", FailureStage.Processing);
                }

                verifiers = [];
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && GoJson.Text(item) is { Length: > 0 } text)
                    {
                        verifiers.Add(GoBase64.DecodeStandard(text, "failed parsing base64 data for verifier: "));
                    }
                }
            }

            proposed = new ProposedContent(GoJson.String(content, "envelope"), verifiers);
        }

        List<StoredSignature>? signatures = null;
        if (GoJson.Array(spec, "signatures") is { } storedList)
        {
            if (storedList.GetArrayLength() > policy.MaxDsseSignatures)
            {
                throw new EntryFailure($"more than {policy.MaxDsseSignatures} signatures", FailureStage.Processing);
            }

            signatures = [];
            foreach (var item in storedList.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                byte[]? verifier = null;
                if (GoJson.String(item, "verifier") is { Length: > 0 } text)
                {
                    verifier = GoBase64.DecodeStandard(text, "failed parsing base64 data for signature verifier: ");
                }

                signatures.Add(new StoredSignature(GoJson.String(item, "signature"), verifier));
            }
        }

        var envelopeHash = HashValue.From(spec, "envelopeHash");
        var payloadHash = HashValue.From(spec, "payloadHash");

        // Validate(strfmt.Default), in the generated order.
        var errors = new SchemaErrors();
        envelopeHash?.Validate("envelopeHash", errors, "sha256");
        payloadHash?.Validate("payloadHash", errors, "sha256");
        if (proposed is not null)
        {
            if (proposed.Envelope is null)
            {
                errors.Required("proposedContent.envelope");
            }

            if (proposed.Verifiers is null)
            {
                errors.Required("proposedContent.verifiers");
            }
            else if (proposed.Verifiers.Count < 1)
            {
                errors.Add("proposedContent.verifiers in body should have at least 1 items");
            }
        }

        if (signatures is not null)
        {
            if (signatures.Count < 1)
            {
                errors.Add("signatures in body should have at least 1 items");
            }

            for (var i = 0; i < signatures.Count; i++)
            {
                if (signatures[i].Signature is not { } text)
                {
                    errors.Required($"signatures.{i}.signature");
                }
                else if (!SignatureRegex().IsMatch(text))
                {
                    errors.Add($"signatures.{i}.signature in body should match '{SignaturePattern}'");
                }

                if (signatures[i].Verifier is null)
                {
                    errors.Required($"signatures.{i}.verifier");
                }
            }
        }

        errors.ThrowIfAny();

        return proposed is null
            ? FromCanonicalFields(envelopeHash, payloadHash, signatures, policy)
            : FromProposedContent(proposed, envelopeHash, payloadHash, signatures, policy);
    }

    private static EntryResult FromProposedContent(ProposedContent proposed, HashValue? envelopeHash, HashValue? payloadHash, List<StoredSignature>? signatures, RekorEntryPolicy policy)
    {
        // Unmarshal: clients may not set the server-computed fields as well.
        if (envelopeHash is not null || payloadHash is not null || signatures is { Count: > 0 })
        {
            throw new EntryFailure("either proposedContent or envelopeHash, payloadHash, and signatures must be present but not both", FailureStage.Processing);
        }

        var envelopeText = proposed.Envelope!;
        var envelope = GoDsseEnvelope.Parse(envelopeText, policy.MaxDsseSignatures);
        if (envelope.Signatures.Count == 0)
        {
            throw new EntryFailure("DSSE envelope must contain 1 or more signatures", FailureStage.Processing);
        }

        // verifyEnvelope: each verifier in turn (until every signature is accounted for) must verify one signature.
        var pending = new HashSet<string>(envelope.Signatures.Select(s => s.Sig), StringComparer.Ordinal);
        var verifierBySignature = new Dictionary<string, RekorPublicKey>(StringComparer.Ordinal);
        byte[]? payload = null;
        foreach (var verifierPem in proposed.Verifiers!)
        {
            if (pending.Count == 0)
            {
                break;
            }

            RekorPublicKey key;
            try
            {
                key = RekorPublicKey.Parse(verifierPem, policy.MaxChainLength);
            }
            catch (EntryFailure e)
            {
                throw new EntryFailure($"could not parse public key as x509: {e.Message}", FailureStage.Processing, e);
            }

            string accepted;
            try
            {
                (accepted, payload) = envelope.VerifyAndDecode(key.Key, verifierKeyId: null);
            }
            catch (EntryFailure e)
            {
                throw new EntryFailure($"could not verify envelope: {e.Message}", FailureStage.Processing, e);
            }

            pending.Remove(accepted);
            verifierBySignature[accepted] = key;
        }

        if (pending.Count > 0)
        {
            throw new EntryFailure("all signatures must have a key that verifies it", FailureStage.Processing);
        }

        // Signatures sorted by their base64 text, each with its verifier's canonical PEM.
        var stored = new List<(string Signature, byte[] VerifierPem, RekorPublicKey Key)>();
        foreach (var signature in verifierBySignature.Keys.Order(StringComparer.Ordinal))
        {
            var key = verifierBySignature[signature];
            stored.Add((signature, key.CanonicalPem(), key));
        }

        var computedPayloadHash = HashValue.Sha256(payload);
        var computedEnvelopeHash = HashValue.Sha256(Encoding.UTF8.GetBytes(envelopeText));
        var body = Body(computedEnvelopeHash, computedPayloadHash, stored.Select(s => (s.Signature, s.VerifierPem)));

        // IndexKeys(): per signature the prefixed key hash and SAN subjects, the two hashes, in-toto digests.
        var indexKeys = new List<string>();
        foreach (var (_, pem, key) in stored)
        {
            indexKeys.Add(EntrySupport.PrefixedKeyHash(pem));
            indexKeys.AddRange(key.Subjects);
        }

        indexKeys.Add(computedPayloadHash.IndexKey());
        indexKeys.Add(computedEnvelopeHash.IndexKey());
        if (string.Equals(envelope.PayloadType, InTotoStatement.PayloadType, StringComparison.Ordinal))
        {
            EntrySupport.TryInTotoKeys(payload!, indexKeys);
        }

        return new EntryResult(body, indexKeys, null);
    }

    private static EntryResult FromCanonicalFields(HashValue? envelopeHash, HashValue? payloadHash, List<StoredSignature>? signatures, RekorEntryPolicy policy)
    {
        // Unmarshal without proposedContent: the already-canonical form (only searches get this far).
        if (envelopeHash is null || payloadHash is null || signatures is not { Count: > 0 })
        {
            throw new EntryFailure("either proposedContent or envelopeHash, payloadHash, and signatures must be present", FailureStage.Processing);
        }

        if (!policy.ForSearch)
        {
            throw EntrySupport.NotInsertable("missing proposed content");
        }

        var sorted = signatures.OrderBy(s => s.Signature, StringComparer.Ordinal).ToList();
        var body = Body(envelopeHash, payloadHash, sorted.Select(s => (s.Signature!, s.Verifier!)));

        // IndexKeys() fails (and upstream indexes nothing) when a stored verifier does not parse.
        var indexKeys = new List<string>();
        try
        {
            foreach (var signature in sorted)
            {
                var key = RekorPublicKey.Parse(signature.Verifier!, policy.MaxChainLength);
                indexKeys.Add(EntrySupport.PrefixedKeyHash(key.CanonicalPem()));
                indexKeys.AddRange(key.Subjects);
            }

            indexKeys.Add(payloadHash.IndexKey());
            indexKeys.Add(envelopeHash.IndexKey());
        }
        catch (EntryFailure)
        {
            indexKeys.Clear();
        }

        return new EntryResult(body, indexKeys, null);
    }

    private static byte[] Body(HashValue envelopeHash, HashValue payloadHash, IEnumerable<(string Signature, byte[] Verifier)> signatures)
    {
        var list = new JsonArray();
        foreach (var (signature, verifier) in signatures)
        {
            list.Add(new JsonObject { ["signature"] = signature, ["verifier"] = Convert.ToBase64String(verifier) });
        }

        return EntrySupport.CanonicalBody(Kind, Version, new JsonObject
        {
            ["envelopeHash"] = envelopeHash.ToJson(),
            ["payloadHash"] = payloadHash.ToJson(),
            ["signatures"] = list,
        });
    }

    [GeneratedRegex(SignatureMatch, RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SignatureRegex();

    private sealed record ProposedContent(string? Envelope, List<byte[]>? Verifiers);

    private sealed record StoredSignature(string? Signature, byte[]? Verifier);
}
