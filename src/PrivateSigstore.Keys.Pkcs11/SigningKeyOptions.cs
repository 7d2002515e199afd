using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>
/// Configuration of one signing key (bind a section such as <c>"Rekor:SigningKey"</c> to it).
/// <see cref="Provider"/> chooses where the key lives:
/// <list type="bullet">
/// <item><c>Pkcs11</c>: the key labelled <see cref="KeyLabel"/> in the token described by <see cref="Pkcs11"/>.</item>
/// <item><c>PemFile</c>: the PEM file at <see cref="KeyPath"/> (encrypted with <see cref="KeyPassword"/>, if set).</item>
/// <item><c>InMemory</c>: a fresh key generated at start-up, lost at exit (tests only).</item>
/// <item><c>Auto</c> (default): <c>Pkcs11</c> if <see cref="KeyLabel"/> is set, else <c>PemFile</c> if
/// <see cref="KeyPath"/> is set, else a development PEM key created once at the service's default
/// path, with a loud warning that it is not HSM-backed.</item>
/// </list>
/// </summary>
public sealed class SigningKeyOptions
{
    /// <summary><c>Pkcs11</c>, <c>PemFile</c>, <c>InMemory</c> or <c>Auto</c> (case-insensitive).</summary>
    public string Provider { get; set; } = "Auto";

    /// <summary>The PEM key file (provider <c>PemFile</c>).</summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// The password of an encrypted PKCS#8 key file (provider <c>PemFile</c>). Supply it through the
    /// environment or a secret store, not appsettings.
    /// </summary>
    public string? KeyPassword { get; set; }

    /// <summary>The token and login (provider <c>Pkcs11</c>).</summary>
    public Pkcs11Options Pkcs11 { get; set; } = new();

    /// <summary>The key's <c>CKA_LABEL</c> in the token (provider <c>Pkcs11</c>).</summary>
    public string? KeyLabel { get; set; }

    /// <summary>
    /// The key's algorithm. A key that exists with another algorithm is refused, and missing keys
    /// are generated with this one. Default ECDSA P-256 with SHA-256, what Sigstore clients expect
    /// from logs.
    /// </summary>
    public SigningAlgorithm Algorithm { get; set; } = SigningAlgorithm.EcdsaP256Sha256;

    /// <summary>
    /// Generate the key (in the token, or as a new PEM file) when it does not exist. Off by default:
    /// in production a missing key is a configuration error, and keys come from a key ceremony.
    /// </summary>
    public bool GenerateIfMissing { get; set; }
}
