using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.CtLog;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Oidc;
using PrivateSigstore.Rekor.Entries;
using PrivateSigstore.Rekor.Entries.V2;
using PrivateSigstore.Timestamp;
using PrivateSigstore.Tuf;
using PrivateSigstore.Witness;
using DerCertificate = PrivateSigstore.Core.Certificates.DerCertificate;

namespace PrivateSigstore.Fuzz;

/// <summary>
/// One fuzz target per parser that reads outside bytes. A target feeds the input to the parser's public entry
/// points; the parser's documented rejection exceptions are the expected outcome for bad input and are swallowed,
/// anything else (IndexOutOfRange, NullReference, InvalidCast, OverflowException, stack overflow, a hang) escapes
/// and is a crash.
/// </summary>
public static class FuzzTargets
{
    /// <summary>A target: its name, the parser it drives, and which exceptions are that parser's documented rejections.</summary>
    public sealed record Target(string Name, string Description, Action<byte[]> Parse, Func<Exception, bool> IsRejection);

    private static bool Wire(Exception e) => e is WireFormatException;

    private static readonly Lazy<OidcVerifier> Jwt = new(() => new OidcVerifier(
        FulcioConfig.Parse("""{"OIDCIssuers":{"http://127.0.0.1:9":{"IssuerURL":"http://127.0.0.1:9","ClientID":"sigstore","Type":"email"}}}"""),
        new OidcVerifierOptions { AllowHttpDiscovery = true }));

    private static readonly string[] TsaPolicies = ["1.3.6.1.4.1.57264.2"];

    /// <summary>Every target, by name.</summary>
    public static IReadOnlyDictionary<string, Target> All { get; } = new Target[]
    {
        new("rekor-v1", "Rekor v1 proposed entries (hashedrekord, dsse, intoto 0.0.1/0.0.2) and stored bodies: RekorEntries.Canonicalize/ReadKind",
            data =>
            {
                Try(() => RekorEntries.Canonicalize(data, RekorEntryPolicy.Default), e => e is RekorEntryException);
                Try(() => RekorEntries.Canonicalize(data, RekorEntryPolicy.Search), e => e is RekorEntryException);
                Try(() => RekorEntries.ReadKind(data), e => e is RekorEntryException);
                Try(() => RekorEntries.PublicKeyIndexKey(data), e => e is RekorEntryException);
            }, _ => false),
        new("rekor-v2", "Rekor v2 CreateEntryRequest (hashedRekordRequestV002, dsseRequestV002): RekorV2Entries.Canonicalize",
            data => RekorV2Entries.Canonicalize(data, RekorV2EntryPolicy.Default), e => e is RekorEntryException),
        new("dsse", "DSSE envelopes (protobuf JSON): DsseEnvelopeJson.Parse",
            data => DsseEnvelopeJson.Parse(data), Wire),
        new("bundle", "Sigstore bundles v0.1–v0.3: BundleJson.Parse",
            data => BundleJson.Parse(data), Wire),
        new("trusted-root", "trusted_root.json and ClientTrustConfig: TrustedRootJson.Parse, ClientTrustConfigJson.Parse",
            data =>
            {
                Try(() => TrustedRootJson.Parse(data), Wire);
                Try(() => ClientTrustConfigJson.Parse(data), Wire);
            }, _ => false),
        new("signing-config", "signing_config.json v0.2 and v0.1: SigningConfigJson.Parse/ParseV01",
            data =>
            {
                Try(() => SigningConfigJson.Parse(data), Wire);
                Try(() => SigningConfigJson.ParseV01(data), Wire);
            }, _ => false),
        new("certificate", "DER X.509 certificates and their extensions: DerCertificate.Parse, LeafCertificate.Parse, SAN and Sigstore extensions, embedded SCTs",
            data =>
            {
                DerCertificate der;
                try
                {
                    der = DerCertificate.Parse(data);
                }
                catch (WireFormatException)
                {
                    return;
                }

                Try(() => der.IsCertificateAuthority(), Wire);
                Try(() => der.ExtendedKeyUsages(), Wire);
                IReadOnlyList<X509Extension> extensions;
                try
                {
                    extensions = der.ToX509Extensions();
                }
                catch (CryptographicException)
                {
                    return;
                }

                Try(() => SubjectAltNames.Read(extensions), Wire);
                Try(() => SigstoreExtensions.Parse(extensions), Wire);
                Try(() => OtherNameSan.Decode(extensions), Wire);
                foreach (var extension in extensions.Where(e => e.Oid?.Value == SigstoreOids.SctList))
                {
                    Try(() => SctList.FromExtension(extension), Wire);
                }

                Try(() => LeafCertificate.Parse(data), e => e is WireFormatException or CryptographicException);
            }, _ => false),
        new("sct", "TLS SignedCertificateTimestamp and SCT lists: SignedCertificateTimestamp.Parse, SctList.Parse, DigitallySigned.Parse, MerkleTreeLeaf.Parse",
            data =>
            {
                Try(() => SctList.Parse(data), Wire);
                Try(() => SignedCertificateTimestamp.Parse(data), Wire);
                Try(() => DigitallySigned.Parse(data), Wire);
                Try(() => MerkleTreeLeaf.Parse(data), Wire);
                Try(() => AddChainResponse.Parse(data), Wire);
            }, _ => false),
        new("ct-add-chain", "CT add-chain / add-pre-chain request bodies: CtEndpoints.ParseChainRequest",
            data => CtEndpoints.ParseChainRequest(data, 10), e => e is CtSubmissionException),
        new("pem", "PEM (Go encoding/pem rules): GoPem.DecodeAll/DecodeCertificates/DecodePublicKey, Rekor's PEM keys and chains",
            data =>
            {
                var text = Encoding.UTF8.GetString(data);
                Try(() => GoPem.DecodeAll(text), Wire);
                Try(() => GoPem.DecodeCertificates(text), Wire);
                Try(() => GoPem.DecodePublicKey(text), Wire);
                Try(() => RekorEntries.PublicKeyIndexKey(data), e => e is RekorEntryException);
            }, _ => false),
        new("jwt", "OIDC ID tokens (compact JWS) as Fulcio reads them: OidcVerifier.VerifyAsync up to the issuer lookup",
            data => Jwt.Value.VerifyAsync(Encoding.UTF8.GetString(data)).GetAwaiter().GetResult(),
            e => e is OidcVerificationException),
        new("tuf", "TUF metadata (root, targets, snapshot, timestamp): TufMetadata.Parse",
            data =>
            {
                foreach (var role in Enum.GetValues<TufRole>())
                {
                    Try(() => TufMetadata.Parse(data, role, "fuzz"), e => e is TufException);
                }
            }, _ => false),
        new("timestamp-request", "RFC 3161 TimeStampReq (DER) and the JSON request form: TimestampQuery.FromDer/FromJson",
            data =>
            {
                Try(() => TimestampQuery.FromDer(data, TsaPolicies), e => e is TimestampRequestException);
                Try(() => TimestampQuery.FromJson(data, TsaPolicies), e => e is TimestampRequestException);
            }, _ => false),
        new("checkpoint", "C2SP signed notes and checkpoints: SignedNote.Parse, SignedCheckpoint.Parse, Checkpoint.Parse",
            data =>
            {
                Try(() => SignedNote.Parse(data), Wire);
                Try(() => SignedCheckpoint.Parse(data), Wire);
                Try(() => Checkpoint.Parse(Encoding.UTF8.GetString(data)), Wire);
            }, _ => false),
        new("add-checkpoint", "tlog-witness add-checkpoint request bodies: CheckpointWitness.TryParse (rejects by returning false)",
            data => CheckpointWitness.TryParse(data, out _, out _, out _, out _), _ => false),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>Runs <paramref name="target"/> on <paramref name="data"/>; an exception that escapes is a finding.</summary>
    public static void Run(Target target, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            target.Parse(data);
        }
        catch (Exception e) when (target.IsRejection(e))
        {
            // The parser's documented way of refusing bad input.
        }
    }

    private static void Try(Action parse, Func<Exception, bool> isRejection)
    {
        try
        {
            parse();
        }
        catch (Exception e) when (isRejection(e))
        {
        }
    }

    private static void Try<T>(Func<T> parse, Func<Exception, bool> isRejection) => Try(() => { _ = parse(); }, isRejection);
}
