using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys;
using PrivateSigstore.Log;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.V2;

/// <summary>
/// What a trust root needs about a Rekor v2 log (<c>TransparencyLogInstance</c> in trusted_root.json): the checkpoint
/// key, its key details, and the 32-byte C2SP key id that is both <c>logId.keyId</c> and <c>checkpointKeyId.keyId</c>.
/// </summary>
/// <param name="Origin">The checkpoint origin and note key name (the base URL's host name).</param>
/// <param name="SubjectPublicKeyInfo">The checkpoint key, DER SubjectPublicKeyInfo (<c>publicKey.rawBytes</c>).</param>
/// <param name="KeyDetails"><c>PKIX_ED25519</c> or <c>PKIX_ECDSA_P256_SHA_256</c> (<c>publicKey.keyDetails</c>).</param>
/// <param name="KeyId">
/// Ed25519: SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ 32-byte key); ECDSA: SHA-256(SPKI) (rekor-tiles <c>pkg/note</c>). The
/// checkpoint's key hint is its first 4 bytes.
/// </param>
public sealed record RekorV2TrustInfo(string Origin, byte[] SubjectPublicKeyInfo, PublicKeyDetails KeyDetails, byte[] KeyId)
{
    /// <summary>The hash algorithm of the log's tree (<c>hashAlgorithm</c>).</summary>
    public static string HashAlgorithm => "SHA2_256";

    /// <summary>The key id as trusted_root.json carries it (standard base64).</summary>
    public string KeyIdBase64 => Convert.ToBase64String(KeyId);

    /// <summary>The checkpoint key as a PEM public key.</summary>
    public string PublicKeyPem => Core.Pem.GoPem.EncodePublicKey(SubjectPublicKeyInfo);

    /// <summary>A C2SP note verifier for the log's checkpoints.</summary>
    public INoteVerifier NoteVerifier() => KeyDetails == PublicKeyDetails.PkixEd25519
        ? Ed25519NoteVerifier.FromSubjectPublicKeyInfo(Origin, SubjectPublicKeyInfo)
        : new EcdsaNoteVerifier(Origin, SubjectPublicKeyInfo);

    /// <summary>The trust facts of a log with this origin and checkpoint key (Ed25519 or ECDSA P-256).</summary>
    public static RekorV2TrustInfo For(string origin, byte[] subjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        var key = PublicKey.FromSubjectPublicKeyInfo(subjectPublicKeyInfo);
        return key.Type switch
        {
            PublicKeyType.Ed25519 => new(origin, subjectPublicKeyInfo, PublicKeyDetails.PkixEd25519, Ed25519NoteVerifier.KeyId(origin, key.KeyBytes)),
            PublicKeyType.Ecdsa when key.CurveOid == SigningAlgorithms.P256Oid => new(origin, subjectPublicKeyInfo, PublicKeyDetails.PkixEcdsaP256Sha256, SHA256.HashData(subjectPublicKeyInfo)),
            _ => throw new ArgumentException("a Rekor v2 checkpoint key is Ed25519 or ECDSA P-256", nameof(subjectPublicKeyInfo)),
        };
    }
}

/// <summary>The Rekor v2 personality over the log engine: the log, its checkpoint key, and the write API's answer.</summary>
internal sealed class RekorV2Log : IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ILogStore _store;

    public RekorV2Log(TransparencyLog log, ISigningKey key, ILogStore store, RekorV2TrustInfo trust, CheckpointWitnessing? witnessing = null)
    {
        Log = log;
        Key = key;
        _store = store;
        Trust = trust;
        Witnessing = witnessing;
    }

    /// <summary>The log's witness policy, or null when no witness is configured.</summary>
    public CheckpointWitnessing? Witnessing { get; }

    /// <summary>
    /// The checkpoint to publish: the log's own when witnessing is off; else the newest one that meets the witness policy,
    /// with the cosignatures (asking the witnesses when the log has grown). Null when failing closed and nothing has been
    /// published yet.
    /// </summary>
    public async Task<string?> PublishedCheckpointAsync(CancellationToken ct)
    {
        if (Witnessing is null) return Log.LatestCheckpoint.SignedNote;
        try
        {
            return (await Witnessing.WitnessAsync(Log, Log.Size, ct).ConfigureAwait(false)).SignedNote;
        }
        catch (LogPushbackException)
        {
            return Witnessing.Latest?.SignedNote;
        }
    }

    public TransparencyLog Log { get; }

    public ISigningKey Key { get; }

    public RekorV2TrustInfo Trust { get; }

    /// <summary>
    /// Appends a canonical entry and returns the protobuf JSON <c>TransparencyLogEntry</c> (rekor-tiles
    /// <c>CreateEntry</c>: <c>EmitUnpopulated</c>, int64 as strings, bytes as base64), with an inclusion proof against the
    /// checkpoint that covers it. The engine integrates and publishes the checkpoint before <c>AddAsync</c> returns.
    /// </summary>
    /// <exception cref="RekorV2DuplicateException">An equal entry is already in the log.</exception>
    public async Task<byte[]> AppendAsync(CanonicalEntry entry, CancellationToken ct)
    {
        var result = await Log.AddAsync(entry.Body, ct).ConfigureAwait(false);
        if (result.Duplicate) throw new RekorV2DuplicateException(result.Index);
        var checkpoint = Log.LatestCheckpoint;
        if (Witnessing is not null)
        {
            // The entry's proof is against a checkpoint the witness policy lets us publish (cosignatures included).
            var witnessed = await Witnessing.WitnessAsync(Log, result.Index + 1, ct).ConfigureAwait(false);
            checkpoint = new LogCheckpoint(witnessed.Size, witnessed.RootHash, witnessed.SignedNote, checkpoint.TimestampMs);
        }
        var proof = await Log.GetInclusionProofAsync(result.Index, checkpoint.Size, ct).ConfigureAwait(false);
        return WriteEntry(result.Index, entry, checkpoint, proof);
    }

    private byte[] WriteEntry(ulong index, CanonicalEntry entry, LogCheckpoint checkpoint, byte[][] proof)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + (entry.Body.Length * 4 / 3) + checkpoint.SignedNote.Length + (proof.Length * 48));
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var indexText = index.ToString(CultureInfo.InvariantCulture);
            w.WriteStartObject();
            w.WriteString("logIndex", indexText);
            w.WriteStartObject("logId");
            w.WriteBase64String("keyId", Trust.KeyId);
            w.WriteEndObject();
            w.WriteStartObject("kindVersion");
            w.WriteString("kind", entry.Kind);
            w.WriteString("version", entry.ApiVersion);
            w.WriteEndObject();
            w.WriteString("integratedTime", "0");
            w.WriteNull("inclusionPromise");
            w.WriteStartObject("inclusionProof");
            w.WriteString("logIndex", indexText);
            w.WriteBase64String("rootHash", checkpoint.RootHash);
            w.WriteString("treeSize", checkpoint.Size.ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray("hashes");
            foreach (var h in proof) w.WriteBase64StringValue(h);
            w.WriteEndArray();
            w.WriteStartObject("checkpoint");
            w.WriteString("envelope", checkpoint.SignedNote);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteBase64String("canonicalizedBody", entry.Body);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Log.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        Witnessing?.Dispose();
        Key.Dispose();
    }
}

/// <summary>An equivalent entry is already in the log (409 with <c>x-log-index</c>, rekor-tiles PR #621).</summary>
internal sealed class RekorV2DuplicateException(ulong index) : Exception($"an equivalent entry already exists in the transparency log with index {index}")
{
    /// <summary>The existing entry's index.</summary>
    public ulong Index { get; } = index;
}
