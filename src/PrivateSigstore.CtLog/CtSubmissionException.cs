namespace PrivateSigstore.CtLog;

/// <summary>A submission the log refuses (RFC 6962 §4.1: 400 with a plain message); nothing was written.</summary>
public sealed class CtSubmissionException(string message) : Exception(message);
