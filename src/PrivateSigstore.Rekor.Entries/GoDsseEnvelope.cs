using System.Text;
using System.Text.Json;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>One DSSE signature as go-securesystemslib holds it: the key ID and the base64 text of the signature.</summary>
internal sealed record GoDsseSignature(string KeyId, string Sig);

/// <summary>
/// A DSSE envelope as go-securesystemslib's <c>dsse.Envelope</c> holds it after <c>json.Unmarshal</c>
/// (payload and signatures still base64 text), with its <c>VerifyAndDecode</c> for one verifier.
/// </summary>
internal sealed record GoDsseEnvelope(string PayloadType, string Payload, IReadOnlyList<GoDsseSignature> Signatures)
{
    /// <summary>
    /// <c>json.Unmarshal(envelope, &amp;dsse.Envelope{})</c>: fields matched case-insensitively, unknown members
    /// ignored, null leaves a zero value, a wrong JSON type fails with Go's message.
    /// </summary>
    public static GoDsseEnvelope Parse(string json, int maxSignatures)
    {
        JsonDocument document;
        try
        {
            document = GoJson.Parse(Encoding.UTF8.GetBytes(json));
        }
        catch (JsonException e)
        {
            throw new EntryFailure($"invalid DSSE envelope JSON: {e.Message}", FailureStage.Processing, e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return new GoDsseEnvelope(string.Empty, string.Empty, []);
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(root)} into Go value of type dsse.Envelope", FailureStage.Processing);
            }

            var payloadType = StringField(root, "payloadType", "Envelope.payloadType");
            var payload = StringField(root, "payload", "Envelope.payload");
            var signatures = new List<GoDsseSignature>();
            if (GoJson.Field(root, "signatures") is { } list && list.ValueKind != JsonValueKind.Null)
            {
                if (list.ValueKind != JsonValueKind.Array)
                {
                    throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(list)} into Go struct field Envelope.signatures of type []dsse.Signature", FailureStage.Processing);
                }

                if (list.GetArrayLength() > maxSignatures)
                {
                    throw new EntryFailure($"DSSE envelope has more than {maxSignatures} signatures", FailureStage.Processing);
                }

                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Null)
                    {
                        signatures.Add(new GoDsseSignature(string.Empty, string.Empty));
                        continue;
                    }

                    if (item.ValueKind != JsonValueKind.Object)
                    {
                        throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(item)} into Go struct field Envelope.signatures of type dsse.Signature", FailureStage.Processing);
                    }

                    signatures.Add(new GoDsseSignature(StringField(item, "keyid", "Envelope.signatures.keyid"), StringField(item, "sig", "Envelope.signatures.sig")));
                }
            }

            return new GoDsseEnvelope(payloadType, payload, signatures);
        }
    }

    /// <summary>
    /// go-securesystemslib <c>EnvelopeVerifier.VerifyAndDecode</c> with exactly one verifier and threshold 1:
    /// signatures are tried in order; a signature whose key ID is set and differs from the verifier's is
    /// skipped; the verifier accepts the first signature it verifies and then leaves the pool. Returns the
    /// accepted signature's text and the decoded payload; throws <see cref="EntryFailure"/> with the library's
    /// error text (no signatures, bad base64, nothing accepted).
    /// </summary>
    /// <param name="key">The verifier's key (<c>signature.LoadVerifier(key, crypto.SHA256)</c>).</param>
    /// <param name="verifierKeyId">The key ID the library derives for the verifier, or null when it derives none.</param>
    public (string AcceptedSig, byte[] Payload) VerifyAndDecode(PublicKey key, string? verifierKeyId)
    {
        if (Signatures.Count == 0)
        {
            throw new EntryFailure("no signature found", FailureStage.Processing);
        }

        if (!GoBase64.TryDecodeDsse(Payload, out var body))
        {
            throw new EntryFailure(UndecodableBase64, FailureStage.Processing);
        }

        var pae = DsseEnvelope.PreAuthenticationEncoding(PayloadType, body);
        string? accepted = null;
        foreach (var signature in Signatures)
        {
            if (!GoBase64.TryDecodeDsse(signature.Sig, out var sig))
            {
                throw new EntryFailure(UndecodableBase64, FailureStage.Processing);
            }

            if (accepted is not null)
            {
                continue; // the only provider has left the pool
            }

            if (signature.KeyId.Length > 0 && verifierKeyId is not null && !string.Equals(signature.KeyId, verifierKeyId, StringComparison.Ordinal))
            {
                continue;
            }

            if (key.CheckMessage(pae, sig) is null)
            {
                accepted = signature.Sig;
            }
        }

        return accepted is null
            ? throw new EntryFailure("accepted signatures do not match threshold, Found: 0, Expected 1", FailureStage.Processing)
            : (accepted, body);
    }

    private const string UndecodableBase64 = "unable to base64 decode payload (is payload in the right format?)";

    private static string StringField(JsonElement structure, string name, string goField)
    {
        if (GoJson.Field(structure, name) is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        return value.ValueKind == JsonValueKind.String
            ? GoJson.Text(value)
            : throw new EntryFailure($"json: cannot unmarshal {GoJson.JsonTypeName(value)} into Go struct field {goField} of type string", FailureStage.Processing);
    }
}
