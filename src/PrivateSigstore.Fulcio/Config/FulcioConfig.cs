using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Fulcio.Config;

/// <summary>
/// Fulcio's identity configuration in upstream's format (<c>pkg/config/config.go</c>): JSON field names
/// (<c>OIDCIssuers</c>, <c>MetaIssuers</c>, <c>CIIssuerMetadata</c>) or YAML names (<c>oidc-issuers</c>, …).
/// </summary>
public sealed partial class FulcioConfig
{
    /// <summary>The audience used when an issuer has no <c>ClientID</c>.</summary>
    public const string DefaultClientId = "sigstore";

    private readonly List<(Regex Regex, OidcIssuerConfig Issuer)> _meta;

    private FulcioConfig(
        IReadOnlyDictionary<string, OidcIssuerConfig> oidcIssuers,
        IReadOnlyDictionary<string, OidcIssuerConfig> metaIssuers,
        IReadOnlyDictionary<string, CIIssuerMetadata> ciIssuerMetadata)
    {
        OIDCIssuers = oidcIssuers;
        MetaIssuers = metaIssuers;
        CIIssuerMetadata = ciIssuerMetadata;
        _meta = [.. metaIssuers.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (MetaRegex(kv.Key), kv.Value))];
    }

    /// <summary>Issuers by exact issuer URL.</summary>
    public IReadOnlyDictionary<string, OidcIssuerConfig> OIDCIssuers { get; }
    /// <summary>Issuers by wildcard URL (<c>*</c> matches <c>[-_a-zA-Z0-9]+</c>).</summary>
    public IReadOnlyDictionary<string, OidcIssuerConfig> MetaIssuers { get; }
    /// <summary>CI provider templates by provider name.</summary>
    public IReadOnlyDictionary<string, CIIssuerMetadata> CIIssuerMetadata { get; }

    /// <summary>Upstream's <c>MetaRegex</c>: escape, <c>*</c> → <c>[-_a-zA-Z0-9]+</c>, anchor (GHSA-59jp-pj84-45mr).</summary>
    public static Regex MetaRegex(string issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var pattern = "^" + Regex.Escape(issuer).Replace(@"\*", "[-_a-zA-Z0-9]+", StringComparison.Ordinal) + @"\z";
        return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
    }

    /// <summary>
    /// The issuer for <paramref name="issuerUrl"/>: an exact match, else the first matching meta issuer as a concrete
    /// issuer whose <see cref="OidcIssuerConfig.IssuerUrl"/> is <paramref name="issuerUrl"/>.
    /// </summary>
    public OidcIssuerConfig? GetIssuer(string issuerUrl)
    {
        ArgumentNullException.ThrowIfNull(issuerUrl);
        if (OIDCIssuers.TryGetValue(issuerUrl, out var exact))
        {
            return exact;
        }
        foreach (var (regex, issuer) in _meta)
        {
            if (regex.IsMatch(issuerUrl))
            {
                return issuer with { IssuerUrl = issuerUrl };
            }
        }
        return null;
    }

    /// <summary>Reads and validates a config file; relative <c>JwksFile</c>/<c>CaCertificateFile</c> paths resolve against its folder.</summary>
    public static FulcioConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        return Parse(File.ReadAllText(full), Path.GetDirectoryName(full));
    }

    /// <summary>Parses and validates JSON (tried first, like upstream) or YAML text.</summary>
    public static FulcioConfig Parse(string text) => Parse(text, null);

    /// <summary>Parses and validates; relative file paths resolve against <paramref name="baseDirectory"/> when given.</summary>
    public static FulcioConfig Parse(string text, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        var root = ParseTree(text);
        var oidc = ReadIssuers(Get(root, "OIDCIssuers", "oidc-issuers"), baseDirectory, "OIDCIssuers");
        var meta = ReadIssuers(Get(root, "MetaIssuers", "meta-issuers"), baseDirectory, "MetaIssuers");
        var ci = new Dictionary<string, CIIssuerMetadata>(StringComparer.Ordinal);
        if (Get(root, "CIIssuerMetadata", "ci-issuer-metadata") is JsonObject ciObj)
        {
            foreach (var (name, node) in ciObj)
            {
                if (node is not JsonObject m)
                {
                    throw new FulcioConfigException($"CIIssuerMetadata {name}: expected an object");
                }
                var ext = new Dictionary<string, string>(StringComparer.Ordinal);
                if (Get(m, "ExtensionTemplates", "extension-templates") is JsonObject e)
                {
                    foreach (var (k, v) in e)
                    {
                        ext[ExtensionNames.ToJsonName(k)] = AsString(v) ?? "";
                    }
                }
                ci[name] = new CIIssuerMetadata
                {
                    DefaultTemplateValues = ReadStringMap(Get(m, "DefaultTemplateValues", "default-template-values")),
                    ExtensionTemplates = ext,
                    SubjectAlternativeNameTemplate = Str(m, "SubjectAlternativeNameTemplate", "subject-alternative-name-template") ?? "",
                };
            }
        }
        var config = new FulcioConfig(oidc, meta, ci);
        config.Validate();
        return config;
    }

    private static JsonObject ParseTree(string text)
    {
        try
        {
            if (StrictJson.Parse(text) is JsonObject obj)
            {
                return obj;
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to YAML, like upstream.
        }
        object? yaml;
        try
        {
            // go-yaml (libyaml) ends an alias name at ':' ("*github-type:" as a key, used by upstream's config.yaml);
            // YamlDotNet reads the ':' as part of the name, so separate it.
            var normalized = AliasKey().Replace(text, "$1*$2 :");
            yaml = new DeserializerBuilder().Build().Deserialize<object>(normalized);
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new FulcioConfigException($"parse: unmarshal: {ex.Message}", ex);
        }
        return yaml switch
        {
            null => [],
            _ when FromYaml(yaml) is JsonObject o => o,
            _ => throw new FulcioConfigException("parse: unmarshal: the configuration must be a mapping"),
        };
    }

    [GeneratedRegex(@"^(\s*)\*([A-Za-z0-9_.-]+):", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex AliasKey();

    private static JsonNode? FromYaml(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(kv =>
            KeyValuePair.Create(Convert.ToString(kv.Key, CultureInfo.InvariantCulture) ?? "", FromYaml(kv.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(FromYaml)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    private static JsonNode? Get(JsonObject obj, string jsonName, string yamlName)
    {
        if (obj.TryGetPropertyValue(jsonName, out var v) || obj.TryGetPropertyValue(yamlName, out v))
        {
            return v;
        }
        // Go's encoding/json matches field names case-insensitively.
        foreach (var (k, value) in obj)
        {
            if (string.Equals(k, jsonName, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }

    private static string? AsString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw new FulcioConfigException($"expected a string, found {node.ToJsonString()}"),
    };

    private static string? Str(JsonObject obj, string jsonName, string yamlName) => AsString(Get(obj, jsonName, yamlName));

    private static bool Bool(JsonObject obj, string jsonName, string yamlName) => Get(obj, jsonName, yamlName) switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        var other => throw new FulcioConfigException($"{jsonName}: expected a boolean, found {other.ToJsonString()}"),
    };

    private static Dictionary<string, string> ReadStringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                map[k] = AsString(v) ?? "";
            }
        }
        return map;
    }

    private static string? ResolvePath(string? path, string? baseDirectory) =>
        string.IsNullOrEmpty(path) || baseDirectory is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));

    private static Dictionary<string, OidcIssuerConfig> ReadIssuers(JsonNode? node, string? baseDirectory, string section)
    {
        var result = new Dictionary<string, OidcIssuerConfig>(StringComparer.Ordinal);
        if (node is null)
        {
            return result;
        }
        if (node is not JsonObject map)
        {
            throw new FulcioConfigException($"{section}: expected a map of issuer URL to issuer");
        }
        foreach (var (key, value) in map)
        {
            if (value is not JsonObject o)
            {
                throw new FulcioConfigException($"{section} {key}: expected an object");
            }
            var allowed = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (Get(o, "AllowedClaims", "allowed-claims") is JsonObject ac)
            {
                foreach (var (claim, patterns) in ac)
                {
                    allowed[claim] = patterns switch
                    {
                        JsonArray arr => [.. arr.Select(p => AsString(p) ?? "")],
                        _ => [AsString(patterns) ?? ""],
                    };
                }
            }
            var clientId = Str(o, "ClientID", "client-id");
            result[key] = new OidcIssuerConfig
            {
                IssuerUrl = Str(o, "IssuerURL", "issuer-url") is { Length: > 0 } u ? u : key,
                ClientId = string.IsNullOrEmpty(clientId) ? DefaultClientId : clientId,
                Type = Str(o, "Type", "type") ?? "",
                CIProvider = Str(o, "CIProvider", "ci-provider"),
                IssuerClaim = Str(o, "IssuerClaim", "issuer-claim"),
                SubjectDomain = Str(o, "SubjectDomain", "subject-domain"),
                SpiffeTrustDomain = Str(o, "SPIFFETrustDomain", "spiffe-trust-domain"),
                ChallengeClaim = Str(o, "ChallengeClaim", "challenge-claim"),
                Description = Str(o, "Description", "description"),
                Contact = Str(o, "Contact", "contact") ?? Str(o, "ContactEmail", "contact-email"),
                Environment = Str(o, "Environment", "environment"),
                CACert = Str(o, "CACert", "ca-cert"),
                SkipEmailVerification = Bool(o, "SkipEmailVerification", "skip-email-verification"),
                JwksFile = ResolvePath(Str(o, "JwksFile", "jwks-file"), baseDirectory),
                CaCertificateFile = ResolvePath(Str(o, "CaCertificateFile", "ca-certificate-file"), baseDirectory),
                AllowedClaims = allowed,
            };
        }
        return result;
    }

    private void Validate()
    {
        foreach (var (key, issuer) in OIDCIssuers)
        {
            ValidateCommon(key, issuer, "issuer");
            if (issuer.Type == IssuerTypes.Spiffe)
            {
                if (string.IsNullOrEmpty(issuer.SpiffeTrustDomain))
                {
                    throw new FulcioConfigException($"validate: issuer {key}: spiffe issuer must have SPIFFETrustDomain set");
                }
                if (!IsValidTrustDomain(issuer.SpiffeTrustDomain))
                {
                    throw new FulcioConfigException($"validate: issuer {key}: spiffe trust domain is invalid");
                }
            }
            if (issuer.Type is IssuerTypes.Uri or IssuerTypes.Username)
            {
                ValidateSubjectDomain(key, issuer);
            }
        }
        foreach (var (key, issuer) in MetaIssuers)
        {
            ValidateCommon(key, issuer, "meta issuer");
            if (issuer.Type == IssuerTypes.Spiffe)
            {
                throw new FulcioConfigException($"validate: meta issuer {key}: SPIFFE meta issuers not supported");
            }
        }
        foreach (var (name, meta) in CIIssuerMetadata)
        {
            foreach (var (ext, template) in meta.ExtensionTemplates.Append(KeyValuePair.Create("SubjectAlternativeNameTemplate", meta.SubjectAlternativeNameTemplate)))
            {
                if (!TemplateDelimitersBalanced(template))
                {
                    throw new FulcioConfigException($"validate: CIIssuerMetadata {name}: template {ext} is not a valid template: unbalanced '{{{{' / '}}}}'");
                }
            }
        }
    }

    private void ValidateCommon(string key, OidcIssuerConfig issuer, string what)
    {
        if (!IssuerTypes.IsKnown(issuer.Type))
        {
            throw new FulcioConfigException(string.IsNullOrEmpty(issuer.Type)
                ? $"validate: {what} {key}: missing Type"
                : $"validate: {what} {key}: unknown issuer type \"{issuer.Type}\" (known: {string.Join(", ", IssuerTypes.All)})");
        }
        if (!Uri.TryCreate(issuer.IssuerUrl, UriKind.Absolute, out _) && what == "issuer")
        {
            throw new FulcioConfigException($"validate: {what} {key}: IssuerURL \"{issuer.IssuerUrl}\" is not an absolute URL");
        }
        if (what == "issuer" && !string.Equals(issuer.IssuerUrl, key, StringComparison.Ordinal))
        {
            throw new FulcioConfigException($"validate: {what} {key}: IssuerURL \"{issuer.IssuerUrl}\" differs from its map key");
        }
        if (!string.IsNullOrEmpty(issuer.IssuerClaim) && issuer.Type != IssuerTypes.Email)
        {
            throw new FulcioConfigException($"validate: {what} {key}: only email issuers can use issuer claim mapping");
        }
        if (issuer.Type == IssuerTypes.CIProvider)
        {
            if (string.IsNullOrEmpty(issuer.CIProvider))
            {
                throw new FulcioConfigException($"validate: {what} {key}: ci-provider issuer must have CIProvider set");
            }
            if (!CIIssuerMetadata.ContainsKey(issuer.CIProvider))
            {
                throw new FulcioConfigException($"validate: {what} {key}: CIProvider \"{issuer.CIProvider}\" is not defined in CIIssuerMetadata");
            }
        }
        if (!string.IsNullOrEmpty(issuer.CACert) && ParsePem(issuer.CACert).Count == 0)
        {
            throw new FulcioConfigException($"validate: {what} {key}: failed to parse CA certificate for issuer {issuer.IssuerUrl}");
        }
        if (!string.IsNullOrEmpty(issuer.CaCertificateFile))
        {
            if (!File.Exists(issuer.CaCertificateFile) || ParsePem(File.ReadAllText(issuer.CaCertificateFile)).Count == 0)
            {
                throw new FulcioConfigException($"validate: {what} {key}: CaCertificateFile \"{issuer.CaCertificateFile}\" is missing or holds no PEM certificate");
            }
        }
        if (!string.IsNullOrEmpty(issuer.JwksFile) && !File.Exists(issuer.JwksFile))
        {
            throw new FulcioConfigException($"validate: {what} {key}: JwksFile \"{issuer.JwksFile}\" does not exist");
        }
        foreach (var (claim, patterns) in issuer.AllowedClaims)
        {
            if (string.IsNullOrEmpty(claim) || patterns.Count == 0)
            {
                throw new FulcioConfigException($"validate: {what} {key}: AllowedClaims entries need a claim name and at least one value");
            }
        }
    }

    private static void ValidateSubjectDomain(string key, OidcIssuerConfig issuer)
    {
        var type = issuer.Type;
        if (string.IsNullOrEmpty(issuer.SubjectDomain))
        {
            throw new FulcioConfigException($"validate: issuer {key}: {type} issuer must have SubjectDomain set");
        }
        var issuerUri = new Uri(issuer.IssuerUrl);
        var hasScheme = Uri.TryCreate(issuer.SubjectDomain, UriKind.Absolute, out var domainUri) && issuer.SubjectDomain.Contains("://", StringComparison.Ordinal);
        if (type == IssuerTypes.Uri)
        {
            if (!hasScheme)
            {
                throw new FulcioConfigException($"validate: issuer {key}: SubjectDomain for uri must contain scheme");
            }
            if (!string.Equals(domainUri!.Scheme, issuerUri.Scheme, StringComparison.Ordinal))
            {
                throw new FulcioConfigException($"validate: issuer {key}: subject ({domainUri.Scheme}) and issuer ({issuerUri.Scheme}) URI schemes do not match");
            }
            ValidateAllowedDomain(key, domainUri.Host, issuerUri.Host);
        }
        else
        {
            if (hasScheme)
            {
                throw new FulcioConfigException($"validate: issuer {key}: SubjectDomain for username should not contain scheme");
            }
            ValidateAllowedDomain(key, issuer.SubjectDomain, issuerUri.Host);
        }
    }

    private static void ValidateAllowedDomain(string key, string subject, string issuer)
    {
        if (string.Equals(subject, issuer, StringComparison.Ordinal))
        {
            return;
        }
        var s = subject.Split('.');
        var i = issuer.Split('.');
        if (s.Length < 2)
        {
            throw new FulcioConfigException($"validate: issuer {key}: URI hostname too short: {subject}");
        }
        if (i.Length < 2)
        {
            throw new FulcioConfigException($"validate: issuer {key}: URI hostname too short: {issuer}");
        }
        if (s[^1] != i[^1] || s[^2] != i[^2])
        {
            throw new FulcioConfigException($"validate: issuer {key}: hostname top-level and second-level domains do not match: {subject}, {issuer}");
        }
    }

    /// <summary>go-spiffe's trust domain rule: non-empty, lowercase letters, digits, '.', '-', '_' (a <c>spiffe://</c> prefix is allowed).</summary>
    internal static bool IsValidTrustDomain(string value)
    {
        var td = value.StartsWith("spiffe://", StringComparison.Ordinal) ? value["spiffe://".Length..] : value;
        return td.Length > 0 && td.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_');
    }

    private static bool TemplateDelimitersBalanced(string template)
    {
        var depth = 0;
        for (var i = 0; i + 1 < template.Length; i++)
        {
            if (template[i] == '{' && template[i + 1] == '{')
            {
                if (++depth > 1)
                {
                    return false;
                }
                i++;
            }
            else if (template[i] == '}' && template[i + 1] == '}' && depth == 1)
            {
                depth--;
                i++;
            }
        }
        return depth == 0;
    }

    /// <summary>Parses every PEM certificate in <paramref name="pem"/>; invalid blocks are skipped (like Go's AppendCertsFromPEM).</summary>
    internal static X509Certificate2Collection ParsePem(string pem)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // No usable certificate.
        }
        return collection;
    }
}
