using System.Security.Cryptography.X509Certificates;

namespace PrivateSigstore.Core.Certificates;

/// <summary>
/// The Sigstore username SAN: a SubjectAltName holding one otherName with type-id 1.3.6.1.4.1.57264.1.7 and a
/// <c>[0] EXPLICIT UTF8String</c> value, byte-compatible with sigstore/sigstore <c>cryptoutils.MarshalOtherNameSAN</c>
/// and <c>UnmarshalOtherNameSAN</c>.
/// </summary>
public static class OtherNameSan
{
    /// <summary>
    /// The SubjectAltName extension value (GeneralNames DER) for <paramref name="username"/>: for <c>foo!example.com</c>,
    /// <c>30 21 A0 1F 06 0A 2B06010401 83BF30 0107 A0 11 0C 0F …</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The username is not well-formed Unicode.</exception>
    public static byte[] Encode(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        return GeneralNames.EncodeSingle(GeneralNames.NameKind.OtherName, username);
    }

    /// <summary>The critical SubjectAltName extension holding only the username otherName (Fulcio's username principal).</summary>
    /// <exception cref="ArgumentException">The username is not well-formed Unicode.</exception>
    public static X509Extension ToExtension(string username) =>
        new X509SubjectAlternativeNameExtension(Encode(username), critical: true);

    /// <summary>
    /// The single username otherName across all SubjectAltName extensions in <paramref name="extensions"/>, as
    /// <c>UnmarshalOtherNameSAN</c>: every otherName must carry type-id 1.3.6.1.4.1.57264.1.7, and there must be exactly one.
    /// </summary>
    /// <exception cref="WireFormatException">A SAN is malformed, an otherName has a different type-id, or there is not
    /// exactly one otherName.</exception>
    public static string Decode(IEnumerable<X509Extension> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        var found = new List<string>();
        foreach (var extension in extensions)
        {
            if (extension?.Oid?.Value != SigstoreOids.SubjectAltName)
            {
                continue;
            }

            foreach (var name in GeneralNames.Parse(extension.RawData))
            {
                if (name.Kind != GeneralNames.NameKind.OtherName)
                {
                    continue;
                }

                if (name.Value is null)
                {
                    throw new WireFormatException(
                        $"unexpected OID for OtherName, expected {SigstoreOids.OtherName}, got {name.OtherNameTypeId}");
                }

                found.Add(name.Value);
            }
        }

        return found.Count switch
        {
            0 => throw new WireFormatException("no OtherName found"),
            1 => found[0],
            _ => throw new WireFormatException("expected only one OtherName"),
        };
    }
}
