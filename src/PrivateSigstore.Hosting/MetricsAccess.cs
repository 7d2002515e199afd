using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace PrivateSigstore.Hosting;

/// <summary>
/// Who may read <c>/metrics</c> (issue 20, finding 9). With no <c>Metrics:BearerTokenFile</c> it is open, like
/// <c>/healthz</c>, on the service's own listener (loopback unless <c>urls</c> says otherwise); with one, a scrape must send
/// <c>Authorization: Bearer &lt;the file's content&gt;</c> (Prometheus: <c>authorization: { credentials_file: … }</c>), and
/// anything else is a 401 with <c>WWW-Authenticate: Bearer</c>. The file is read once at start (trailing whitespace
/// trimmed, at least 16 characters): rotate by replacing it and restarting the service.
/// </summary>
public sealed class MetricsAccess
{
    /// <summary>The setting that names the token file.</summary>
    public const string TokenFileSetting = "Metrics:BearerTokenFile";

    /// <summary>The shortest token accepted.</summary>
    public const int MinimumTokenLength = 16;

    private readonly byte[]? _tokenHash;

    private MetricsAccess(byte[]? tokenHash) => _tokenHash = tokenHash;

    /// <summary>Whether a token is required.</summary>
    public bool RequiresToken => _tokenHash is not null;

    /// <summary>Reads <c>Metrics:BearerTokenFile</c>; throws an <see cref="ArgumentException"/> naming it when the file is missing, empty or short.</summary>
    public static MetricsAccess FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var path = configuration[TokenFileSetting];
        if (string.IsNullOrEmpty(path)) return new MetricsAccess(null);
        string token;
        try
        {
            token = File.ReadAllText(path).TrimEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{TokenFileSetting} '{path}' cannot be read: {ex.Message}", ex);
        }
        if (token.Length < MinimumTokenLength || token.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"{TokenFileSetting} '{path}' must hold one token of at least {MinimumTokenLength} characters without spaces");
        }
        return new MetricsAccess(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Whether <paramref name="request"/> may read the metrics (constant-time comparison of the token).</summary>
    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_tokenHash is null) return true;
        var header = request.Headers.Authorization;
        if (header.Count != 1) return false;
        var value = header[0];
        const string Scheme = "Bearer ";
        if (value is null || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var offered = SHA256.HashData(Encoding.UTF8.GetBytes(value[Scheme.Length..]));
        return CryptographicOperations.FixedTimeEquals(offered, _tokenHash);
    }
}
