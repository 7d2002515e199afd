using System.Security.Cryptography.X509Certificates;

namespace PrivateSigstore.Core.Certificates;

/// <summary>
/// The identities a Sigstore verifier reads from a leaf's SubjectAltName: email addresses (rfc822Name), URIs, and
/// Sigstore usernames (otherName 1.3.6.1.4.1.57264.1.7). Also builds the single-name critical SAN Fulcio issues
/// (its leaves have an empty subject, so RFC 5280 §4.2.1.6 requires the SAN to be critical).
/// </summary>
/// <param name="Emails">rfc822Name values, in certificate order.</param>
/// <param name="Uris">uniformResourceIdentifier values, verbatim, in certificate order.</param>
/// <param name="Usernames">Values of otherNames whose type-id is 1.3.6.1.4.1.57264.1.7, in certificate order.</param>
public sealed record SubjectAltNames(IReadOnlyList<string> Emails, IReadOnlyList<string> Uris, IReadOnlyList<string> Usernames)
{
    /// <summary>A critical SAN holding exactly one rfc822Name.</summary>
    /// <exception cref="ArgumentException">The email is empty or not ASCII (IA5String).</exception>
    public static X509Extension ForEmail(string email) =>
        new X509SubjectAlternativeNameExtension(GeneralNames.EncodeSingle(GeneralNames.NameKind.Email, email), critical: true);

    /// <summary>A critical SAN holding exactly one uniformResourceIdentifier, written verbatim (no normalization).</summary>
    /// <exception cref="ArgumentException">The URI is empty or not ASCII (IA5String).</exception>
    public static X509Extension ForUri(string uri) =>
        new X509SubjectAlternativeNameExtension(GeneralNames.EncodeSingle(GeneralNames.NameKind.Uri, uri), critical: true);

    /// <summary>A critical SAN holding exactly one Sigstore username otherName (see <see cref="OtherNameSan"/>).</summary>
    /// <exception cref="ArgumentException">The username is not well-formed Unicode.</exception>
    public static X509Extension ForUsername(string username) => OtherNameSan.ToExtension(username);

    /// <summary>
    /// Reads the SAN identities from a certificate's extensions. No SAN extension yields empty lists. otherNames with
    /// another type-id, and other GeneralName forms (DNS, IP, …), are skipped.
    /// </summary>
    /// <exception cref="WireFormatException">There is more than one SAN extension (RFC 5280 §4.2), or it is malformed.</exception>
    public static SubjectAltNames Read(IEnumerable<X509Extension> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        var emails = new List<string>();
        var uris = new List<string>();
        var usernames = new List<string>();
        bool seen = false;
        foreach (var extension in extensions)
        {
            if (extension?.Oid?.Value != SigstoreOids.SubjectAltName)
            {
                continue;
            }

            if (seen)
            {
                throw new WireFormatException("certificate has more than one SubjectAltName extension");
            }

            seen = true;
            foreach (var name in GeneralNames.Parse(extension.RawData))
            {
                switch (name.Kind)
                {
                    case GeneralNames.NameKind.Email:
                        emails.Add(name.Value!);
                        break;
                    case GeneralNames.NameKind.Uri:
                        uris.Add(name.Value!);
                        break;
                    case GeneralNames.NameKind.OtherName when name.Value is not null:
                        usernames.Add(name.Value);
                        break;
                }
            }
        }

        return new SubjectAltNames(emails, uris, usernames);
    }

    /// <summary>Reads the SAN identities of <paramref name="certificate"/> (see <see cref="Read(IEnumerable{X509Extension})"/>).</summary>
    /// <exception cref="WireFormatException">The SAN is malformed or repeated.</exception>
    public static SubjectAltNames Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Read(certificate.Extensions);
    }
}
