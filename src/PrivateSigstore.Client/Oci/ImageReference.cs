using System.Text.RegularExpressions;

namespace PrivateSigstore.Client.Oci;

/// <summary>
/// An image reference: <c>registry[:port]/repository[:tag][@sha256:hex]</c>, parsed as the distribution reference
/// grammar (<c>distribution/reference</c>) does. A first path component with a dot, a colon or <c>localhost</c> is the
/// registry; otherwise the registry is Docker Hub (<c>index.docker.io</c>, with <c>library/</c> for one-component names),
/// as docker and cosign resolve it.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    /// <summary>Docker Hub's registry host, as go-containerregistry names it.</summary>
    public const string DockerHub = "index.docker.io";

    /// <summary>The reference by digest (always set after resolution): <c>registry/repository@sha256:…</c>.</summary>
    public string ByDigest(string digest) => $"{Registry}/{Repository}@{digest}";

    /// <summary>The tag or digest this reference names (the tag when both are given, so callers can check it).</summary>
    public string Identifier => Digest ?? Tag ?? "latest";

    /// <summary>True when the reference names a digest, so no tag needs resolving.</summary>
    public bool IsDigest => Digest is not null;

    /// <inheritdoc />
    public override string ToString() => $"{Registry}/{Repository}" + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text.Trim();
        if (rest.Length == 0 || rest.Length > 4096)
        {
            throw new FormatException("an image reference is registry/repository:tag or registry/repository@sha256:<hex>");
        }
        string? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!IsSha256Digest(digest))
            {
                throw new FormatException($"\"{digest}\" is not a digest (sha256:<64 lowercase hex>)");
            }
        }
        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                throw new FormatException($"\"{tag}\" is not a valid tag");
            }
        }
        string registry;
        string repository;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? "" : rest[..slash];
        if (slash > 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"))
        {
            registry = first;
            repository = rest[(slash + 1)..];
        }
        else
        {
            registry = DockerHub;
            repository = slash < 0 ? "library/" + rest : rest;
        }
        if (registry is "docker.io" or "registry-1.docker.io")
        {
            registry = DockerHub;
        }
        if (!RepositoryPattern().IsMatch(repository))
        {
            throw new FormatException($"\"{repository}\" is not a valid repository name (lowercase letters, digits, separators . _ - /)");
        }
        if (tag is null && digest is null)
        {
            tag = "latest";
        }
        return new ImageReference(registry, repository, tag, digest);
    }

    /// <summary>True for <c>sha256:</c> and 64 lowercase hex digits.</summary>
    public static bool IsSha256Digest(string value) => Sha256Pattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Sha256Pattern();
}
