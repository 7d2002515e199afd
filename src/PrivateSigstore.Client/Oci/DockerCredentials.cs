using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Client.Oci;

/// <summary>A user name and secret for one registry (an identity token has the user name <c>&lt;token&gt;</c>).</summary>
public sealed record RegistryCredential(string Username, string Secret)
{
    /// <summary>docker's marker user name for an identity (refresh) token.</summary>
    public const string TokenUser = "<token>";

    /// <summary>True when <see cref="Secret"/> is an OAuth2 refresh token (docker's <c>identitytoken</c>).</summary>
    public bool IsIdentityToken => Username == TokenUser;

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"{Username} (secret hidden)";
}

/// <summary>Where registry credentials come from.</summary>
public interface IRegistryCredentials
{
    /// <summary>The credential for <paramref name="registry"/> (host[:port]), or null for anonymous access.</summary>
    RegistryCredential? Find(string registry);

    /// <summary>A short description for error messages (never a secret).</summary>
    string Describe();
}

/// <summary>
/// Credentials from a docker <c>config.json</c> as docker, crane and cosign read it: <c>$DOCKER_CONFIG/config.json</c>
/// (default <c>~/.docker/config.json</c>); per registry <c>credHelpers</c>, else <c>auths</c> (<c>auth</c> = base64
/// user:password, or <c>username</c>/<c>password</c>, or <c>identitytoken</c>), else the <c>credsStore</c> helper.
/// Helpers are run as <c>docker-credential-NAME get</c> with the registry on standard input.
/// </summary>
public sealed class DockerConfigCredentials : IRegistryCredentials
{
    private readonly string _path;
    private readonly JsonDocument? _config;

    /// <summary>Reads <paramref name="path"/>; a missing file means anonymous access everywhere.</summary>
    /// <exception cref="FormatException">The file is not JSON.</exception>
    public DockerConfigCredentials(string path)
    {
        _path = path ?? throw new ArgumentNullException(nameof(path));
        if (File.Exists(path))
        {
            try
            {
                _config = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path} is not valid JSON: {e.Message}", e);
            }
        }
    }

    /// <summary>The default file: <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string DefaultPath()
    {
        var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(dir))
        {
            dir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }
        return Path.Combine(dir, "config.json");
    }

    /// <inheritdoc />
    public string Describe() => _config is null ? $"no {_path}" : _path;

    /// <inheritdoc />
    public RegistryCredential? Find(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (_config is null || _config.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var root = _config.RootElement;
        var keys = Keys(registry);
        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in keys)
            {
                if (helpers.TryGetProperty(key, out var helper) && helper.GetString() is { Length: > 0 } name)
                {
                    return FromHelper(name, key);
                }
            }
        }
        if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in auths.EnumerateObject())
            {
                if (keys.Contains(Normalize(entry.Name)) && FromAuth(entry.Value) is { } credential)
                {
                    return credential;
                }
            }
        }
        if (root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } storeName)
        {
            return FromHelper(storeName, keys[0]);
        }
        return null;
    }

    /// <summary>The keys a registry may be stored under (Docker Hub's legacy URL key included).</summary>
    private static List<string> Keys(string registry) =>
        registry == ImageReference.DockerHub ? [registry, "https://index.docker.io/v1/", "docker.io", "registry-1.docker.io"] : [registry];

    /// <summary>An <c>auths</c> key may be a URL (<c>https://host/v1/</c>); compare by host[:port].</summary>
    private static string Normalize(string key)
    {
        if (key == "https://index.docker.io/v1/")
        {
            return key;
        }
        var s = key;
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            s = s[(scheme + 3)..];
        }
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? s[..slash] : s;
    }

    private static RegistryCredential? FromAuth(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (entry.TryGetProperty("identitytoken", out var identity) && identity.GetString() is { Length: > 0 } token)
        {
            return new RegistryCredential(RegistryCredential.TokenUser, token);
        }
        if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException e)
            {
                throw new FormatException("an \"auth\" entry in the docker config is not base64", e);
            }
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? throw new FormatException("an \"auth\" entry in the docker config is not user:password") : new RegistryCredential(decoded[..colon], decoded[(colon + 1)..]);
        }
        if (entry.TryGetProperty("username", out var user) && user.GetString() is { Length: > 0 } name
            && entry.TryGetProperty("password", out var password) && password.GetString() is { } secret)
        {
            return new RegistryCredential(name, secret);
        }
        return null;
    }

    /// <summary>docker's credential helper protocol: <c>docker-credential-NAME get</c>, server URL on stdin, JSON out.</summary>
    private static RegistryCredential? FromHelper(string helper, string registry)
    {
        var start = new ProcessStartInfo("docker-credential-" + helper, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"docker-credential-{helper} did not start");
            process.StandardInput.Write(registry);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                throw new InvalidOperationException($"docker-credential-{helper} did not answer within 30 s");
            }
            if (process.ExitCode != 0)
            {
                // The protocol's "credentials not found in native keychain": anonymous.
                return null;
            }
            using var json = JsonDocument.Parse(output);
            var user = json.RootElement.GetProperty("Username").GetString() ?? "";
            var secret = json.RootElement.GetProperty("Secret").GetString() ?? "";
            return user.Length == 0 && secret.Length == 0 ? null : new RegistryCredential(user, secret);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"the docker config names credential helper \"{helper}\" but docker-credential-{helper} is not on PATH");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"docker-credential-{helper} answered something that is not its JSON: {e.Message}", e);
        }
    }
}
