namespace PrivateSigstore.Tuf;

/// <summary>
/// A TUF failure with a message for the operator: malformed metadata, an unsupported key type, a signature
/// threshold not met, an expired or rolled-back role, a target whose bytes do not match its metadata.
/// </summary>
public class TufException : Exception
{
    public TufException(string message) : base(message) { }

    public TufException(string message, Exception inner) : base(message, inner) { }

    public TufException() { }
}

/// <summary>Metadata or keys that do not parse as TUF 1.0.</summary>
public sealed class TufFormatException : TufException
{
    public TufFormatException(string message) : base(message) { }

    public TufFormatException(string message, Exception inner) : base(message, inner) { }

    public TufFormatException() { }
}

/// <summary>Fewer valid signatures than the role's threshold.</summary>
public sealed class TufThresholdException : TufException
{
    public TufThresholdException(string message) : base(message) { }

    public TufThresholdException(string message, Exception inner) : base(message, inner) { }

    public TufThresholdException() { }
}

/// <summary>The client refused an update: rollback, freeze (expired), mix-and-match, or bytes that differ from the metadata.</summary>
public sealed class TufSecurityException : TufException
{
    public TufSecurityException(string message) : base(message) { }

    public TufSecurityException(string message, Exception inner) : base(message, inner) { }

    public TufSecurityException() { }
}
