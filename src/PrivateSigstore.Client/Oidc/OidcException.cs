namespace PrivateSigstore.Client.Oidc;

/// <summary>A token flow failed; <see cref="Error"/> is the OAuth error code (RFC 6749 §5.2, RFC 8628 §3.5) or one of ours.</summary>
public class OidcException : InvalidOperationException
{
    /// <summary>A failure with its OAuth error code.</summary>
    public OidcException(string error, string message, Exception? inner = null) : base(message, inner) => Error = error;

    /// <summary>An unspecified failure.</summary>
    public OidcException() : this("unknown", "OIDC token flow failed") { }

    /// <summary>A failure with a message.</summary>
    public OidcException(string message) : this("unknown", message) { }

    /// <summary>A failure with a message and its cause.</summary>
    public OidcException(string message, Exception inner) : this("unknown", message, inner) { }

    /// <summary>The OAuth error code, e.g. <c>access_denied</c>, <c>expired_token</c>, <c>invalid_grant</c>.</summary>
    public string Error { get; }

    /// <summary>The typed exception for an OAuth error code.</summary>
    public static OidcException For(string error, string message) => error switch
    {
        "access_denied" => new AccessDeniedException(message),
        "expired_token" => new ExpiredTokenException(message),
        _ => new OidcException(error, message),
    };
}

/// <summary>The person refused the request (RFC 8628 §3.5 <c>access_denied</c>, or an authorization response's error).</summary>
public sealed class AccessDeniedException : OidcException
{
    /// <summary>A refusal.</summary>
    public AccessDeniedException(string message) : base("access_denied", message) { }

    /// <summary>A refusal.</summary>
    public AccessDeniedException() : this("the authorization request was denied") { }

    /// <summary>A refusal with its cause.</summary>
    public AccessDeniedException(string message, Exception inner) : base("access_denied", message, inner) { }
}

/// <summary>The device code expired before the person approved it (RFC 8628 §3.5 <c>expired_token</c>, or <c>expires_in</c> passed).</summary>
public sealed class ExpiredTokenException : OidcException
{
    /// <summary>An expiry.</summary>
    public ExpiredTokenException(string message) : base("expired_token", message) { }

    /// <summary>An expiry.</summary>
    public ExpiredTokenException() : this("the device code expired") { }

    /// <summary>An expiry with its cause.</summary>
    public ExpiredTokenException(string message, Exception inner) : base("expired_token", message, inner) { }
}
