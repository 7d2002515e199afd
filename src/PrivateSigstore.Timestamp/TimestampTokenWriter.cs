using System.Formats.Asn1;
using System.Security.Cryptography;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// Writes RFC 3161 TimeStampResp messages: a TSTInfo (§2.4.2) in a CMS SignedData (RFC 5652) signed through
/// <see cref="ISigningKey"/>, the same shape upstream's digitorus/timestamp writes. Built with <see cref="AsnWriter"/>
/// rather than <c>SignedCms</c>, because <c>CmsSigner</c> needs an <see cref="AsymmetricAlgorithm"/> that signs a
/// precomputed hash, while <see cref="ISigningKey.Sign"/> takes the message (an HSM key hashes in process and sends
/// the digest): here the signed attributes are simply the message. Everything that does not change per request
/// (signer identifier, ESSCertIDv2, certificates, algorithm identifiers, TSA name) is encoded once. Thread-safe.
/// </summary>
internal sealed class TimestampTokenWriter
{
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string TstInfoOid = "1.2.840.113549.1.9.16.1.4";
    private const string ContentTypeAttributeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestAttributeOid = "1.2.840.113549.1.9.4";
    private const string SigningTimeAttributeOid = "1.2.840.113549.1.9.5";
    private const string SigningCertificateV2AttributeOid = "1.2.840.113549.1.9.16.2.47";

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Context0Primitive = new(TagClass.ContextSpecific, 0);
    private static readonly Asn1Tag Context4 = new(TagClass.ContextSpecific, 4, isConstructed: true);

    private readonly ISigningKey _key;
    private readonly byte[] _signerIdentifier;
    private readonly byte[] _digestAlgorithm;
    private readonly byte[] _signatureAlgorithm;
    private readonly byte[] _contentTypeAttribute;
    private readonly byte[] _signingCertificateAttribute;
    private readonly byte[] _certificatesLeaf;
    private readonly byte[] _certificatesChain;
    private readonly byte[] _tsaName;
    private readonly byte[]? _accuracy;
    private readonly bool _includeChain;

    public TimestampTokenWriter(TsaCredentials credentials, int accuracyMilliseconds, bool includeChain)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _key = credentials.Key;
        _includeChain = includeChain;
        var leaf = credentials.Leaf;

        // SignerIdentifier: issuerAndSerialNumber (SignerInfo version 1, RFC 5652 §5.3).
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteEncodedValue(leaf.IssuerName.RawData);
            w.WriteInteger(leaf.SerialNumberBytes.Span);
        }
        _signerIdentifier = w.Encode();

        // The key's digest, without parameters (RFC 5754 §2).
        w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence()) w.WriteObjectIdentifier(_key.Algorithm.DigestOid());
        _digestAlgorithm = w.Encode();
        _signatureAlgorithm = new SigningKeySignatureGenerator(_key).GetSignatureAlgorithmIdentifier(_key.Algorithm.Hash());

        w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(ContentTypeAttributeOid);
            using (w.PushSetOf()) w.WriteObjectIdentifier(TstInfoOid);
        }
        _contentTypeAttribute = w.Encode();

        // RFC 3161 §2.4.1 (as updated by RFC 5816): the signing certificate identified by ESSCertIDv2, SHA-256 (the
        // default, so the AlgorithmIdentifier is omitted), with issuerSerial.
        w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(SigningCertificateV2AttributeOid);
            using (w.PushSetOf())
            using (w.PushSequence()) // SigningCertificateV2
            using (w.PushSequence()) // certs
            using (w.PushSequence()) // ESSCertIDv2
            {
                w.WriteOctetString(SHA256.HashData(leaf.RawData));
                using (w.PushSequence()) // IssuerSerial
                {
                    using (w.PushSequence()) // GeneralNames
                    using (w.PushSequence(Context4)) // directoryName [4] (explicit: Name is a CHOICE)
                    {
                        w.WriteEncodedValue(leaf.IssuerName.RawData);
                    }
                    w.WriteInteger(leaf.SerialNumberBytes.Span);
                }
            }
        }
        _signingCertificateAttribute = w.Encode();

        _certificatesLeaf = Certificates([leaf.RawData]);
        _certificatesChain = Certificates([.. credentials.Chain.Select(c => c.RawData)]);

        // TSTInfo tsa [0] GeneralName: directoryName of the TSA certificate's subject (as upstream).
        w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence(Context0))
        using (w.PushSequence(Context4))
        {
            w.WriteEncodedValue(leaf.SubjectName.RawData);
        }
        _tsaName = w.Encode();

        if (accuracyMilliseconds > 0)
        {
            w = new AsnWriter(AsnEncodingRules.DER);
            using (w.PushSequence())
            {
                var seconds = accuracyMilliseconds / 1000;
                var millis = accuracyMilliseconds % 1000;
                if (seconds > 0) w.WriteInteger(seconds);
                if (millis > 0) w.WriteInteger(millis, Context0Primitive);
            }
            _accuracy = w.Encode();
        }
    }

    private static byte[] Certificates(IEnumerable<byte[]> certificates)
    {
        // certificates [0] IMPLICIT CertificateSet: a SET OF, which DER sorts (AsnWriter does on pop).
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSetOf(Context0))
        {
            foreach (var c in certificates) w.WriteEncodedValue(c);
        }
        return w.Encode();
    }

    /// <summary>
    /// A granted TimeStampResp for <paramref name="query"/>. <paramref name="genTime"/> is written in whole seconds
    /// (GeneralizedTime, UTC, as upstream); <paramref name="serial"/> is the positive serial's big-endian octets.
    /// </summary>
    public byte[] WriteResponse(TimestampQuery query, string policy, DateTimeOffset genTime, ReadOnlySpan<byte> serial)
    {
        var tstInfo = WriteTstInfo(query, policy, genTime, serial);

        // Signed attributes (RFC 5652 §5.3/§11; RFC 3161 §2.4.2): contentType, signingTime, messageDigest,
        // signingCertificateV2. The signature is over their DER SET OF encoding; the SignerInfo carries them [0] IMPLICIT.
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSetOf())
        {
            w.WriteEncodedValue(_contentTypeAttribute);
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(SigningTimeAttributeOid);
                using (w.PushSetOf()) w.WriteUtcTime(genTime);
            }
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(MessageDigestAttributeOid);
                using (w.PushSetOf()) w.WriteOctetString(_key.Algorithm.HashData(tstInfo));
            }
            w.WriteEncodedValue(_signingCertificateAttribute);
        }
        var signedAttributes = w.Encode();
        var signature = _key.Sign(signedAttributes);
        signedAttributes[0] = 0xA0; // SET (0x31) → [0] IMPLICIT, constructed

        w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence()) // TimeStampResp
        {
            using (w.PushSequence()) w.WriteInteger(0); // PKIStatusInfo { status granted(0) }
            using (w.PushSequence()) // ContentInfo
            {
                w.WriteObjectIdentifier(SignedDataOid);
                using (w.PushSequence(Context0))
                using (w.PushSequence()) // SignedData
                {
                    w.WriteInteger(3); // RFC 5652 §5.1: version 3 because eContentType is not id-data
                    using (w.PushSetOf()) w.WriteEncodedValue(_digestAlgorithm);
                    using (w.PushSequence()) // EncapsulatedContentInfo
                    {
                        w.WriteObjectIdentifier(TstInfoOid);
                        using (w.PushSequence(Context0)) w.WriteOctetString(tstInfo);
                    }
                    // RFC 3161 §2.4.1: the TSA certificate is included only when certReq is true.
                    if (query.CertReq) w.WriteEncodedValue(_includeChain ? _certificatesChain : _certificatesLeaf);
                    using (w.PushSetOf()) // SignerInfos
                    using (w.PushSequence()) // SignerInfo
                    {
                        w.WriteInteger(1);
                        w.WriteEncodedValue(_signerIdentifier);
                        w.WriteEncodedValue(_digestAlgorithm);
                        w.WriteEncodedValue(signedAttributes);
                        w.WriteEncodedValue(_signatureAlgorithm);
                        w.WriteOctetString(signature);
                    }
                }
            }
        }
        return w.Encode();
    }

    private byte[] WriteTstInfo(TimestampQuery query, string policy, DateTimeOffset genTime, ReadOnlySpan<byte> serial)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteInteger(1); // version v1
            w.WriteObjectIdentifier(policy);
            using (w.PushSequence()) // MessageImprint: the request's algorithm and hash (§2.4.2: same value as the request)
            {
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(TimestampQuery.OidOf(query.Algorithm));
                    w.WriteNull(); // as upstream writes it; verifiers accept NULL or absent (RFC 5754 §2)
                }
                w.WriteOctetString(query.Imprint);
            }
            w.WriteInteger(serial);
            w.WriteGeneralizedTime(genTime, omitFractionalSeconds: true);
            if (_accuracy is not null) w.WriteEncodedValue(_accuracy);
            // ordering DEFAULT FALSE: omitted (DER).
            if (query.Nonce is not null) w.WriteInteger(query.Nonce); // §2.4.2: MUST be present when the request had one
            w.WriteEncodedValue(_tsaName);
        }
        return w.Encode();
    }
}
