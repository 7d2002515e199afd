using System.Text;
using System.Text.Json;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Fulcio.Oidc;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.Fulcio.Api;

/// <summary>
/// Fulcio's REST surface as grpc-gateway serves it (reference/fulcio.md §1): v2 signingCert, trustBundle and configuration,
/// and the legacy v1 signingCert and rootCert.
/// </summary>
public static partial class FulcioEndpoints
{
    private const string PemChainContentType = "application/pem-certificate-chain";

    /// <summary>Maps the Fulcio routes.</summary>
    public static IEndpointRouteBuilder MapFulcio(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup("").AddEndpointFilter<FulcioErrorFilter>();
        api.MapPost("/api/v2/signingCert", CreateSigningCertificateAsync).WithRateLimit("issue");
        api.MapGet("/api/v2/trustBundle", GetTrustBundle).WithRateLimit("read");
        api.MapGet("/api/v2/configuration", GetConfiguration).WithRateLimit("read");
        api.MapPost("/api/v1/signingCert", CreateLegacySigningCertificateAsync).WithRateLimit("issue");
        api.MapGet("/api/v1/rootCert", GetRootCertificate).WithRateLimit("read");
        api.MapGet("/api/v2/ctLogPublicKey", GetCtLogPublicKey).WithRateLimit("read");
        return endpoints;
    }

    // POST /api/v2/signingCert (fulcio.proto CreateSigningCertificate).
    private static async Task<IResult> CreateSigningCertificateAsync(HttpContext context, CertificateIssuance issuance, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        CertificateRequestData request;
        try
        {
            using var document = await ReadBodyAsync(context, cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return FulcioError.BadRequest("the request body must be a JSON object");
            }

            // The token: credentials.oidcIdentityToken, else the Authorization: Bearer header (cmd/app/http.go).
            string token = ProtoJson.Message(root, "credentials", "credentials") is { } credentials
                ? ProtoJson.String(credentials, "oidcIdentityToken", "oidc_identity_token")
                : "";
            if (token.Length == 0)
            {
                token = BearerToken(context);
            }

            // oneof key { publicKeyRequest | certificateSigningRequest }.
            var publicKeyRequest = ProtoJson.Message(root, "publicKeyRequest", "public_key_request");
            byte[] csr = ProtoJson.Bytes(root, "certificateSigningRequest", "certificate_signing_request");
            if (publicKeyRequest is not null && csr.Length > 0)
            {
                return FulcioError.BadRequest("publicKeyRequest and certificateSigningRequest are mutually exclusive (oneof key)");
            }

            byte[]? publicKey = null;
            byte[]? proof = null;
            if (publicKeyRequest is { } pkr)
            {
                // publicKey.algorithm is ignored upstream (unknown enum strings are dropped): only the content matters.
                if (ProtoJson.Message(pkr, "publicKey", "public_key") is { } pk)
                {
                    publicKey = Encoding.UTF8.GetBytes(ProtoJson.String(pk, "content", "content"));
                }

                proof = ProtoJson.Bytes(pkr, "proofOfPossession", "proof_of_possession");
            }

            request = new CertificateRequestData(token, publicKey, proof, csr.Length > 0 ? csr : null);
        }
        catch (Exception e) when (e is JsonException or ProtoJsonException)
        {
            return FulcioError.BadRequest($"invalid request body: {e.Message}");
        }

        return await IssueAsync(issuance, request, loggers, issued =>
        {
            var certificates = new { certificates = issued.ChainPems };
            return issued.SctEmbedded
                ? Results.Json(new { signedCertificateEmbeddedSct = new { chain = certificates } })
                : Results.Json(new
                {
                    signedCertificateDetachedSct = new
                    {
                        chain = certificates,
                        signedCertificateTimestamp = issued.Sct is null ? "" : Convert.ToBase64String(DetachedSctJson(issued.Sct)),
                    },
                });
        }, cancellationToken).ConfigureAwait(false);
    }

    // POST /api/v1/signingCert (fulcio_legacy.proto): token only from the header; 201 with a PEM chain body.
    private static async Task<IResult> CreateLegacySigningCertificateAsync(HttpContext context, CertificateIssuance issuance, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        CertificateRequestData request;
        try
        {
            using var document = await ReadBodyAsync(context, cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return FulcioError.BadRequest("the request body must be a JSON object");
            }

            byte[] csr = ProtoJson.Bytes(root, "certificateSigningRequest", "certificate_signing_request");
            byte[]? publicKey = null;
            if (ProtoJson.Message(root, "publicKey", "public_key") is { } pk)
            {
                publicKey = ProtoJson.Bytes(pk, "content", "content");
            }

            byte[] proof = ProtoJson.Bytes(root, "signedEmailAddress", "signed_email_address");

            // legacy_server.go: the CSR wins when present; otherwise a null publicKey is "could not be parsed".
            request = new CertificateRequestData(BearerToken(context), publicKey, proof, csr.Length > 0 ? csr : null);
        }
        catch (Exception e) when (e is JsonException or ProtoJsonException)
        {
            return FulcioError.BadRequest($"invalid request body: {e.Message}");
        }

        return await IssueAsync(issuance, request, loggers, issued =>
        {
            if (!issued.SctEmbedded && issued.Sct is not null)
            {
                context.Response.Headers["SCT"] = Convert.ToBase64String(DetachedSctJson(issued.Sct));
            }

            return Results.Text(string.Join("\n", issued.ChainPems), PemChainContentType, Encoding.UTF8, StatusCodes.Status201Created);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> IssueAsync(CertificateIssuance issuance, CertificateRequestData request, ILoggerFactory loggers, Func<IssuedCertificate, IResult> respond, CancellationToken cancellationToken)
    {
        // Refusals and failures throw; FulcioErrorFilter answers in grpc-gateway's shape.
        var issued = await issuance.IssueAsync(request, cancellationToken).ConfigureAwait(false);
        var logger = loggers.CreateLogger("PrivateSigstore.Fulcio.Issuance");
        if (logger.IsEnabled(LogLevel.Debug))
        {
            string serial = Convert.ToHexString(issued.Serial);
            string mode = issued.SctEmbedded ? "embedded" : issued.Sct is null ? "none" : "detached";
            LogIssued(logger, serial, mode);
        }

        return respond(issued);
    }

    /// <summary>
    /// The one place where the Fulcio API turns exceptions into grpc-gateway's error shape with Fulcio's messages:
    /// token refusals (400 or 500 as upstream), issuance refusals (400), CT failures and CA failures (500).
    /// </summary>
    private sealed class FulcioErrorFilter : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Fulcio.Issuance");
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (OidcVerificationException e)
            {
                // Never log the token itself; the reason and detail say what was wrong with it.
                string reason = e.Reason + ": " + e.Detail;
                LogRefused(logger, "identity token", reason);

                var response = OidcErrors.ToResponse(e.Reason);
                return response.GrpcCode == FulcioError.InvalidArgument ? FulcioError.BadRequest(response.Message) : FulcioError.InternalError(response.Message);
            }
            catch (IssuanceException e)
            {
                string error = e.Error.ToString();
                string detail = e.Detail.Length > 0 ? e.Detail : e.Message;
                LogRefused(logger, error, detail);

                // Claim errors while building the principal are upstream's invalidCredentials.
                // The specific reason (e.g. "token missing email claim") goes in details, as google.rpc.DebugInfo.
                return e.Error == IssuanceError.InvalidIdentity
                    ? FulcioError.BadRequest(OidcErrors.InvalidCredentialsMessage, detail)
                    : FulcioError.BadRequest(e.Message);
            }
            catch (CtSubmissionException e)
            {
                LogCtFailure(logger, e);
                return FulcioError.InternalError(FulcioError.CtFailure);
            }
            catch (Exception e) when (e is not OperationCanceledException and not BadHttpRequestException)
            {
                LogCaFailure(logger, e);
                return FulcioError.InternalError(FulcioError.CaFailure);
            }
        }
    }

    // GET /api/v2/trustBundle: one chain (issuing CA … root), Go PEM with trailing newline.
    private static IResult GetTrustBundle(CertificateIssuance issuance) =>
        Results.Json(new { chains = new[] { new { certificates = issuance.Authority.TrustBundlePems } } });

    // GET /api/v1/rootCert: every certificate of every trust-bundle chain, concatenated.
    private static IResult GetRootCertificate(CertificateIssuance issuance) =>
        Results.Text(string.Concat(issuance.Authority.TrustBundlePems), PemChainContentType, Encoding.UTF8);

    // GET /api/v2/ctLogPublicKey (PrivateSigstore, not upstream): the CT log key the CA checks SCTs with, so that
    // trust material (trusted_root.json ctlogs) can be built from the running CA; trustBundle keeps upstream's exact shape.
    private static IResult GetCtLogPublicKey(PublishedCtLog ct) =>
        ct.PublicKeyPem is null
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No CT log key configured", detail: "Fulcio:CtLog:PublicKeyPath is not set on this CA")
            : Results.Json(new { url = ct.Url ?? "", publicKey = ct.PublicKeyPem });

    // GET /api/v2/configuration (pkg/config ToIssuers); EmitUnpopulated writes empty strings and false. Sorted for stable output.
    private static IResult GetConfiguration(CertificateIssuance issuance)
    {
        var config = issuance.Config;
        var issuers = config.OIDCIssuers.Values.OrderBy(i => i.IssuerUrl, StringComparer.Ordinal).Select(i => Issuer(i, wildcard: false))
            .Concat(config.MetaIssuers.Values.OrderBy(i => i.IssuerUrl, StringComparer.Ordinal).Select(i => Issuer(i, wildcard: true)));
        return Results.Json(new { issuers = issuers.ToList() });
    }

    private static Dictionary<string, object> Issuer(OidcIssuerConfig issuer, bool wildcard) => new()
    {
        [wildcard ? "wildcardIssuerUrl" : "issuerUrl"] = issuer.IssuerUrl,
        ["audience"] = issuer.ClientId,
        ["challengeClaim"] = issuer.EffectiveChallengeClaim,
        ["spiffeTrustDomain"] = issuer.SpiffeTrustDomain ?? "",
        ["issuerType"] = issuer.Type,
        ["subjectDomain"] = issuer.SubjectDomain ?? "",
        ["skipEmailVerification"] = issuer.SkipEmailVerification,
    };

    /// <summary>ct-go <c>AddChainResponse</c> JSON, as upstream puts in the detached SCT (pkg/ctl/utils.go).</summary>
    internal static byte[] DetachedSctJson(SignedCertificateTimestamp sct) => AddChainResponse.Serialize(sct);

    private static async Task<JsonDocument> ReadBodyAsync(HttpContext context, CancellationToken cancellationToken) =>
        await JsonDocument.ParseAsync(context.Request.Body, ProtoJson.DocumentOptions, cancellationToken).ConfigureAwait(false);

    // cmd/app/http.go extractOIDCTokenFromAuthHeader: the header with its "Bearer " prefix removed.
    private static string BearerToken(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Issued certificate serial {Serial} (SCT: {Sct})")]
    private static partial void LogIssued(ILogger logger, string serial, string sct);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Refused certificate request ({Reason}): {Detail}")]
    private static partial void LogRefused(ILogger logger, string reason, string detail);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "CT log submission failed; no certificate issued")]
    private static partial void LogCtFailure(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Issuance failed in the CA backend")]
    private static partial void LogCaFailure(ILogger logger, Exception exception);
}
