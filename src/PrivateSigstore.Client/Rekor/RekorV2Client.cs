using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Trust;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Rekor;

/// <summary>How a DSSE envelope is recorded in a Rekor v2 log.</summary>
public enum RekorV2DsseMode
{
    /// <summary>
    /// A hashedrekord 0.0.2 entry over the hash of the envelope's PAE (what sigstore-go does, and the only DSSE form
    /// sigstore-go can verify; rekor-tiles removed dsse 0.0.2 admission in 2026). The default.
    /// </summary>
    HashedRekordOverPae,

    /// <summary>A <c>dsseRequestV002</c> (a dsse 0.0.2 entry), as sigstore-js 5 sends; servers may refuse it.</summary>
    DsseRequest,
}

/// <summary>
/// A client of a Rekor v2 log (sigstore/rekor-tiles): writes with <c>POST /api/v2/log/entries</c> (protojson
/// <c>CreateEntryRequest</c> with <c>hashedRekordRequestV002</c> or <c>dsseRequestV002</c>, answered 201 with a protojson
/// <c>TransparencyLogEntry</c>: integrated time 0, no inclusion promise, an inclusion proof with a checkpoint), and
/// reads the C2SP tlog-tiles API under <c>/api/v2</c>: <c>checkpoint</c>, <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c>,
/// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>.
/// </summary>
public sealed class RekorV2Client : ITransparencyLogWriter
{
    /// <summary>The largest response body read.</summary>
    public const int MaxResponseBytes = 32 << 20;

    private readonly HttpClient _http;
    private readonly Uri _baseUrl;

    /// <summary>Creates a client of the log at <paramref name="baseUrl"/> (e.g. <c>http://127.0.0.1:3003</c>; the paths add <c>api/v2/…</c>).</summary>
    public RekorV2Client(HttpClient http, Uri baseUrl, RekorV2DsseMode dsseMode = RekorV2DsseMode.HashedRekordOverPae)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        ArgumentNullException.ThrowIfNull(baseUrl);
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        DsseMode = dsseMode;
    }

    /// <inheritdoc />
    public int MajorApiVersion => 2;

    /// <inheritdoc />
    public Uri BaseUrl => _baseUrl;

    /// <summary>How DSSE envelopes are recorded.</summary>
    public RekorV2DsseMode DsseMode { get; }

    /// <inheritdoc />
    public Task<TransparencyLogEntry> LogMessageSignatureAsync(SignerMaterial signer, HashAlgorithm algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var details = KeyDetailsFor(signer.Key.SubjectPublicKeyInfo);
        if (DigestOf(details) != algorithm)
        {
            throw new ArgumentException($"a {ProtoName(details)} key needs a {DigestOf(details)} digest in Rekor v2, not {algorithm}", nameof(algorithm));
        }
        return CreateEntryAsync(HashedRekordRequest(digest, signature, Verifier(signer), details), "hashedrekord", cancellationToken);
    }

    /// <inheritdoc />
    public Task<TransparencyLogEntry> LogDsseAsync(SignerMaterial signer, DsseEnvelope envelope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Signatures.Count != 1)
        {
            throw new ArgumentException("the envelope must carry exactly one signature", nameof(envelope));
        }
        var details = KeyDetailsFor(signer.Key.SubjectPublicKeyInfo);
        if (DsseMode == RekorV2DsseMode.DsseRequest)
        {
            return CreateEntryAsync(DsseRequest(envelope, Verifier(signer), details), "dsse", cancellationToken);
        }
        // sigstore-go getRekorV2TLE: hashedrekord over hash(PAE(payloadType, payload)) with the envelope's signature.
        var digest = HashData(DigestOf(details), DsseEnvelope.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload));
        return CreateEntryAsync(HashedRekordRequest(digest, envelope.Signatures[0].Sig, Verifier(signer), details), "hashedrekord", cancellationToken);
    }

    /// <summary>The signer's verifier as Rekor v2 names it: the leaf certificate (keyless) or the public key, DER.</summary>
    public static (byte[]? CertificateDer, byte[]? PublicKeySpki) Verifier(SignerMaterial signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.CertificateDer is { } cert ? (cert, null) : (null, signer.Key.SubjectPublicKeyInfo);
    }

    /// <summary>
    /// The key details Rekor v2 expects for a signing key (sigstore-go <c>GetDefaultAlgorithmDetails</c>): ECDSA
    /// P-256/384/521 with SHA-256/384/512 and PKCS#1 v1.5 RSA 2048–4096 with SHA-256. Pure Ed25519 is refused by
    /// rekor-tiles (it wants Ed25519ph), so it is refused here before anything is sent.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not one of those.</exception>
    public static PublicKeyDetails KeyDetailsFor(byte[] subjectPublicKeyInfo)
    {
        var details = TrustMaterialBuilder.KeyDetails(subjectPublicKeyInfo);
        return details == PublicKeyDetails.PkixEd25519
            ? throw new ArgumentException("Rekor v2 does not accept pure Ed25519 signatures (it needs Ed25519ph); sign with an ECDSA or RSA key, or use Rekor v1", nameof(subjectPublicKeyInfo))
            : details;
    }

    /// <summary>The digest algorithm a key of <paramref name="details"/> signs with, which a hashedrekord 0.0.2 digest must use.</summary>
    public static HashAlgorithm DigestOf(PublicKeyDetails details) => details switch
    {
        PublicKeyDetails.PkixEcdsaP384Sha384 => HashAlgorithm.Sha2_384,
        PublicKeyDetails.PkixEcdsaP521Sha512 => HashAlgorithm.Sha2_512,
        _ => HashAlgorithm.Sha2_256,
    };

    /// <summary>Hashes <paramref name="data"/> with <paramref name="algorithm"/> (SHA-256/384/512).</summary>
    public static byte[] HashData(HashAlgorithm algorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        HashAlgorithm.Sha2_256 => SHA256.HashData(data),
        HashAlgorithm.Sha2_384 => SHA384.HashData(data),
        HashAlgorithm.Sha2_512 => SHA512.HashData(data),
        _ => throw new ArgumentException($"unsupported digest {algorithm}", nameof(algorithm)),
    };

    /// <summary>The protobuf enum name of <paramref name="details"/> (only the values this client sends).</summary>
    public static string ProtoName(PublicKeyDetails details) => details switch
    {
        PublicKeyDetails.PkixEcdsaP256Sha256 => "PKIX_ECDSA_P256_SHA_256",
        PublicKeyDetails.PkixEcdsaP384Sha384 => "PKIX_ECDSA_P384_SHA_384",
        PublicKeyDetails.PkixEcdsaP521Sha512 => "PKIX_ECDSA_P521_SHA_512",
        PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256 => "PKIX_RSA_PKCS1V15_2048_SHA256",
        PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256 => "PKIX_RSA_PKCS1V15_3072_SHA256",
        PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256 => "PKIX_RSA_PKCS1V15_4096_SHA256",
        PublicKeyDetails.PkixEd25519Ph => "PKIX_ED25519_PH",
        _ => throw new ArgumentException($"key details {details} are not sent to Rekor v2", nameof(details)),
    };

    /// <summary>
    /// The protojson <c>CreateEntryRequest</c> with a <c>hashedRekordRequestV002</c>: digest, signature and verifier
    /// (certificate or public key, DER, base64) with its key details.
    /// </summary>
    public static byte[] HashedRekordRequest(byte[] digest, byte[] signature, (byte[]? CertificateDer, byte[]? PublicKeySpki) verifier, PublicKeyDetails keyDetails)
    {
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(signature);
        return Write(w =>
        {
            w.WriteStartObject("hashedRekordRequestV002");
            w.WriteBase64String("digest", digest);
            w.WriteStartObject("signature");
            w.WriteBase64String("content", signature);
            WriteVerifier(w, "verifier", verifier, keyDetails);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>The protojson <c>CreateEntryRequest</c> with a <c>dsseRequestV002</c>: the envelope and one verifier.</summary>
    public static byte[] DsseRequest(DsseEnvelope envelope, (byte[]? CertificateDer, byte[]? PublicKeySpki) verifier, PublicKeyDetails keyDetails)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return Write(w =>
        {
            w.WriteStartObject("dsseRequestV002");
            w.WriteStartObject("envelope");
            w.WriteBase64String("payload", envelope.Payload);
            w.WriteString("payloadType", envelope.PayloadType);
            w.WriteStartArray("signatures");
            foreach (var signature in envelope.Signatures)
            {
                w.WriteStartObject();
                w.WriteBase64String("sig", signature.Sig);
                if (!string.IsNullOrEmpty(signature.KeyId))
                {
                    w.WriteString("keyid", signature.KeyId);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("verifiers");
            WriteVerifier(w, null, verifier, keyDetails);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary><c>POST /api/v2/log/entries</c> with a protojson <c>CreateEntryRequest</c>; the entry must be of <paramref name="expectedKind"/> 0.0.2.</summary>
    /// <exception cref="ServiceClientException">Not 201, or the answer is not a usable entry.</exception>
    public async Task<TransparencyLogEntry> CreateEntryAsync(byte[] request, string expectedKind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, "api/v2/log/entries")) { Content = new ByteArrayContent(request) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var (status, headers, body) = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.Conflict)
        {
            var index = headers.TryGetValues("x-log-index", out var values) ? values.FirstOrDefault() : null;
            throw ServiceClientException.ForStatus(HttpMethod.Post, message.RequestUri!, status, body, Service, _baseUrl, $"an equivalent entry already exists{(index is null ? "" : " at index " + index)}");
        }
        if (status != HttpStatusCode.Created)
        {
            // rekor-tiles answers 201; its Go write client refuses anything else, and so does this one.
            throw ServiceClientException.ForStatus(HttpMethod.Post, message.RequestUri!, status, body, Service, _baseUrl);
        }
        var entry = ParseEntry(body);
        CheckEntry(entry, expectedKind);
        return entry;
    }

    /// <summary>
    /// Reads a protojson <c>dev.sigstore.rekor.v1.TransparencyLogEntry</c> (int64 as strings or numbers, bytes as
    /// base64, unpopulated fields as null or absent) into the bundle's form.
    /// </summary>
    /// <exception cref="ServiceClientException">The JSON is not such an entry.</exception>
    public static TransparencyLogEntry ParseEntry(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("not a JSON object");
            }
            var kindVersion = Field(root, "kindVersion") ?? throw new FormatException("no kindVersion");
            var logId = Field(root, "logId") ?? throw new FormatException("no logId");
            TlogInclusionProof? proof = null;
            if (Field(root, "inclusionProof") is { } p)
            {
                proof = new TlogInclusionProof
                {
                    LogIndex = Int64(p, "logIndex"),
                    RootHash = Bytes(p, "rootHash"),
                    TreeSize = Int64(p, "treeSize"),
                    Hashes = Field(p, "hashes") is { ValueKind: JsonValueKind.Array } hashes ? [.. hashes.EnumerateArray().Select(h => Base64(h.GetString()))] : [],
                    Checkpoint = Field(p, "checkpoint") is { } c ? new CheckpointEnvelope { Envelope = Field(c, "envelope")?.GetString() ?? "" } : null,
                };
            }
            InclusionPromise? promise = Field(root, "inclusionPromise") is { } promiseJson
                ? new InclusionPromise { SignedEntryTimestamp = Bytes(promiseJson, "signedEntryTimestamp") }
                : null;
            return new TransparencyLogEntry
            {
                LogIndex = Int64(root, "logIndex"),
                LogId = new LogId { KeyId = Bytes(logId, "keyId") },
                KindVersion = new KindVersion { Kind = Field(kindVersion, "kind")?.GetString() ?? "", Version = Field(kindVersion, "version")?.GetString() ?? "" },
                IntegratedTime = Int64(root, "integratedTime"),
                InclusionPromise = promise,
                InclusionProof = proof,
                CanonicalizedBody = Bytes(root, "canonicalizedBody"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new ServiceClientException($"malformed Rekor v2 TransparencyLogEntry: {e.Message}", 0, e);
        }
    }

    /// <summary>
    /// Checks what the signer can check of a new entry without trust material: kind <paramref name="expectedKind"/>
    /// 0.0.2, an inclusion proof from the body's leaf hash to the root its checkpoint commits to (the checkpoint's
    /// signature is the verifier's business, with the trusted root's key).
    /// </summary>
    /// <exception cref="ServiceClientException">It does not hold.</exception>
    public static void CheckEntry(TransparencyLogEntry entry, string expectedKind)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.KindVersion is not { Version: "0.0.2" } kv || kv.Kind != expectedKind)
        {
            throw new ServiceClientException($"Rekor v2 returned a {entry.KindVersion?.Kind} {entry.KindVersion?.Version} entry, not {expectedKind} 0.0.2");
        }
        if (entry.InclusionProof is not { } proof || proof.Checkpoint is null)
        {
            throw new ServiceClientException("Rekor v2 returned an entry without an inclusion proof and checkpoint");
        }
        try
        {
            var checkpoint = SignedCheckpoint.Parse(proof.Checkpoint.Envelope).Checkpoint;
            if (checkpoint.Size != (ulong)proof.TreeSize || !checkpoint.RootHash.AsSpan().SequenceEqual(proof.RootHash))
            {
                throw new ServiceClientException("Rekor v2 entry: the checkpoint does not commit to the proof's tree");
            }
            ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(entry.CanonicalizedBody), (ulong)proof.LogIndex, (ulong)proof.TreeSize, proof.Hashes, proof.RootHash);
        }
        catch (Exception e) when (e is WireFormatException or ProofVerificationException or ArgumentException)
        {
            throw new ServiceClientException($"Rekor v2 entry: {e.Message}", 0, e);
        }
    }

    /// <summary><c>GET /api/v2/checkpoint</c>: the log's current signed checkpoint (C2SP tlog-checkpoint).</summary>
    public async Task<string> GetCheckpointAsync(CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await GetAsync("api/v2/checkpoint", cancellationToken).ConfigureAwait(false));

    /// <summary><c>GET /api/v2/tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c>: the tile's hashes, 32 bytes each.</summary>
    /// <exception cref="ServiceClientException">Not found, or not <c>32 × width</c> bytes.</exception>
    public async Task<byte[]> GetTileAsync(TileId tile, CancellationToken cancellationToken = default)
    {
        var bytes = await GetAsync("api/v2/" + tile.Path, cancellationToken).ConfigureAwait(false);
        return bytes.Length == tile.ByteLength ? bytes
            : throw new ServiceClientException(string.Create(CultureInfo.InvariantCulture, $"tile {tile.Path}: {bytes.Length} bytes, want {tile.ByteLength}"));
    }

    /// <summary><c>GET /api/v2/tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>: the entry bundle's entries (each <c>uint16</c> big-endian length, then the bytes).</summary>
    /// <exception cref="ServiceClientException">Not found, or not <paramref name="width"/> well-formed entries.</exception>
    public async Task<IReadOnlyList<byte[]>> GetEntryBundleAsync(ulong index, int width, CancellationToken cancellationToken = default)
    {
        var path = TileId.EntriesPath(index, width);
        var bytes = await GetAsync("api/v2/" + path, cancellationToken).ConfigureAwait(false);
        return ParseEntryBundle(bytes, width, path);
    }

    /// <summary>Splits an entry bundle into its <paramref name="width"/> entries.</summary>
    /// <exception cref="ServiceClientException">It is not exactly that many length-prefixed entries.</exception>
    public static IReadOnlyList<byte[]> ParseEntryBundle(ReadOnlySpan<byte> bundle, int width, string what = "entry bundle")
    {
        var entries = new List<byte[]>(width);
        while (!bundle.IsEmpty)
        {
            if (bundle.Length < 2 || bundle.Length - 2 < BinaryPrimitives.ReadUInt16BigEndian(bundle))
            {
                throw new ServiceClientException($"{what}: truncated entry");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(bundle);
            entries.Add(bundle.Slice(2, length).ToArray());
            bundle = bundle[(2 + length)..];
        }
        return entries.Count == width ? entries
            : throw new ServiceClientException(string.Create(CultureInfo.InvariantCulture, $"{what}: {entries.Count} entries, want {width}"));
    }

    private async Task<byte[]> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUrl, path));
        var (status, _, body) = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK ? body
            : throw ServiceClientException.ForStatus(HttpMethod.Get, message.RequestUri!, status, body, Service, _baseUrl);
    }

    private async Task<(HttpStatusCode Status, HttpResponseHeaders Headers, byte[] Body)> SendAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        var what = $"{message.Method} {message.RequestUri}";
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                throw new ServiceClientException($"{what}: response larger than {MaxResponseBytes} bytes", (int)response.StatusCode);
            }
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return (response.StatusCode, response.Headers, body);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ServiceClientException.ForTransport(message.Method, message.RequestUri!, e, Service, _baseUrl);
        }
    }

    private static void WriteVerifier(Utf8JsonWriter w, string? name, (byte[]? CertificateDer, byte[]? PublicKeySpki) verifier, PublicKeyDetails keyDetails)
    {
        if (name is null)
        {
            w.WriteStartObject();
        }
        else
        {
            w.WriteStartObject(name);
        }
        if (verifier.CertificateDer is { } cert)
        {
            w.WriteStartObject("x509Certificate");
            w.WriteBase64String("rawBytes", cert);
        }
        else
        {
            w.WriteStartObject("publicKey");
            w.WriteBase64String("rawBytes", verifier.PublicKeySpki ?? throw new ArgumentException("a verifier needs a certificate or a public key", nameof(verifier)));
        }
        w.WriteEndObject();
        w.WriteString("keyDetails", ProtoName(keyDetails));
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    private const string Service = "a Rekor v2 log";

    // A present, non-null field (protojson with EmitUnpopulated writes null for unset messages).
    private static JsonElement? Field(JsonElement message, string name) =>
        message.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static long Int64(JsonElement message, string name) => Field(message, name) switch
    {
        null => 0,
        { ValueKind: JsonValueKind.String } s => long.Parse(s.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture),
        { ValueKind: JsonValueKind.Number } n => n.GetInt64(),
        _ => throw new FormatException($"{name} is not an int64"),
    };

    private static byte[] Bytes(JsonElement message, string name) =>
        Field(message, name) is { } value ? Base64(value.GetString()) : [];

    // protojson accepts standard and URL-safe base64, padded or not.
    private static byte[] Base64(string? text)
    {
        var s = (text ?? "").Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
