using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Client.Rekor;

/// <summary>
/// Checks a Rekor v2 (C2SP) checkpoint against a trusted root as sigstore-go does for v2 entries: the note verifier is
/// named by the host of a trusted log's <c>baseUrl</c>, the checkpoint's origin must be that host, and a signature by
/// that log's key (Ed25519, or ECDSA) must verify.
/// </summary>
public static class CheckpointVerification
{
    /// <summary>Parses <paramref name="note"/> and returns it with the trusted log whose key signed it.</summary>
    /// <exception cref="WireFormatException">It does not parse, or no trusted log for its origin signed it.</exception>
    public static (SignedCheckpoint Checkpoint, TransparencyLogInstance Log) Verify(string note, TrustedRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var checkpoint = SignedCheckpoint.Parse(note);
        var origin = checkpoint.Checkpoint.Origin;
        var candidates = 0;
        foreach (var log in root.Tlogs)
        {
            if (!Uri.TryCreate(log.BaseUrl, UriKind.Absolute, out var url) || url.Host != origin || log.PublicKey?.RawBytes is not { Length: > 0 } key)
            {
                continue;
            }
            candidates++;
            INoteVerifier verifier;
            try
            {
                verifier = PublicKeyInfo.Validate(key) switch
                {
                    PublicKeyInfo.Ed25519Oid => Ed25519NoteVerifier.FromSubjectPublicKeyInfo(origin, key),
                    PublicKeyInfo.EcPublicKeyOid => new EcdsaNoteVerifier(origin, key),
                    _ => throw new WireFormatException("not an Ed25519 or ECDSA key"),
                };
                checkpoint.Verify([verifier], origin);
                return (checkpoint, log);
            }
            catch (WireFormatException)
            {
                // another key for the same origin (rotation) may have signed it
            }
        }
        throw new WireFormatException(candidates == 0
            ? $"no log in the trusted root has the checkpoint's origin \"{origin}\" as the host of its baseUrl"
            : $"the checkpoint of \"{origin}\" is not signed by a trusted key of that log");
    }
}
