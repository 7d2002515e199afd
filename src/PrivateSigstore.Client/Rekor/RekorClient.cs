using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Client.Rekor;

/// <summary>A Rekor v1 log's state (<c>GET /api/v1/log</c>).</summary>
/// <param name="RootHash">The tree's root hash, hex.</param>
/// <param name="TreeSize">The number of entries.</param>
/// <param name="TreeId">The active shard's tree ID.</param>
/// <param name="SignedTreeHead">The signed checkpoint.</param>
public sealed record RekorLogInfo(string RootHash, long TreeSize, string TreeId, string SignedTreeHead);

/// <summary>An inclusion proof from a Rekor v1 response.</summary>
public sealed record RekorInclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string Checkpoint);

/// <summary>A consistency proof (<c>GET /api/v1/log/proof</c>).</summary>
public sealed record RekorConsistencyProof(byte[] RootHash, IReadOnlyList<byte[]> Hashes);

/// <summary>One log entry as a Rekor v1 server returns it.</summary>
public sealed record RekorEntry(string Uuid, byte[] Body, long IntegratedTime, string LogId, long LogIndex, byte[]? SignedEntryTimestamp, RekorInclusionProof? InclusionProof)
{
    /// <summary>The entry in bundle form, with its kind and version read from the body.</summary>
    public TransparencyLogEntry ToTransparencyLogEntry()
    {
        var (kind, version) = EntryKind.Read(Body);
        return new TransparencyLogEntry
        {
            LogIndex = LogIndex,
            LogId = new LogId { KeyId = Convert.FromHexString(LogId) },
            KindVersion = new KindVersion { Kind = kind, Version = version },
            IntegratedTime = IntegratedTime,
            InclusionPromise = SignedEntryTimestamp is { } set ? new InclusionPromise { SignedEntryTimestamp = set } : null,
            InclusionProof = InclusionProof is { } p
                ? new TlogInclusionProof { LogIndex = p.LogIndex, RootHash = p.RootHash, TreeSize = p.TreeSize, Hashes = p.Hashes, Checkpoint = new CheckpointEnvelope { Envelope = p.Checkpoint } }
                : null,
            CanonicalizedBody = Body,
        };
    }
}

/// <summary>
/// A client of the Rekor v1 REST API (rekor <c>openapi.yaml</c>): log info, entries by index or UUID, consistency
/// proofs and entry creation. Responses are bounded to <see cref="MaxResponseBytes"/>.
/// </summary>
public sealed class RekorClient
{
    /// <summary>The largest response body read.</summary>
    public const int MaxResponseBytes = 32 << 20;

    private readonly HttpClient _http;
    private readonly Uri _baseUrl;

    /// <summary>Creates a client of the log at <paramref name="baseUrl"/> (e.g. <c>http://127.0.0.1:3000</c>).</summary>
    public RekorClient(HttpClient http, Uri baseUrl)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        ArgumentNullException.ThrowIfNull(baseUrl);
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
    }

    /// <summary>The log's base URL.</summary>
    public Uri BaseUrl => _baseUrl;

    /// <summary><c>GET /api/v1/log</c>.</summary>
    public async Task<RekorLogInfo> GetLogInfoAsync(CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Get, "api/v1/log", null, cancellationToken).ConfigureAwait(false);
        return new RekorLogInfo(
            Text(json, "rootHash"), Number(json, "treeSize"), json["treeID"]?.ToString() ?? "", Text(json, "signedTreeHead"));
    }

    /// <summary><c>GET /api/v1/log/publicKey</c>: the log's PEM public key.</summary>
    public async Task<string> GetPublicKeyAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri(_baseUrl, "api/v1/log/publicKey"), cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? text : throw new ServiceClientException($"GET publicKey: HTTP {(int)response.StatusCode}: {text}", (int)response.StatusCode);
    }

    /// <summary><c>GET /api/v1/log/entries?logIndex=</c>.</summary>
    public async Task<RekorEntry> GetEntryByIndexAsync(long logIndex, CancellationToken cancellationToken = default) =>
        ReadEntry(await SendAsync(HttpMethod.Get, "api/v1/log/entries?logIndex=" + logIndex.ToString(CultureInfo.InvariantCulture), null, cancellationToken).ConfigureAwait(false));

    /// <summary><c>GET /api/v1/log/entries/{uuid}</c>.</summary>
    public async Task<RekorEntry> GetEntryByUuidAsync(string uuid, CancellationToken cancellationToken = default) =>
        ReadEntry(await SendAsync(HttpMethod.Get, "api/v1/log/entries/" + Uri.EscapeDataString(uuid), null, cancellationToken).ConfigureAwait(false));

    /// <summary><c>GET /api/v1/log/proof?firstSize=&amp;lastSize=</c>.</summary>
    public async Task<RekorConsistencyProof> GetConsistencyProofAsync(long firstSize, long lastSize, CancellationToken cancellationToken = default)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"api/v1/log/proof?firstSize={firstSize}&lastSize={lastSize}");
        var json = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        return new RekorConsistencyProof(Convert.FromHexString(Text(json, "rootHash")),
            [.. (json["hashes"]?.AsArray() ?? []).Select(h => Convert.FromHexString(h!.GetValue<string>()))]);
    }

    /// <summary><c>POST /api/v1/log/entries</c> with a proposed entry (UTF-8 JSON); returns the logged entry.</summary>
    public async Task<RekorEntry> CreateEntryAsync(byte[] proposedEntryJson, CancellationToken cancellationToken = default) =>
        ReadEntry(await SendAsync(HttpMethod.Post, "api/v1/log/entries", proposedEntryJson, cancellationToken).ConfigureAwait(false));

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_baseUrl, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ServiceClientException($"{method} {path}: {e.Message}", 0, e);
        }
        using (response)
        {
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                throw new ServiceClientException($"{method} {path}: response larger than {MaxResponseBytes} bytes", (int)response.StatusCode);
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new ServiceClientException($"{method} {path}: HTTP {(int)response.StatusCode}: {ErrorMessage(bytes)}", (int)response.StatusCode);
            }
            try
            {
                return JsonNode.Parse(bytes) ?? throw new ServiceClientException($"{method} {path}: empty response");
            }
            catch (JsonException e)
            {
                throw new ServiceClientException($"{method} {path}: response is not JSON: {e.Message}", (int)response.StatusCode, e);
            }
        }
    }

    private static string ErrorMessage(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body)?["message"]?.ToString() ?? Encoding.UTF8.GetString(body);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 500)));
        }
    }

    private static RekorEntry ReadEntry(JsonNode json)
    {
        // Responses are a map of one UUID to its entry (LogEntry in openapi.yaml).
        try
        {
            var (uuid, entry) = json.AsObject().Single();
            var verification = entry!["verification"];
            RekorInclusionProof? proof = null;
            if (verification?["inclusionProof"] is { } p)
            {
                proof = new RekorInclusionProof(Number(p, "logIndex"), Convert.FromHexString(Text(p, "rootHash")), Number(p, "treeSize"),
                    [.. (p["hashes"]?.AsArray() ?? []).Select(h => Convert.FromHexString(h!.GetValue<string>()))], Text(p, "checkpoint"));
            }
            var set = verification?["signedEntryTimestamp"]?.GetValue<string>();
            return new RekorEntry(uuid, Convert.FromBase64String(Text(entry, "body")), Number(entry, "integratedTime"), Text(entry, "logID"),
                Number(entry, "logIndex"), set is null ? null : Convert.FromBase64String(set), proof);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new ServiceClientException($"malformed Rekor entry response: {e.Message}", 0, e);
        }
    }

    private static string Text(JsonNode node, string name) =>
        node[name]?.GetValue<string>() ?? throw new ServiceClientException($"Rekor response lacks \"{name}\"");

    private static long Number(JsonNode node, string name) =>
        node[name]?.GetValue<long>() ?? throw new ServiceClientException($"Rekor response lacks \"{name}\"");
}
