namespace PrivateSigstore.Log;

/// <summary>
/// The log cannot accept more entries right now: its queue of entries waiting to be sequenced is full.
/// Personalities SHOULD apply back-pressure (HTTP: 503 with a Retry-After header). Nothing was accepted.
/// </summary>
public sealed class LogPushbackException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogPushbackException(string message, TimeSpan retryAfter) : base(message) => RetryAfter = retryAfter;

    /// <summary>Creates the exception.</summary>
    public LogPushbackException() : this("the log is busy; retry later", TimeSpan.FromSeconds(1)) { }

    /// <summary>Creates the exception.</summary>
    public LogPushbackException(string message) : this(message, TimeSpan.FromSeconds(1)) { }

    /// <summary>Creates the exception.</summary>
    public LogPushbackException(string message, Exception inner) : base(message, inner) => RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>How long a client should wait before retrying.</summary>
    public TimeSpan RetryAfter { get; }
}

/// <summary>An entry was refused before sequencing (too large, empty, …). Nothing was written.</summary>
public sealed class InvalidEntryException : Exception
{
    /// <summary>Creates the exception with the reason the entry was refused.</summary>
    public InvalidEntryException(string reason) : base(reason) => Reason = reason;

    /// <summary>Creates the exception.</summary>
    public InvalidEntryException() : this("invalid entry") { }

    /// <summary>Creates the exception.</summary>
    public InvalidEntryException(string reason, Exception inner) : base(reason, inner) => Reason = reason;

    /// <summary>Why the entry was refused.</summary>
    public string Reason { get; }
}

/// <summary>The log is frozen (a read-only shard): it serves reads and its last checkpoint but accepts no appends.</summary>
public sealed class LogFrozenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogFrozenException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LogFrozenException() : this("the log is frozen and accepts no new entries") { }

    /// <summary>Creates the exception.</summary>
    public LogFrozenException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The store's contents contradict each other (a missing tile, a torn batch, a checkpoint that does not match
/// the tree). The log refuses to start or to serve rather than serve something wrong.
/// </summary>
public sealed class LogCorruptedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogCorruptedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LogCorruptedException() : this("the log store is corrupted") { }

    /// <summary>Creates the exception.</summary>
    public LogCorruptedException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A read asked for something the log does not have (an index beyond the tree, a size not yet published).</summary>
public sealed class LogRangeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogRangeException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public LogRangeException() : this("out of range") { }

    /// <summary>Creates the exception.</summary>
    public LogRangeException(string message, Exception inner) : base(message, inner) { }
}
