using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Json;

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
        var url = new Uri(_baseUrl, "api/v1/log/publicKey");
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ServiceClientException.ForTransport(HttpMethod.Get, url, e, Service, _baseUrl);
        }
        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? Encoding.UTF8.GetString(bytes)
                : throw ServiceClientException.ForStatus(HttpMethod.Get, url, response.StatusCode, bytes, Service, _baseUrl);
        }
    }

    /// <summary><c>GET /api/v1/log/entries?logIndex=</c>.</summary>
    public async Task<RekorEntry> GetEntryByIndexAsync(long logIndex, CancellationToken cancellationToken = default) =>
        ReadEntry(await SendAsync(HttpMethod.Get, "api/v1/log/entries?logIndex=" + logIndex.ToString(CultureInfo.InvariantCulture), null, cancellationToken,
            notFound: $"no entry at log index {logIndex.ToString(CultureInfo.InvariantCulture)}, or {_baseUrl} is not {Service} (the server gave no reason)").ConfigureAwait(false));

    /// <summary><c>GET /api/v1/log/entries/{uuid}</c>.</summary>
    public async Task<RekorEntry> GetEntryByUuidAsync(string uuid, CancellationToken cancellationToken = default) =>
        ReadEntry(await SendAsync(HttpMethod.Get, "api/v1/log/entries/" + Uri.EscapeDataString(uuid), null, cancellationToken,
            notFound: $"no entry with UUID {uuid}, or {_baseUrl} is not {Service} (the server gave no reason)").ConfigureAwait(false));

    /// <summary>
    /// <c>POST /api/v1/index/retrieve</c>: the UUIDs of the entries indexed under an email (or subject), an artifact
    /// digest (<c>sha256:HEX</c>) and/or a PEM public key or certificate, all of them (<paramref name="all"/>) or any.
    /// </summary>
    public async Task<IReadOnlyList<string>> SearchIndexAsync(string? email, string? hash, byte[]? publicKeyPem, bool all = false, CancellationToken cancellationToken = default)
    {
        var query = new JsonObject();
        if (email is not null) query["email"] = email;
        if (hash is not null) query["hash"] = hash;
        if (publicKeyPem is not null) query["publicKey"] = new JsonObject { ["format"] = "x509", ["content"] = Convert.ToBase64String(publicKeyPem) };
        query["operator"] = all ? "and" : "or";
        var json = await SendAsync(HttpMethod.Post, "api/v1/index/retrieve", Encoding.UTF8.GetBytes(query.ToJsonString()), cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. json.AsArray().Select(u => u!.GetValue<string>())];
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException)
        {
            throw new ServiceClientException($"POST {new Uri(_baseUrl, "api/v1/index/retrieve")}: the answer is not a list of UUIDs: is {_baseUrl} {Service}?", 0, e);
        }
    }

    /// <summary><c>POST /api/v1/log/entries/retrieve</c> with entry UUIDs (at most 10 per request upstream).</summary>
    public async Task<IReadOnlyList<RekorEntry>> GetEntriesByUuidAsync(IReadOnlyList<string> uuids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uuids);
        var query = new JsonObject { ["entryUUIDs"] = new JsonArray([.. uuids.Select(u => JsonValue.Create(u))]) };
        var json = await SendAsync(HttpMethod.Post, "api/v1/log/entries/retrieve", Encoding.UTF8.GetBytes(query.ToJsonString()), cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. json.AsArray().Select(e => ReadEntry(e!))];
        }
        catch (InvalidOperationException e)
        {
            throw new ServiceClientException($"malformed Rekor search response: {e.Message}", 0, e);
        }
    }

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

    private const string Service = "a Rekor v1 log";

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken, string? notFound = null)
    {
        var url = new Uri(_baseUrl, path);
        using var request = new HttpRequestMessage(method, url);
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
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ServiceClientException.ForTransport(method, url, e, Service, _baseUrl);
        }
        using (response)
        {
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                throw new ServiceClientException($"{method} {url}: response larger than {MaxResponseBytes} bytes", (int)response.StatusCode);
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // Rekor answers an unknown index or UUID with 404 and no body (openapi.yaml): say what was not found.
                throw ServiceClientException.ForStatus(method, url, response.StatusCode, bytes, Service, _baseUrl,
                    response.StatusCode == System.Net.HttpStatusCode.NotFound && bytes.Length == 0 ? notFound : null);
            }
            try
            {
                return StrictJson.Parse(bytes) ?? throw new ServiceClientException($"{method} {url}: empty response");
            }
            catch (JsonException e)
            {
                throw new ServiceClientException($"{method} {url}: response is not JSON ({e.Message}): is {_baseUrl} {Service}?", (int)response.StatusCode, e);
            }
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
