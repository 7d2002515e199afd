namespace PrivateSigstore.Fulcio.Config;

/// <summary>The identity configuration could not be parsed or is invalid.</summary>
public sealed class FulcioConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FulcioConfigException() { }
    /// <summary>Creates the exception.</summary>
    public FulcioConfigException(string message) : base(message) { }
    /// <summary>Creates the exception.</summary>
    public FulcioConfigException(string message, Exception innerException) : base(message, innerException) { }
}
