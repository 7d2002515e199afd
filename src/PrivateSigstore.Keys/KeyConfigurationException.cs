namespace PrivateSigstore.Keys;

/// <summary>
/// A signing key cannot be loaded or created as configured: a missing, unreadable or malformed key
/// file, a wrong password, an unknown token or key label, a rejected PIN, an algorithm mismatch or
/// invalid options. The message says what is wrong and where (file path, token label, option name);
/// it never contains a password or PIN.
/// </summary>
public sealed class KeyConfigurationException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public KeyConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message saying what is wrong and where.</summary>
    public KeyConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying failure.</summary>
    public KeyConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
