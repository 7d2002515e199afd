using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// A verify-before-use policy file, modelled on sigstore policy-controller's ClusterImagePolicy: named policies, each
/// matching artifacts by glob (paths or OCI references) and naming the authorities (keyless identities, or keys) of
/// which at least one must have signed, plus attestations (predicate types) that must also be signed. Every policy
/// that matches an artifact must pass; an artifact no policy matches is refused (fail closed).
/// </summary>
internal sealed class GatePolicy
{
    private GatePolicy(string file, string digest, string? trustedRoot, GateTufSource? tuf, IReadOnlyList<GateRule> rules)
    {
        (File, Digest, TrustedRoot, Tuf, Rules) = (file, digest, trustedRoot, tuf, rules);
    }

    /// <summary>The policy file's full path.</summary>
    public string File { get; }

    /// <summary>SHA-256 of the file's bytes, <c>sha256:hex</c>.</summary>
    public string Digest { get; }

    /// <summary>The trusted root file (resolved against the policy's directory), or null for psig's default.</summary>
    public string? TrustedRoot { get; }

    /// <summary>The TUF repository the trusted root comes from (<c>tuf: {mirror, root}</c>), or null.</summary>
    public GateTufSource? Tuf { get; }

    /// <summary>The named policies, in file order.</summary>
    public IReadOnlyList<GateRule> Rules { get; }

    /// <summary>The rules whose globs match any of <paramref name="names"/>.</summary>
    public IReadOnlyList<GateRule> Matching(IEnumerable<string> names)
    {
        var list = names.ToList();
        return [.. Rules.Where(r => r.Globs.Any(g => list.Any(g.IsMatch)))];
    }

    /// <summary>Loads and checks a policy file; <see cref="UsageException"/> naming the problem.</summary>
    public static GatePolicy Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--policy {Path.GetFileName(path)}", e);
        }
        return Parse(bytes, Path.GetFullPath(path));
    }

    public static GatePolicy Parse(byte[] bytes, string fullPath)
    {
        var name = Path.GetFileName(fullPath);
        PolicyFile? file;
        try
        {
            file = PolicyYaml.Read(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (YamlException e)
        {
            throw new UsageException($"--policy {name}: {e.Start}: {(e.InnerException ?? e).Message}");
        }
        if (file?.Policies is not { Count: > 0 } policies)
        {
            throw new UsageException($"--policy {name}: no policies (a list under \"policies:\")");
        }
        var dir = Path.GetDirectoryName(fullPath)!;
        var rules = new List<GateRule>();
        foreach (var (p, i) in policies.Select((p, i) => (p, i)))
        {
            var label = $"--policy {name}: policies[{i}]" + (p.Name is null ? "" : $" ({p.Name})");
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                throw new UsageException($"{label}: a policy needs a name");
            }
            if (rules.Any(r => r.Name == p.Name))
            {
                throw new UsageException($"{label}: the name {p.Name} is used twice");
            }
            if (p.Match is not { Count: > 0 })
            {
                throw new UsageException($"{label}: match lists no globs");
            }
            if (p.Authorities is not { Count: > 0 })
            {
                throw new UsageException($"{label}: authorities lists none (a policy with no authority would allow nothing)");
            }
            var authorities = new List<GateAuthority>();
            foreach (var a in p.Authorities)
            {
                authorities.AddRange(Authorities(a, label, dir));
            }
            var attestations = (p.Attestations ?? []).Select(a => string.IsNullOrWhiteSpace(a.PredicateType)
                ? throw new UsageException($"{label}: an attestation needs a predicateType") : a.PredicateType).ToList();
            rules.Add(new GateRule(p.Name, p.Match, [.. p.Match.Select(Glob)], authorities, attestations));
        }
        var trustedRoot = string.IsNullOrEmpty(file.TrustedRoot) ? null : Path.GetFullPath(Path.Combine(dir, file.TrustedRoot));
        GateTufSource? tuf = null;
        if (file.Tuf is { } t)
        {
            if (trustedRoot is not null)
            {
                throw new UsageException($"--policy {name}: give trustedRoot: or tuf:, not both");
            }
            if (string.IsNullOrWhiteSpace(t.Mirror) || string.IsNullOrWhiteSpace(t.Root))
            {
                throw new UsageException($"--policy {name}: tuf: needs mirror: (the TUF repository URL) and root: (its initial root.json, relative to the policy)");
            }
            if (!Uri.TryCreate(t.Mirror, UriKind.Absolute, out var mirror) || mirror.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--policy {name}: tuf.mirror {t.Mirror} is not an http or https URL");
            }
            tuf = new GateTufSource(mirror, Path.GetFullPath(Path.Combine(dir, t.Root)));
        }
        return new GatePolicy(fullPath, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), trustedRoot, tuf, rules);
    }

    private static IEnumerable<GateAuthority> Authorities(AuthorityYaml a, string label, string dir)
    {
        if ((a.Keyless is null) == (a.Key is null))
        {
            throw new UsageException($"{label}: each authority is either keyless: or key:");
        }
        if (a.Keyless is { } keyless)
        {
            if (keyless.Identities is not { Count: > 0 })
            {
                throw new UsageException($"{label}: keyless lists no identities");
            }
            foreach (var id in keyless.Identities)
            {
                if (string.IsNullOrEmpty(id.Issuer) || (string.IsNullOrEmpty(id.Subject) == string.IsNullOrEmpty(id.SubjectRegExp)))
                {
                    throw new UsageException($"{label}: a keyless identity needs an issuer and exactly one of subject and subjectRegExp");
                }
                IdentityPolicy identity;
                try
                {
                    // policy-controller's subjectRegExp must match the whole SAN.
                    identity = id.Subject is not null ? IdentityPolicy.Certificate(id.Subject, id.Issuer)
                        : IdentityPolicy.CertificateRegex($"^(?:{id.SubjectRegExp})$", id.Issuer);
                }
                catch (ArgumentException e)
                {
                    throw new UsageException($"{label}: subjectRegExp", e);
                }
                yield return new GateAuthority(identity, id.Subject is not null
                    ? $"keyless {id.Subject} ({id.Issuer})" : $"keyless ~{id.SubjectRegExp} ({id.Issuer})", null);
            }
            yield break;
        }
        var key = a.Key!;
        string pem;
        try
        {
            pem = key.Data ?? (key.Path is { } path ? System.IO.File.ReadAllText(Path.Combine(dir, path))
                : throw new UsageException($"{label}: key needs data: (PEM) or path:"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{label}: key path {key.Path}", e);
        }
        IdentityPolicy keyPolicy;
        try
        {
            keyPolicy = IdentityPolicy.PublicKeyPem(pem);
        }
        catch (Exception e) when (e is WireFormatException or ArgumentException or CryptographicException)
        {
            throw new UsageException($"{label}: key is not a PEM public key", e);
        }
        yield return new GateAuthority(keyPolicy, "key sha256:" + Convert.ToHexStringLower(SHA256.HashData(Core.Pem.GoPem.DecodePublicKey(pem)))[..16] + "…", pem);
    }

    /// <summary>A glob as a regular expression: <c>**</c> any characters, <c>*</c> any but '/', <c>?</c> one but '/'.</summary>
    internal static Regex Glob(string glob)
    {
        var pattern = new System.Text.StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "dir/**" also matches "dir" itself; "**/" matches zero or more directories.
                var slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                pattern.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (c == '*')
            {
                pattern.Append("[^/]*");
            }
            else if (c == '?')
            {
                pattern.Append("[^/]");
            }
            else
            {
                pattern.Append(Regex.Escape(c.ToString()));
            }
        }
        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private sealed class PolicyFile
    {
        public string? TrustedRoot { get; set; }

        public TufYaml? Tuf { get; set; }

        public List<RuleYaml>? Policies { get; set; }
    }

    private sealed class TufYaml
    {
        public string? Mirror { get; set; }

        public string? Root { get; set; }
    }

    private sealed class RuleYaml
    {
        public string? Name { get; set; }

        public List<string>? Match { get; set; }

        public List<AuthorityYaml>? Authorities { get; set; }

        public List<AttestationYaml>? Attestations { get; set; }
    }

    private sealed class AuthorityYaml
    {
        public KeylessYaml? Keyless { get; set; }

        public KeyYaml? Key { get; set; }
    }

    private sealed class KeylessYaml
    {
        public List<IdentityYaml>? Identities { get; set; }
    }

    private sealed class IdentityYaml
    {
        public string? Issuer { get; set; }

        public string? Subject { get; set; }

        public string? SubjectRegExp { get; set; }
    }

    private sealed class KeyYaml
    {
        public string? Data { get; set; }

        public string? Path { get; set; }
    }

    private sealed class AttestationYaml
    {
        public string? PredicateType { get; set; }
    }

    /// <summary>
    /// Reads the policy file through YamlDotNet's node model into the classes above, by hand rather than with the
    /// reflection-based deserializer (psig also ships as a NativeAOT binary). As strict as the deserializer was: an
    /// unknown key, a list where a value belongs or the reverse is a <see cref="YamlException"/> at its position.
    /// </summary>
    private static class PolicyYaml
    {
        public static PolicyFile? Read(string text)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
            {
                return null;
            }
            var file = new PolicyFile();
            foreach (var (key, value) in Mapping(stream.Documents[0].RootNode))
            {
                switch (key.Value)
                {
                    case "trustedRoot": file.TrustedRoot = Scalar(value); break;
                    case "tuf":
                        file.Tuf = IsNull(value) ? null : new TufYaml();
                        foreach (var (k, v) in Mapping(value))
                        {
                            switch (k.Value)
                            {
                                case "mirror": file.Tuf!.Mirror = Scalar(v); break;
                                case "root": file.Tuf!.Root = Scalar(v); break;
                                default: throw Unknown(k);
                            }
                        }
                        break;
                    case "policies": file.Policies = List(value, Rule); break;
                    default: throw Unknown(key);
                }
            }
            return file;
        }

        private static RuleYaml? Rule(YamlNode node)
        {
            var rule = new RuleYaml();
            foreach (var (key, value) in Mapping(node))
            {
                switch (key.Value)
                {
                    case "name": rule.Name = Scalar(value); break;
                    case "match": rule.Match = List(value, Scalar); break;
                    case "authorities": rule.Authorities = List(value, Authority); break;
                    case "attestations": rule.Attestations = List(value, Attestation); break;
                    default: throw Unknown(key);
                }
            }
            return rule;
        }

        private static AuthorityYaml? Authority(YamlNode node)
        {
            var authority = new AuthorityYaml();
            foreach (var (key, value) in Mapping(node))
            {
                switch (key.Value)
                {
                    case "keyless":
                        authority.Keyless = IsNull(value) ? null : new KeylessYaml();
                        foreach (var (k, v) in Mapping(value))
                        {
                            authority.Keyless!.Identities = k.Value == "identities" ? List(v, Identity) : throw Unknown(k);
                        }
                        break;
                    case "key":
                        authority.Key = IsNull(value) ? null : new KeyYaml();
                        foreach (var (k, v) in Mapping(value))
                        {
                            switch (k.Value)
                            {
                                case "data": authority.Key!.Data = Scalar(v); break;
                                case "path": authority.Key!.Path = Scalar(v); break;
                                default: throw Unknown(k);
                            }
                        }
                        break;
                    default: throw Unknown(key);
                }
            }
            return authority;
        }

        private static IdentityYaml? Identity(YamlNode node)
        {
            var identity = new IdentityYaml();
            foreach (var (key, value) in Mapping(node))
            {
                switch (key.Value)
                {
                    case "issuer": identity.Issuer = Scalar(value); break;
                    case "subject": identity.Subject = Scalar(value); break;
                    case "subjectRegExp": identity.SubjectRegExp = Scalar(value); break;
                    default: throw Unknown(key);
                }
            }
            return identity;
        }

        private static AttestationYaml? Attestation(YamlNode node)
        {
            var attestation = new AttestationYaml();
            foreach (var (key, value) in Mapping(node))
            {
                attestation.PredicateType = key.Value == "predicateType" ? Scalar(value) : throw Unknown(key);
            }
            return attestation;
        }

        // A null node (~, null, or nothing) is an empty mapping, as the deserializer left such a property unset.
        private static IEnumerable<(YamlScalarNode Key, YamlNode Value)> Mapping(YamlNode node)
        {
            if (IsNull(node))
            {
                return [];
            }
            if (node is not YamlMappingNode map)
            {
                throw new YamlException(node.Start, node.End, "expected a mapping (key: value)");
            }
            return map.Children.Select(c => c.Key is YamlScalarNode key
                ? (key, c.Value)
                : throw new YamlException(c.Key.Start, c.Key.End, "expected a plain key"));
        }

        private static List<T>? List<T>(YamlNode node, Func<YamlNode, T?> item) => IsNull(node) ? null
            : node is YamlSequenceNode sequence ? [.. sequence.Children.Select(item).OfType<T>()]
            : throw new YamlException(node.Start, node.End, "expected a list");

        private static string? Scalar(YamlNode node) => IsNull(node) ? null
            : node is YamlScalarNode scalar ? scalar.Value
            : throw new YamlException(node.Start, node.End, "expected a single value");

        private static bool IsNull(YamlNode node) => node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

        private static YamlException Unknown(YamlScalarNode key) => new(key.Start, key.End, $"unknown key '{key.Value}'");
    }
}

/// <summary>A TUF repository (the mirror URL) and the initial root.json the policy trusts it from (a full path).</summary>
internal sealed record GateTufSource(Uri Mirror, string Root);

/// <summary>One named policy.</summary>
internal sealed record GateRule(string Name, IReadOnlyList<string> Match, IReadOnlyList<Regex> Globs, IReadOnlyList<GateAuthority> Authorities, IReadOnlyList<string> Attestations);

/// <summary>An identity that may have signed (one keyless identity, or one key).</summary>
internal sealed record GateAuthority(IdentityPolicy Identity, string Description, string? PublicKeyPem);
