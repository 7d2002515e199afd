using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.CtLog;

/// <summary>
/// The CT log's search index keys (read-only search, <c>GET /api/v1/search</c>): a logged certificate's SANs
/// (lower-cased), serial number (lower-case hex, no leading zeros) and Sigstore OIDC issuer (1.3.6.1.4.1.57264.1.8, else
/// 1.1), each prefixed with the log's id so that logs sharing one PostgreSQL index never mix. The index maps a key to
/// leaf indexes; it is written after the leaf is integrated, off the submission's critical path, and may be incomplete
/// (as Rekor's).
/// </summary>
public static class CtSearchKeys
{
    /// <summary>The index fields.</summary>
    public static readonly IReadOnlyList<string> Fields = ["san", "serial", "issuer"];

    /// <summary>The key of one field's value.</summary>
    public static string Key(string logId, string field, string value) => field switch
    {
        "san" => $"ct/{logId}/san/{value.ToLowerInvariant()}",
        "serial" => $"ct/{logId}/serial/{NormalizeSerial(value)}",
        _ => $"ct/{logId}/{field}/{value}",
    };

    /// <summary>Hex serial without separators or leading zeros, lower case; null when not hexadecimal.</summary>
    public static string? NormalizeSerial(string value)
    {
        var hex = (value ?? "").Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        if (hex.Length is 0 or > 64 || !hex.All(Uri.IsHexDigit)) return null;
        hex = hex.TrimStart('0');
        return hex.Length == 0 ? "0" : hex;
    }

    /// <summary>The keys of a logged (pre)certificate; none when it does not parse (it was accepted, so it does).</summary>
    public static IReadOnlyList<string> For(string logId, byte[] certificateDer)
    {
        var keys = new List<string>();
        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadCertificate(certificateDer);
        }
        catch (CryptographicException)
        {
            return keys;
        }
        using (cert)
        {
            if (NormalizeSerial(cert.SerialNumber) is { } serial) keys.Add(Key(logId, "serial", serial));
            try
            {
                var sans = SubjectAltNames.Read(cert);
                foreach (var san in sans.Emails.Concat(sans.Uris).Concat(sans.Usernames)) keys.Add(Key(logId, "san", san));
            }
            catch (Exception e) when (e is Core.WireFormatException or CryptographicException or AsnContentException)
            {
                // a SAN we cannot read is not indexed
            }
            foreach (var ext in cert.Extensions.OfType<X509SubjectAlternativeNameExtension>())
            {
                foreach (var dns in ext.EnumerateDnsNames()) keys.Add(Key(logId, "san", dns));
            }
            if (Issuer(cert) is { Length: > 0 } issuer) keys.Add(Key(logId, "issuer", issuer));
        }
        return [.. keys.Distinct(StringComparer.Ordinal)];
    }

    private static string? Issuer(X509Certificate2 cert)
    {
        try
        {
            if (cert.Extensions[SigstoreOids.IssuerV2] is { } v2)
            {
                var reader = new AsnReader(v2.RawData, AsnEncodingRules.DER);
                return reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            }
            if (cert.Extensions[SigstoreOids.Issuer] is { } v1) return new UTF8Encoding(false, true).GetString(v1.RawData);
        }
        catch (Exception e) when (e is AsnContentException or DecoderFallbackException or CryptographicException)
        {
            // not indexed
        }
        return null;
    }
}
