namespace PrivateSigstore.Rekor.Entries;

/// <summary>Where in upstream's request pipeline a rejection happens; decides the message prefix and status.</summary>
internal enum FailureStage
{
    /// <summary>Size bound before any parsing (our bound; upstream leaves it to the HTTP server): 413, no prefix.</summary>
    TooLarge,

    /// <summary>The body is not JSON or not an object (go-openapi body binding): 400, no prefix.</summary>
    Parse,

    /// <summary>go-openapi validation of the top-level model (kind, apiVersion, spec): 422, no prefix.</summary>
    Binding,

    /// <summary><c>CreateVersionedEntry</c>, algorithm policy or <c>Canonicalize</c>: 400, prefix <c>error processing entry: </c>.</summary>
    Processing,
}

/// <summary>
/// Internal carrier for a rejection while an entry is processed; <see cref="RekorEntries"/> turns it into a
/// <see cref="RekorEntryException"/> with the public reason. Never escapes the assembly.
/// </summary>
internal sealed class EntryFailure : Exception
{
    public EntryFailure(string detail, FailureStage stage, Exception? inner = null)
        : base(detail, inner) => Stage = stage;

    public EntryFailure() : this("invalid entry") { }

    public EntryFailure(string message) : this(message, FailureStage.Processing) { }

    public EntryFailure(string message, Exception inner) : this(message, FailureStage.Processing, inner) { }

    public FailureStage Stage { get; }
}
