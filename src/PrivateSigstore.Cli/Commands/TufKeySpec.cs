using PrivateSigstore.Core;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;
using PrivateSigstore.Tuf;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// A key named on the command line of <c>psig tuf</c>: a PEM file (a private key signs; a <c>PUBLIC KEY</c> only names
/// a key whose holder signs later), or a key in a PKCS#11 token, <c>pkcs11:token=LABEL;object=KEYLABEL</c>, opened as
/// <c>sign-blob --key</c> opens it (module from <c>PSIG_PKCS11_MODULE</c>, PIN from <c>PSIG_PKCS11_PIN</c>, never the
/// command line). Encrypted PEM files take their password from <c>PSIG_KEY_PASSWORD</c>.
/// </summary>
internal sealed class TufKeySpec : IDisposable
{
    private readonly IDisposable? _token;

    private TufKeySpec(string spec, TufKey key, ISigningKey? signer, IDisposable? token)
    {
        Spec = spec;
        Key = key;
        Signer = signer;
        _token = token;
    }

    public string Spec { get; }

    public TufKey Key { get; }

    /// <summary>The private key, or null when only the public key was given.</summary>
    public ISigningKey? Signer { get; }

    public void Dispose()
    {
        Signer?.Dispose();
        _token?.Dispose();
    }

    public static TufKeySpec Open(string spec)
    {
        try
        {
            if (spec.StartsWith("pkcs11:", StringComparison.Ordinal) || File.ReadAllText(spec).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                var (signer, token) = SigningServices.LoadKey(spec, Environment.GetEnvironmentVariable("PSIG_KEY_PASSWORD"));
                try
                {
                    return new TufKeySpec(spec, TufKey.FromSigningKey(signer), signer, token);
                }
                catch
                {
                    signer.Dispose();
                    token?.Dispose();
                    throw;
                }
            }
            return new TufKeySpec(spec, TufKey.FromSubjectPublicKeyInfo(GoPem.DecodePublicKey(File.ReadAllText(spec))), null, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WireFormatException or KeyConfigurationException or TufException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException($"key {spec}: {e.Message}");
        }
    }
}
