namespace PrivateSigstore.Fulcio.Oidc;

/// <summary>Why an identity token was rejected.</summary>
public enum OidcErrorReason
{
    /// <summary>The token exceeds <see cref="OidcVerifierOptions.MaxTokenBytes"/> (GHSA-f83f-xpx7-ffpw).</summary>
    TokenTooLarge,
    /// <summary>Empty or not a compact JWS.</summary>
    MalformedToken,
    /// <summary>The unverified <c>iss</c> matches no configured or meta issuer.</summary>
    UnknownIssuer,
    /// <summary>The <c>alg</c> is not in the allow-list (<c>none</c>, HS*, EdDSA, …).</summary>
    UnsupportedAlgorithm,
    /// <summary>Discovery, JWKS or the static JWKS file could not be read.</summary>
    KeysUnavailable,
    /// <summary>No key with the token's <c>kid</c>, even after a refresh.</summary>
    UnknownKey,
    /// <summary>The signature does not verify.</summary>
    InvalidSignature,
    /// <summary>The <c>iss</c> claim is not the issuer's URL.</summary>
    WrongIssuer,
    /// <summary>The <c>aud</c> claim does not contain the issuer's client ID.</summary>
    WrongAudience,
    /// <summary>No <c>exp</c> claim.</summary>
    MissingExpiry,
    /// <summary>Past <c>exp</c> (no leeway).</summary>
    Expired,
    /// <summary><c>nbf</c> beyond the leeway.</summary>
    NotYetValid,
    /// <summary><c>iat</c> beyond the leeway.</summary>
    IssuedInFuture,
    /// <summary>A claim is outside the issuer's <c>AllowedClaims</c>.</summary>
    ClaimNotAllowed,
}

/// <summary>An identity token failed verification.</summary>
public sealed class OidcVerificationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OidcVerificationException(OidcErrorReason reason, string detail, Exception? innerException = null)
        : base($"{reason}: {detail}", innerException)
    {
        Reason = reason;
        Detail = detail;
    }

    /// <summary>Creates the exception.</summary>
    public OidcVerificationException() : this(OidcErrorReason.MalformedToken, "invalid token") { }
    /// <summary>Creates the exception.</summary>
    public OidcVerificationException(string message) : this(OidcErrorReason.MalformedToken, message) { }
    /// <summary>Creates the exception.</summary>
    public OidcVerificationException(string message, Exception innerException) : this(OidcErrorReason.MalformedToken, message, innerException) { }

    /// <summary>The reason.</summary>
    public OidcErrorReason Reason { get; }
    /// <summary>Diagnostic detail for logs; never returned to clients (Fulcio returns a fixed message).</summary>
    public string Detail { get; }
}

/// <summary>What the HTTP layer returns: HTTP status, gRPC code and Fulcio's fixed client message.</summary>
/// <param name="HttpStatus">HTTP status code.</param>
/// <param name="GrpcCode">google.rpc code for the <c>{"code":…,"message":…,"details":[]}</c> body.</param>
/// <param name="Message">Client message, exactly as upstream <c>pkg/server/error.go</c>.</param>
public sealed record OidcErrorResponse(int HttpStatus, int GrpcCode, string Message);

/// <summary>Mapping of <see cref="OidcErrorReason"/> to Fulcio's error contract.</summary>
public static class OidcErrors
{
    /// <summary>Upstream <c>invalidCredentials</c>.</summary>
    public const string InvalidCredentialsMessage = "There was an error processing the identity token";

    private static readonly OidcErrorResponse InvalidArgument = new(400, 3, InvalidCredentialsMessage);

    /// <summary>
    /// Every reason maps to gRPC InvalidArgument (3) → HTTP 400 with "There was an error processing the identity token":
    /// current Fulcio returns this for malformed, expired, wrong-audience, bad-signature and unknown-issuer tokens (never 401).
    /// </summary>
    public static IReadOnlyDictionary<OidcErrorReason, OidcErrorResponse> Responses { get; } =
        Enum.GetValues<OidcErrorReason>().ToDictionary(r => r, _ => InvalidArgument);

    /// <summary>The response for <paramref name="reason"/>.</summary>
    public static OidcErrorResponse ToResponse(OidcErrorReason reason) => Responses[reason];
}
