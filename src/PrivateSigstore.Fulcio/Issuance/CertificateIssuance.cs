using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Fulcio.Ca;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Oidc;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>A request for a signing certificate: the identity token plus either a key with its proof of possession, or a CSR.</summary>
/// <param name="Token">The raw OIDC identity token.</param>
/// <param name="PublicKey">PEM or DER SubjectPublicKeyInfo (with <paramref name="ProofOfPossession"/>), or null with a CSR.</param>
/// <param name="ProofOfPossession">The signature over the token's <c>sub</c> or <c>email</c>.</param>
/// <param name="Csr">A PKCS#10 CSR (PEM or DER), or null.</param>
public sealed record CertificateRequestData(string Token, byte[]? PublicKey, byte[]? ProofOfPossession, byte[]? Csr);

/// <summary>An issued certificate with its chain and SCT.</summary>
/// <param name="CertificateDer">The leaf, DER.</param>
/// <param name="Serial">The leaf's serial number (big-endian).</param>
/// <param name="ChainPems">Leaf, issuing CA, …, root as Go PEM without trailing newline (upstream TrimSpace).</param>
/// <param name="Sct">The SCT: embedded in the leaf, or detached; null when CT is disabled.</param>
/// <param name="SctEmbedded">Whether <paramref name="Sct"/> is embedded in the leaf.</param>
public sealed record IssuedCertificate(byte[] CertificateDer, byte[] Serial, IReadOnlyList<string> ChainPems, SignedCertificateTimestamp? Sct, bool SctEmbedded);

/// <summary>
/// Fulcio's issuance pipeline (<c>pkg/server/grpc_server.go CreateSigningCertificate</c>): verify the token → map the
/// identity → check the proof of possession and the key policy → build the precertificate → get its SCT → sign the final
/// certificate → count it. Nothing is issued when any step fails.
/// </summary>
public sealed class CertificateIssuance
{
    private static readonly Meter Meter = new("PrivateSigstore.Fulcio");
    private static readonly Counter<long> NewCertificates = Meter.CreateCounter<long>("fulcio_new_certs", description: "Certificates issued");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("fulcio_issuance_failures", description: "Refused or failed issuance requests, by reason");
    private static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("fulcio_issuance_duration", unit: "ms", description: "Time to issue one certificate (token verification to final signature)");

    private readonly FulcioConfig _config;
    private readonly OidcVerifier _verifier;
    private readonly CertificateAuthority _ca;
    private readonly ICertificateTransparencyLog? _ct;
    private readonly CtMode _ctMode;
    private readonly TimeSpan _validity;
    private readonly TimeProvider _time;

    /// <summary>Creates the pipeline. <paramref name="ct"/> null disables CT (a detached, empty SCT, as upstream without a log).</summary>
    public CertificateIssuance(FulcioConfig config, OidcVerifier verifier, CertificateAuthority ca, ICertificateTransparencyLog? ct, CtMode ctMode, TimeSpan validity, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(ca);
        _config = config;
        _verifier = verifier;
        _ca = ca;
        _ct = ct;
        _ctMode = ctMode;
        _validity = validity;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The CA this pipeline issues from.</summary>
    public CertificateAuthority Authority => _ca;

    /// <summary>The issuer configuration.</summary>
    public FulcioConfig Config => _config;

    /// <summary>Whether a CT log is configured.</summary>
    public bool CtEnabled => _ct is not null;

    /// <summary>The CT mode (meaningful when <see cref="CtEnabled"/>).</summary>
    public CtMode CtMode => _ctMode;

    /// <summary>Issues a certificate for <paramref name="request"/>.</summary>
    /// <exception cref="OidcVerificationException">The token is missing, malformed, expired, from an unknown issuer, or fails verification.</exception>
    /// <exception cref="IssuanceException">The identity, key, proof of possession or CSR is refused.</exception>
    /// <exception cref="CtSubmissionException">The CT log did not return a valid SCT.</exception>
    public async Task<IssuedCertificate> IssueAsync(CertificateRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        long started = Stopwatch.GetTimestamp();
        try
        {
            var issued = await IssueCoreAsync(request, cancellationToken).ConfigureAwait(false);
            NewCertificates.Add(1);
            Latency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return issued;
        }
        catch (Exception e) when (e is OidcVerificationException or IssuanceException or CtSubmissionException)
        {
            Failures.Add(1, new KeyValuePair<string, object?>("reason", e switch
            {
                OidcVerificationException o => "token:" + o.Reason,
                IssuanceException i => i.Error.ToString(),
                _ => "ct",
            }));
            throw;
        }
    }

    private async Task<IssuedCertificate> IssueCoreAsync(CertificateRequestData request, CancellationToken cancellationToken)
    {
        // 1. Verify the token (issuer, signature, audience, expiry, allowed claims).
        var token = await _verifier.VerifyAsync(request.Token, cancellationToken).ConfigureAwait(false);

        // 2. Map the identity to a principal (SAN + extensions) by the issuer's type.
        var principal = PrincipalMapper.Map(PrincipalRequests.From(token, _config));

        // 3. Proof of possession + key policy: a CSR wins when present (upstream legacy and v2 oneof).
        var key = request.Csr is { Length: > 0 } csr
            ? ProofOfPossession.VerifyCsr(csr)
            : request.PublicKey is { Length: > 0 } publicKey
                ? ProofOfPossession.VerifyChallenge(publicKey, request.ProofOfPossession ?? [], principal)
                : throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, "the request has neither a public key nor a CSR");

        // 4. Build and sign: precertificate → SCT → final certificate (embedded), or certificate → SCT (detached), or no CT.
        var now = _time.GetUtcNow();
        var serial = CertificateProfile.NewSerial();
        var subjectKey = ClientKeyPolicy.ToX509(key);
        byte[] leafDer;
        SignedCertificateTimestamp? sct = null;
        bool embedded = false;
        if (_ct is null)
        {
            using var leaf = CertificateProfile.BuildLeaf(subjectKey, principal, _ca.Issuer, _ca.Key, now, _validity, serial);
            leafDer = leaf.RawData;
        }
        else if (_ctMode == CtMode.Embedded)
        {
            byte[] precertificateDer;
            using (var precertificate = CertificateProfile.BuildPrecertificate(subjectKey, principal, _ca.Issuer, _ca.Key, now, _validity, serial))
            {
                precertificateDer = precertificate.RawData;
            }

            sct = await SubmitAsync(_ct.AddPreChainAsync, [precertificateDer, .. _ca.ChainDer], cancellationToken).ConfigureAwait(false);

            // The final certificate is the precertificate's TBS with the SCT list where the poison was (RFC 6962 §3.1),
            // re-signed: identical otherwise by construction.
            leafDer = CertificateProfile.FinalFromPrecertificate(precertificateDer, SctList.ToExtension([sct]), _ca.Key);
            embedded = true;
        }
        else
        {
            using (var leaf = CertificateProfile.BuildLeaf(subjectKey, principal, _ca.Issuer, _ca.Key, now, _validity, serial))
            {
                leafDer = leaf.RawData;
            }

            sct = await SubmitAsync(_ct.AddChainAsync, [leafDer, .. _ca.ChainDer], cancellationToken).ConfigureAwait(false);
        }

        var pems = new List<string>(1 + _ca.TrimmedChainPems.Count) { Core.Pem.GoPem.Encode("CERTIFICATE", leafDer).TrimEnd('\n') };
        pems.AddRange(_ca.TrimmedChainPems);
        return new IssuedCertificate(leafDer, serial, pems, sct, embedded);
    }

    // A CT failure of any kind (refused, unreachable, an SCT that does not verify) issues nothing (upstream: 500).
    private static async Task<SignedCertificateTimestamp> SubmitAsync(
        Func<IReadOnlyList<byte[]>, CancellationToken, Task<SignedCertificateTimestamp>> submit,
        IReadOnlyList<byte[]> chain,
        CancellationToken cancellationToken)
    {
        try
        {
            return await submit(chain, cancellationToken).ConfigureAwait(false);
        }
        catch (Ct.CtLogClientException e)
        {
            throw new CtSubmissionException(e.Message, e);
        }
    }
}
