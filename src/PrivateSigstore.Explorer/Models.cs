using PrivateSigstore.Client.Rekor;

namespace PrivateSigstore.Explorer;

/// <summary>One search result row.</summary>
internal sealed record ResultRow(ExplorerLog Log, long Index, DateTimeOffset? Time, string Kind, string? Identity, string? Issuer, string? Digest, string Href);

/// <summary>A page of search results, newest first, with notes on what could not be searched.</summary>
internal sealed record SearchResults(Query Query, IReadOnlyList<ResultRow> Rows, int Page, int PageCount, int Total, IReadOnlyList<string> Notes);

/// <summary>An entry page's content (any log).</summary>
internal sealed record EntryModel
{
    public required ExplorerLog Log { get; init; }

    public required long Index { get; init; }

    public string? Uuid { get; init; }

    public DateTimeOffset? Time { get; init; }

    public required DecodedBody Body { get; init; }

    public CertificateView? Certificate { get; init; }

    /// <summary>The issuing chain from the trusted root (CA first after the leaf's issuer), when known.</summary>
    public IReadOnlyList<CertificateView> Chain { get; init; } = [];

    /// <summary>Each embedded SCT with the CT log entry it points to (index), when found.</summary>
    public IReadOnlyList<(SctView Sct, long? CtIndex)> CtLinks { get; init; } = [];

    /// <summary>The signer's public key (PEM) for key-signed entries.</summary>
    public string? PublicKeyPem { get; init; }

    /// <summary>Hex SHA-256 of the verifier's PEM, the key Rekor's search index uses for it.</summary>
    public string? RekorFingerprint { get; init; }

    public RekorEntry? RekorV1 { get; init; }

    /// <summary>The CT entry (CT log pages).</summary>
    public CtEntry? Ct { get; init; }

    /// <summary>CT log pages: the final certificate, from the matching Rekor entries, when the precertificate is logged.</summary>
    public CertificateView? FinalCertificate { get; init; }
}

/// <summary>A checkpoint the explorer saw (history on log pages).</summary>
internal sealed record SeenCheckpoint(DateTimeOffset SeenAt, ulong Size, string RootHashHex);

/// <summary>A log page's content.</summary>
internal sealed record LogModel(ExplorerLog Log, ulong Size, string RootHashHex, string CheckpointText, DateTimeOffset? Timestamp, IReadOnlyList<SeenCheckpoint> History, HourlyChart? Chart, string? ChartNote);

/// <summary>A consistency check's content (verified on the server here, and again in the browser).</summary>
internal sealed record ConsistencyModel(ExplorerLog Log, ulong First, ulong Second, string SecondRootHex, IReadOnlyList<string> ProofHex, string? FirstRootHex, bool ServerVerified, string? KnownFirstRootHex, string? GivenFirstRootHex, string? Problem);
