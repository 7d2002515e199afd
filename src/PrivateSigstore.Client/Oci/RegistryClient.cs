using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Client.Oci;

/// <summary>How <see cref="RegistryClient"/> reaches registries.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Plain HTTP instead of HTTPS (cosign <c>--allow-insecure-registry</c>; loopback and test registries).</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>Where credentials come from (null: anonymous).</summary>
    public IRegistryCredentials? Credentials { get; init; }

    /// <summary>Attempts per request for connection failures, 429 and 5xx (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The first backoff; doubled per retry (a <c>Retry-After</c> up to 10 s wins).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Manifests larger than this are refused (distribution's own limit is 4 MiB).</summary>
    public int MaxManifestBytes { get; init; } = 4 << 20;

    /// <summary>Blobs psig reads (bundles, signature payloads) larger than this are refused.</summary>
    public int MaxBlobBytes { get; init; } = 16 << 20;
}

/// <summary>A manifest as the registry served it, with the digest of its exact bytes.</summary>
public sealed record Manifest(byte[] Bytes, string MediaType, string Digest)
{
    /// <summary>The descriptor of this manifest.</summary>
    public Descriptor Descriptor => new(MediaType, Digest, Bytes.LongLength);
}

/// <summary>An OCI content descriptor.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size)
{
    public string? ArtifactType { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

/// <summary>
/// A small OCI distribution-spec v1.1 client over <see cref="HttpClient"/>: manifests, blobs (monolithic upload),
/// the referrers API, and the auth flows registries use — anonymous, HTTP Basic, and the distribution token flow
/// (a <c>401</c> with <c>WWW-Authenticate: Bearer realm,service,scope</c>, a token from the realm with Basic
/// credentials or an identity token, then the request again with the bearer token). Requests are retried with
/// exponential backoff on connection failures, 429 and 5xx. Errors are <see cref="RegistryException"/> with one line.
/// </summary>
public sealed class RegistryClient
{
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly Dictionary<string, AuthenticationHeaderValue> _auth = new(StringComparer.Ordinal);

    public RegistryClient(HttpClient http, RegistryClientOptions? options = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _options = options ?? new RegistryClientOptions();
    }

    /// <summary>
    /// An HTTP handler whose TLS trusts only <paramref name="customRoots"/> when given (a private CA bundle, as
    /// cosign's <c>--registry-cacert</c>), else the system's roots.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(X509Certificate2Collection? customRoots = null)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 5, ConnectTimeout = TimeSpan.FromSeconds(30) };
        if (customRoots is { Count: > 0 })
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(customRoots);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }
        return handler;
    }

    /// <summary>Fetches a manifest by tag or digest; checks a requested digest against the bytes.</summary>
    public async Task<Manifest> GetManifestAsync(string registry, string repository, string reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(registry, repository, push: false, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url(registry, $"/v2/{repository}/manifests/{reference}"));
            foreach (var type in OciMediaTypes.ManifestAccept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }
            return request;
        }, $"manifest {reference}", cancellationToken).ConfigureAwait(false);
        var bytes = await ReadBoundedAsync(response, _options.MaxManifestBytes, $"manifest {reference}", cancellationToken).ConfigureAwait(false);
        var digest = Sha256Digest(bytes);
        if (ImageReference.IsSha256Digest(reference) && digest != reference)
        {
            throw new RegistryException($"{registry}/{repository}: the registry served manifest bytes with digest {digest} for {reference}");
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        try
        {
            using var json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RegistryException($"{registry}/{repository}: manifest {reference} is not a JSON object");
            }
            // The manifest's own mediaType field wins over a generic Content-Type (registries may answer application/json).
            if (json.RootElement.TryGetProperty("mediaType", out var declared) && declared.ValueKind == JsonValueKind.String)
            {
                mediaType = declared.GetString();
            }
            else if (mediaType is null or "application/json" or "application/octet-stream")
            {
                mediaType = json.RootElement.TryGetProperty("manifests", out _) ? OciMediaTypes.ImageIndex : OciMediaTypes.ImageManifest;
            }
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{registry}/{repository}: manifest {reference} is not JSON ({e.Message})", e);
        }
        return new Manifest(bytes, mediaType ?? OciMediaTypes.ImageManifest, digest);
    }

    /// <summary>The manifest, or null when the registry answers 404 for it.</summary>
    public async Task<Manifest?> TryGetManifestAsync(string registry, string repository, string reference, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetManifestAsync(registry, repository, reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Puts a manifest under a tag or its digest; returns the registry's <c>OCI-Subject</c> header (null when absent).</summary>
    public async Task<string?> PutManifestAsync(string registry, string repository, string reference, byte[] manifest, string mediaType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var response = await SendAsync(registry, repository, push: true, () =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, Url(registry, $"/v2/{repository}/manifests/{reference}")) { Content = content };
        }, $"manifest {reference}", cancellationToken).ConfigureAwait(false);
        return response.Headers.TryGetValues("OCI-Subject", out var subject) ? subject.FirstOrDefault() : null;
    }

    /// <summary>Reads a blob (bounded) and checks its digest.</summary>
    public async Task<byte[]> GetBlobAsync(string registry, string repository, string digest, CancellationToken cancellationToken = default)
    {
        if (!ImageReference.IsSha256Digest(digest))
        {
            throw new RegistryException($"{registry}/{repository}: \"{digest}\" is not a sha256 digest");
        }
        using var response = await SendAsync(registry, repository, push: false,
            () => new HttpRequestMessage(HttpMethod.Get, Url(registry, $"/v2/{repository}/blobs/{digest}")), $"blob {digest}", cancellationToken).ConfigureAwait(false);
        var bytes = await ReadBoundedAsync(response, _options.MaxBlobBytes, $"blob {digest}", cancellationToken).ConfigureAwait(false);
        if (Sha256Digest(bytes) != digest)
        {
            throw new RegistryException($"{registry}/{repository}: blob {digest} does not hash to its digest");
        }
        return bytes;
    }

    /// <summary>Uploads a blob unless the repository has it (HEAD, then POST + monolithic PUT); returns its descriptor.</summary>
    public async Task<Descriptor> PushBlobAsync(string registry, string repository, byte[] blob, string mediaType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var digest = Sha256Digest(blob);
        var descriptor = new Descriptor(mediaType, digest, blob.LongLength);
        try
        {
            using var head = await SendAsync(registry, repository, push: true,
                () => new HttpRequestMessage(HttpMethod.Head, Url(registry, $"/v2/{repository}/blobs/{digest}")), $"blob {digest}", cancellationToken).ConfigureAwait(false);
            return descriptor;
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            // Not there yet: upload it.
        }
        Uri location;
        using (var start = await SendAsync(registry, repository, push: true,
            () => new HttpRequestMessage(HttpMethod.Post, Url(registry, $"/v2/{repository}/blobs/uploads/")), "blob upload", cancellationToken).ConfigureAwait(false))
        {
            var header = start.Headers.Location ?? throw new RegistryException($"{registry}/{repository}: the registry started an upload without a Location");
            location = header.IsAbsoluteUri ? header : new Uri(Url(registry, "/"), header);
        }
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var put = new Uri(location.AbsoluteUri + separator + "digest=" + Uri.EscapeDataString(digest));
        using var done = await SendAsync(registry, repository, push: true, () =>
        {
            var content = new ByteArrayContent(blob);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return new HttpRequestMessage(HttpMethod.Put, put) { Content = content };
        }, $"blob {digest}", cancellationToken).ConfigureAwait(false);
        return descriptor;
    }

    /// <summary>
    /// The referrers API (<c>GET /v2/NAME/referrers/DIGEST</c>, distribution-spec v1.1 "Listing Referrers"): the index's
    /// descriptors, or null when the registry has no referrers API (404, as the spec says clients must read it).
    /// </summary>
    public async Task<IReadOnlyList<Descriptor>?> GetReferrersAsync(string registry, string repository, string digest, CancellationToken cancellationToken = default)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(registry, repository, push: false, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Url(registry, $"/v2/{repository}/referrers/{digest}"));
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.ImageIndex));
                return request;
            }, $"referrers of {digest}", cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.IsNotFound || e.Status is HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadRequest)
        {
            return null;
        }
        using (response)
        {
            var bytes = await ReadBoundedAsync(response, _options.MaxManifestBytes, $"referrers of {digest}", cancellationToken).ConfigureAwait(false);
            return ParseIndex(bytes, $"{registry}/{repository}: the referrers index of {digest}");
        }
    }

    /// <summary>An image index's <c>manifests</c> descriptors.</summary>
    public static IReadOnlyList<Descriptor> ParseIndex(byte[] bytes, string what)
    {
        try
        {
            using var json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            if (!json.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            return [.. manifests.EnumerateArray().Select(ParseDescriptor)];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new RegistryException($"{what} is not an image index: {e.Message}", e);
        }
    }

    /// <summary>A descriptor object (mediaType, digest, size, artifactType, annotations).</summary>
    public static Descriptor ParseDescriptor(JsonElement element)
    {
        var annotations = element.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
            ? a.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
            : null;
        return new Descriptor(
            element.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "",
            element.GetProperty("digest").GetString() ?? "",
            element.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0)
        {
            ArtifactType = element.TryGetProperty("artifactType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null,
            Annotations = annotations,
        };
    }

    /// <summary><c>sha256:</c> and the lowercase hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private Uri Url(string registry, string path)
    {
        // Docker Hub's API host (go-containerregistry maps index.docker.io the same way).
        var host = registry == ImageReference.DockerHub ? "registry-1.docker.io" : registry;
        return new Uri((_options.AllowInsecure ? "http://" : "https://") + host + path);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int max, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > max)
        {
            throw new RegistryException($"{what} is {length} bytes, more than the {max} psig reads");
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
            {
                throw new RegistryException($"{what} is more than the {max} bytes psig reads");
            }
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Sends a request (made afresh per attempt), answering an auth challenge once and retrying transient failures;
    /// returns a 2xx response or throws a one-line <see cref="RegistryException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string registry, string repository, bool push, Func<HttpRequestMessage> create, string what, CancellationToken cancellationToken)
    {
        var scopeKey = $"{registry}|{repository}|{(push ? "push" : "pull")}";
        var challenged = false;
        while (true)
        {
            var response = await SendWithRetriesAsync(() =>
            {
                var request = create();
                request.Headers.UserAgent.ParseAdd("psig/1 (PrivateSigstore)");
                if (_auth.TryGetValue(scopeKey, out var header))
                {
                    request.Headers.Authorization = header;
                }
                return request;
            }, registry, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && !challenged && response.Headers.WwwAuthenticate.FirstOrDefault() is { } challenge)
            {
                challenged = true;
                response.Dispose();
                _auth[scopeKey] = await AuthorizeAsync(registry, repository, push, challenge, cancellationToken).ConfigureAwait(false);
                continue;
            }
            using (response)
            {
                throw await FailureAsync(response, registry, repository, push, what, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<HttpRequestMessage> create, string registry, CancellationToken cancellationToken)
    {
        var attempts = Math.Max(1, _options.MaxAttempts);
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (attempt < attempts)
            {
                _ = e;
                await Task.Delay(Backoff(attempt, null), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new RegistryException($"cannot reach registry {registry}: {e.Message}" +
                    (_options.AllowInsecure ? "" : " (a plain-HTTP registry needs --allow-insecure-registry; a private CA needs --registry-cacert)"), e);
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt < attempts)
                {
                    await Task.Delay(Backoff(attempt, null), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                throw new RegistryException($"registry {registry} did not answer in time", e);
            }
            var transient = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
            if (!transient || attempt >= attempts)
            {
                return response;
            }
            var retryAfter = response.Headers.RetryAfter?.Delta;
            response.Dispose();
            await Task.Delay(Backoff(attempt, retryAfter), cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } after && after > TimeSpan.Zero)
        {
            return after < TimeSpan.FromSeconds(10) ? after : TimeSpan.FromSeconds(10);
        }
        return _options.InitialBackoff * Math.Pow(2, attempt - 1);
    }

    /// <summary>Answers a challenge: Basic with the stored credential, or the distribution token flow for Bearer.</summary>
    private async Task<AuthenticationHeaderValue> AuthorizeAsync(string registry, string repository, bool push, AuthenticationHeaderValue challenge, CancellationToken cancellationToken)
    {
        var credential = _options.Credentials?.Find(registry);
        if (string.Equals(challenge.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (credential is null || credential.IsIdentityToken)
            {
                throw NoCredentials(registry, repository);
            }
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":" + credential.Secret)));
        }
        if (!string.Equals(challenge.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryException($"registry {registry} asks for \"{challenge.Scheme}\" authentication, which psig does not speak (Basic and Bearer only)");
        }
        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realmText) || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm) || realm.Scheme is not ("https" or "http"))
        {
            throw new RegistryException($"registry {registry} sent a Bearer challenge without a usable realm");
        }
        var scope = $"repository:{repository}:{(push ? "pull,push" : "pull")}";
        parameters.TryGetValue("service", out var service);
        var query = new StringBuilder();
        if (service is not null)
        {
            query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        }
        query.Append("scope=").Append(Uri.EscapeDataString(scope));
        var tokenUrl = new Uri(realm.AbsoluteUri + (string.IsNullOrEmpty(realm.Query) ? "?" : "&") + query);
        using var response = await SendWithRetriesAsync(() =>
        {
            HttpRequestMessage request;
            if (credential is { IsIdentityToken: true })
            {
                // docker's identity token: the OAuth2 refresh-token grant at the realm (distribution docs/spec/auth/oauth.md).
                request = new HttpRequestMessage(HttpMethod.Post, realm)
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "refresh_token", ["refresh_token"] = credential.Secret, ["service"] = service ?? "", ["scope"] = scope, ["client_id"] = "psig",
                    }),
                };
            }
            else
            {
                request = new HttpRequestMessage(HttpMethod.Get, tokenUrl);
                if (credential is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":" + credential.Secret)));
                }
            }
            request.Headers.UserAgent.ParseAdd("psig/1 (PrivateSigstore)");
            return request;
        }, registry, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw credential is null ? NoCredentials(registry, repository)
                : new RegistryException($"the token service of {registry} ({realm.Host}) refused the credentials for {credential.Username} from {_options.Credentials!.Describe()} ({(int)response.StatusCode})", response.StatusCode);
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new RegistryException($"the token service of {registry} ({realm.Host}) answered {(int)response.StatusCode} {response.ReasonPhrase}", response.StatusCode);
        }
        var body = await ReadBoundedAsync(response, 1 << 20, "token response", cancellationToken).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(body);
            var token = json.RootElement.TryGetProperty("token", out var t) && t.GetString() is { Length: > 0 } a ? a
                : json.RootElement.TryGetProperty("access_token", out var at) && at.GetString() is { Length: > 0 } b ? b
                : throw new RegistryException($"the token service of {registry} answered without a token");
            return new AuthenticationHeaderValue("Bearer", token);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new RegistryException($"the token service of {registry} answered something that is not JSON", e);
        }
    }

    private RegistryException NoCredentials(string registry, string repository) =>
        new($"registry {registry} requires authentication for {repository} (401 Unauthorized) and psig found no credentials for it ({_options.Credentials?.Describe() ?? "no docker config"}): run docker login {registry}, or add it to the docker config", HttpStatusCode.Unauthorized);

    /// <summary>Parses <c>key="value", key2="value2"</c> (RFC 7235 auth-params).</summary>
    internal static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameter.Length)
        {
            while (i < parameter.Length && (parameter[i] == ',' || char.IsWhiteSpace(parameter[i])))
            {
                i++;
            }
            var eq = parameter.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }
            var key = parameter[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < parameter.Length && parameter[i] == '"')
            {
                var end = parameter.IndexOf('"', i + 1);
                if (end < 0)
                {
                    end = parameter.Length;
                }
                value = parameter[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = parameter.IndexOf(',', i);
                if (end < 0)
                {
                    end = parameter.Length;
                }
                value = parameter[i..end].Trim();
                i = end;
            }
            result[key] = value;
        }
        return result;
    }

    /// <summary>The one-line message for a failed request: 401, 403 and 404 said plainly, others with the registry's error code.</summary>
    private async Task<RegistryException> FailureAsync(HttpResponseMessage response, string registry, string repository, bool push, string what, CancellationToken cancellationToken)
    {
        var detail = "";
        try
        {
            var body = await ReadBoundedAsync(response, 64 << 10, "error body", cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                detail = $": {first.GetProperty("code").GetString()}" + (first.TryGetProperty("message", out var m) ? $" ({m.GetString()})" : "");
            }
        }
        catch (Exception e) when (e is JsonException or RegistryException or InvalidOperationException or KeyNotFoundException or HttpRequestException)
        {
            // No distribution error body; the status says enough.
        }
        var status = response.StatusCode;
        var message = status switch
        {
            HttpStatusCode.Unauthorized => _options.Credentials?.Find(registry) is { } credential
                ? $"registry {registry} refused the credentials for {credential.Username} from {_options.Credentials.Describe()} on {repository} (401 Unauthorized){detail}"
                : NoCredentials(registry, repository).Message,
            HttpStatusCode.Forbidden => $"registry {registry} denied {(push ? "push to" : "pull from")} {repository} (403 Forbidden): the credentials lack that permission{detail}",
            HttpStatusCode.NotFound => $"{what} not found in {registry}/{repository} (404){detail}",
            _ => $"registry {registry} answered {(int)status} {response.ReasonPhrase} for {what} in {repository}{detail}",
        };
        return new RegistryException(message, status);
    }

    /// <summary>For messages: how many attempts a transient failure gets.</summary>
    public string RetryPolicy => string.Create(CultureInfo.InvariantCulture, $"{_options.MaxAttempts} attempts, backoff from {_options.InitialBackoff.TotalMilliseconds} ms");
}
