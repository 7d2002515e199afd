using PrivateSigstore.Core.Rekor;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using PrivateSigstore.Core.Certificates;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PrivateSigstore.Monitor;

/// <summary>The identity configuration is invalid; the message names the line.</summary>
public sealed class IdentityConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A <c>certIdentities</c> item: SAN regex and optional issuer regexes.</summary>
internal sealed record CertIdentity(Regex Subject, IReadOnlyList<Regex> Issuers, string Text);

/// <summary>An OID matcher (<c>oidMatchers</c>, <c>customExtensions</c>, <c>fulcioExtensions</c>): an extension and accepted values.</summary>
internal sealed record OidMatcher(string Oid, IReadOnlyList<string> Values);

/// <summary>What matched in an entry.</summary>
internal sealed record IdentityMatch(string Identity, string? Issuer, IReadOnlyList<string> Rules, string Fingerprint);

/// <summary>
/// rekor-monitor's <c>monitoredValues</c> (pkg/identity): <c>certIdentities</c> [{certSubject, issuers}], <c>subjects</c>,
/// <c>fingerprints</c>, <c>oidMatchers</c> [{objectIdentifier (dotted or an array of arcs), extensionValues}],
/// <c>customExtensions</c> and <c>fulcioExtensions</c>. Regular expressions must match the whole value. Other
/// top-level keys of the rekor-monitor file (<c>startIndex</c>, <c>endIndex</c>, output files) are accepted and ignored.
/// </summary>
internal sealed class IdentityWatch
{
    private static readonly Dictionary<string, string> FulcioExtensionOids = new(StringComparer.Ordinal)
    {
        ["issuer"] = SigstoreOids.IssuerV2,
        ["github-workflow-trigger"] = SigstoreOids.GithubWorkflowTrigger,
        ["github-workflow-sha"] = SigstoreOids.GithubWorkflowSha,
        ["github-workflow-name"] = SigstoreOids.GithubWorkflowName,
        ["github-workflow-repository"] = SigstoreOids.GithubWorkflowRepository,
        ["github-workflow-ref"] = SigstoreOids.GithubWorkflowRef,
        ["build-signer-uri"] = SigstoreOids.BuildSignerUri,
        ["build-signer-digest"] = SigstoreOids.BuildSignerDigest,
        ["runner-environment"] = SigstoreOids.RunnerEnvironment,
        ["source-repository-uri"] = SigstoreOids.SourceRepositoryUri,
        ["source-repository-digest"] = SigstoreOids.SourceRepositoryDigest,
        ["source-repository-ref"] = SigstoreOids.SourceRepositoryRef,
        ["source-repository-identifier"] = SigstoreOids.SourceRepositoryIdentifier,
        ["source-repository-owner-uri"] = SigstoreOids.SourceRepositoryOwnerUri,
        ["source-repository-owner-identifier"] = SigstoreOids.SourceRepositoryOwnerIdentifier,
        ["build-config-uri"] = SigstoreOids.BuildConfigUri,
        ["build-config-digest"] = SigstoreOids.BuildConfigDigest,
        ["build-trigger"] = SigstoreOids.BuildTrigger,
        ["run-invocation-uri"] = SigstoreOids.RunInvocationUri,
        ["source-repository-visibility-at-signing"] = SigstoreOids.SourceRepositoryVisibilityAtSigning,
        ["deployment-environment"] = SigstoreOids.DeploymentEnvironment,
    };

    private static readonly HashSet<string> IgnoredTopLevel = new(StringComparer.Ordinal)
    {
        "startIndex", "endIndex", "outputIdentities", "logInfoFile", "identityMetadataFile", "serverURL", "interval", "once",
    };

    public IReadOnlyList<CertIdentity> CertIdentities { get; private init; } = [];

    public IReadOnlyList<Regex> Subjects { get; private init; } = [];

    public IReadOnlySet<string> Fingerprints { get; private init; } = new HashSet<string>();

    public IReadOnlyList<OidMatcher> OidMatchers { get; private init; } = [];

    public bool IsEmpty => CertIdentities.Count == 0 && Subjects.Count == 0 && Fingerprints.Count == 0 && OidMatchers.Count == 0;

    /// <summary>Reads a rekor-monitor configuration file; throws <see cref="IdentityConfigException"/> naming the file and line.</summary>
    public static IdentityWatch Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (IOException e)
        {
            throw new IdentityConfigException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses a rekor-monitor configuration; <paramref name="source"/> names it in errors.</summary>
    public static IdentityWatch Parse(string yaml, string source = "identity configuration")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new IdentityConfigException($"{source}: line {e.Start.Line}: {e.Message}", e);
        }
        if (stream.Documents.Count == 0) return new IdentityWatch();
        var root = Map(stream.Documents[0].RootNode, source, "the document");
        var certIdentities = new List<CertIdentity>();
        var subjects = new List<Regex>();
        var fingerprints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var oids = new List<OidMatcher>();
        foreach (var (keyNode, value) in root.Children)
        {
            var key = Scalar(keyNode, source);
            if (IgnoredTopLevel.Contains(key)) continue;
            if (key != "monitoredValues") throw Error(source, keyNode, $"unknown key \"{key}\" (expected monitoredValues)");
            if (value is YamlScalarNode { Value: null or "" }) continue;
            foreach (var (k, v) in Map(value, source, "monitoredValues").Children)
            {
                var name = Scalar(k, source);
                switch (name)
                {
                    case "certIdentities":
                        foreach (var item in Seq(v, source, name))
                        {
                            Regex? subject = null;
                            var issuers = new List<Regex>();
                            string text = "";
                            foreach (var (ik, iv) in Map(item, source, "a certIdentities item").Children)
                            {
                                switch (Scalar(ik, source))
                                {
                                    case "certSubject":
                                        text = Scalar(iv, source);
                                        subject = Pattern(iv, source);
                                        break;
                                    case "issuers":
                                        issuers.AddRange(Seq(iv, source, "issuers").Select(n => Pattern(n, source)));
                                        break;
                                    default:
                                        throw Error(source, ik, $"unknown key \"{Scalar(ik, source)}\" in a certIdentities item (expected certSubject, issuers)");
                                }
                            }
                            if (subject is null) throw Error(source, item, "a certIdentities item needs certSubject");
                            certIdentities.Add(new CertIdentity(subject, issuers, text));
                        }
                        break;
                    case "subjects":
                        subjects.AddRange(Seq(v, source, name).Select(n => Pattern(n, source)));
                        break;
                    case "fingerprints":
                        foreach (var n in Seq(v, source, name))
                        {
                            var f = Scalar(n, source).Trim().Replace(":", "", StringComparison.Ordinal);
                            if (f.Length == 0) throw Error(source, n, "an empty fingerprint");
                            fingerprints.Add(f);
                        }
                        break;
                    case "oidMatchers":
                    case "customExtensions":
                        foreach (var item in Seq(v, source, name))
                        {
                            string? oid = null;
                            var values = new List<string>();
                            foreach (var (ik, iv) in Map(item, source, $"a {name} item").Children)
                            {
                                switch (Scalar(ik, source))
                                {
                                    case "objectIdentifier":
                                    case "oid":
                                        oid = iv is YamlSequenceNode arcs ? string.Join('.', arcs.Children.Select(a => Scalar(a, source))) : Scalar(iv, source);
                                        if (!IsOid(oid)) throw Error(source, iv, $"\"{oid}\" is not an object identifier");
                                        break;
                                    case "extensionValues":
                                        values.AddRange(iv is YamlSequenceNode s ? s.Children.Select(c => Scalar(c, source)) : [Scalar(iv, source)]);
                                        break;
                                    default:
                                        throw Error(source, ik, $"unknown key \"{Scalar(ik, source)}\" in a {name} item (expected objectIdentifier, extensionValues)");
                                }
                            }
                            if (oid is null) throw Error(source, item, $"a {name} item needs objectIdentifier");
                            if (values.Count == 0) throw Error(source, item, $"a {name} item needs extensionValues");
                            oids.Add(new OidMatcher(oid, values));
                        }
                        break;
                    case "fulcioExtensions":
                        foreach (var (ek, ev) in Map(v, source, name).Children)
                        {
                            var extension = Scalar(ek, source);
                            if (!FulcioExtensionOids.TryGetValue(extension, out var oid)) throw Error(source, ek, $"unknown Fulcio extension \"{extension}\"");
                            oids.Add(new OidMatcher(oid, ev is YamlSequenceNode s ? [.. s.Children.Select(c => Scalar(c, source))] : [Scalar(ev, source)]));
                        }
                        break;
                    default:
                        throw Error(source, k, $"unknown key \"{name}\" in monitoredValues (expected certIdentities, subjects, fingerprints, oidMatchers, customExtensions, fulcioExtensions)");
                }
            }
        }
        return new IdentityWatch { CertIdentities = certIdentities, Subjects = subjects, Fingerprints = fingerprints, OidMatchers = oids };
    }

    /// <summary>What in <paramref name="material"/> matches, or null.</summary>
    public IdentityMatch? Match(EntryMaterial material)
    {
        foreach (var der in material.Certificates)
        {
            X509Certificate2 cert;
            try
            {
                cert = X509CertificateLoader.LoadCertificate(der);
            }
            catch (CryptographicException)
            {
                continue;
            }
            using (cert)
            {
                if (MatchCertificate(cert, der) is { } match) return match;
            }
        }
        foreach (var spki in material.PublicKeys)
        {
            var fingerprint = Convert.ToHexStringLower(SHA256.HashData(spki));
            if (Fingerprints.Contains(fingerprint)) return new IdentityMatch(fingerprint, null, ["fingerprint " + fingerprint], fingerprint);
        }
        return null;
    }

    private IdentityMatch? MatchCertificate(X509Certificate2 cert, byte[] der)
    {
        var rules = new List<string>();
        string? identity = null;
        SubjectAltNames sans;
        try
        {
            sans = SubjectAltNames.Read(cert);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or PrivateSigstore.Core.WireFormatException)
        {
            sans = new SubjectAltNames([], [], []);
        }
        string[] names = [.. sans.Emails, .. sans.Uris, .. sans.Usernames];
        var issuer = Issuer(cert);
        foreach (var rule in CertIdentities)
        {
            foreach (var name in names)
            {
                if (!FullMatch(rule.Subject, name)) continue;
                if (rule.Issuers.Count > 0 && (issuer is null || !rule.Issuers.Any(r => FullMatch(r, issuer)))) continue;
                identity ??= name;
                rules.Add("certIdentities " + rule.Text);
                break;
            }
        }
        foreach (var subject in Subjects)
        {
            foreach (var name in names.Append(cert.Subject))
            {
                if (!FullMatch(subject, name)) continue;
                identity ??= name;
                rules.Add("subjects " + subject);
                break;
            }
        }
        var certFingerprint = Convert.ToHexStringLower(SHA256.HashData(der));
        var keyFingerprint = Convert.ToHexStringLower(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
        foreach (var f in new[] { certFingerprint, keyFingerprint })
        {
            if (!Fingerprints.Contains(f)) continue;
            identity ??= f;
            rules.Add("fingerprint " + f);
        }
        foreach (var matcher in OidMatchers)
        {
            if (cert.Extensions[matcher.Oid] is not { } extension) continue;
            var value = ExtensionText(extension.RawData);
            if (!matcher.Values.Contains(value, StringComparer.Ordinal)) continue;
            identity ??= names.FirstOrDefault() ?? cert.Subject;
            rules.Add($"oid {matcher.Oid}={value}");
        }
        return rules.Count == 0 ? null : new IdentityMatch(identity!, issuer, rules, certFingerprint);
    }

    /// <summary>The Fulcio OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), else the legacy 1.1 (raw text).</summary>
    internal static string? Issuer(X509Certificate2 cert)
    {
        if (cert.Extensions[SigstoreOids.IssuerV2] is { } v2) return ExtensionText(v2.RawData);
        if (cert.Extensions[SigstoreOids.Issuer] is { } v1) return Encoding.UTF8.GetString(v1.RawData);
        return null;
    }

    /// <summary>A DER string's text, or the raw bytes as UTF-8 (the legacy Fulcio extensions).</summary>
    private static string ExtensionText(byte[] raw)
    {
        try
        {
            var reader = new AsnReader(raw, AsnEncodingRules.DER);
            var tag = reader.PeekTag();
            var text = reader.ReadCharacterString((UniversalTagNumber)tag.TagValue);
            if (!reader.HasData) return text;
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException)
        {
        }
        return Encoding.UTF8.GetString(raw);
    }

    private static bool FullMatch(Regex regex, string value)
    {
        try
        {
            var m = regex.Match(value);
            return m.Success && m.Index == 0 && m.Length == value.Length;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static Regex Pattern(YamlNode node, string source)
    {
        var text = Scalar(node, source);
        try
        {
            // rekor-monitor's patterns are Go regexps: RE2 meaning, linear time, anchored at both ends of the text.
            return PrivateSigstore.Client.Verification.GoRegexp.Compile($"^(?:{text})$");
        }
        catch (ArgumentException e)
        {
            throw Error(source, node, e.Message);
        }
    }

    private static bool IsOid(string text)
    {
        var arcs = text.Split('.');
        return arcs.Length >= 2 && arcs.All(a => a.Length is > 0 and <= 20 && a.All(char.IsAsciiDigit));
    }

    private static YamlMappingNode Map(YamlNode node, string source, string what) =>
        node as YamlMappingNode ?? throw Error(source, node, $"{what} must be a mapping");

    private static IEnumerable<YamlNode> Seq(YamlNode node, string source, string what) =>
        node switch
        {
            YamlSequenceNode s => s.Children,
            YamlScalarNode { Value: null or "" } => [],
            _ => throw Error(source, node, $"{what} must be a list"),
        };

    private static string Scalar(YamlNode node, string source) =>
        (node as YamlScalarNode)?.Value ?? throw Error(source, node, "expected a single value");

    private static IdentityConfigException Error(string source, YamlNode node, string message) =>
        new($"{source}: line {node.Start.Line}: {message}");
}
