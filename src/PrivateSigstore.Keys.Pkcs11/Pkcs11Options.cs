using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>
/// Where a PKCS#11 token is and how to log in to it. The token is chosen by
/// <see cref="TokenLabel"/> or <see cref="SlotId"/> (both must match when both are set). The user
/// PIN comes from <see cref="PinFile"/>, else the environment variable named by
/// <see cref="PinEnvironmentVariable"/>, else <see cref="Pin"/>.
/// </summary>
public sealed class Pkcs11Options
{
    /// <summary>The PKCS#11 module (shared library); SoftHSM2's Debian path by default.</summary>
    public string ModulePath { get; set; } = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>The token label (CKA token info label, trailing padding ignored). Preferred over <see cref="SlotId"/>, which SoftHSM assigns at random.</summary>
    public string? TokenLabel { get; set; }

    /// <summary>The slot ID holding the token.</summary>
    public ulong? SlotId { get; set; }

    /// <summary>
    /// The user PIN in clear. <b>For tests only</b>: configuration files and their values end up in
    /// backups, images and logs. Production deployments use <see cref="PinFile"/> (a mounted secret)
    /// or <see cref="PinEnvironmentVariable"/>.
    /// </summary>
    public string? Pin { get; set; }

    /// <summary>A file whose content (trailing newline trimmed) is the user PIN; wins over the other sources.</summary>
    public string? PinFile { get; set; }

    /// <summary>The name of an environment variable holding the user PIN (for example <c>PSIG_HSM_PIN</c>); used when <see cref="PinFile"/> is not set.</summary>
    public string? PinEnvironmentVariable { get; set; }

    /// <summary>The most sessions opened to the token; also the most concurrent signers (more wait). 1 to 1024.</summary>
    public int MaxSessions { get; set; } = 8;

    /// <summary>
    /// Resolves the PIN from <see cref="PinFile"/>, else <see cref="PinEnvironmentVariable"/>, else
    /// <see cref="Pin"/>. Throws <see cref="KeyConfigurationException"/> (never containing the PIN)
    /// when the configured source is missing or empty, or no source is configured.
    /// </summary>
    public string ResolvePin()
    {
        if (!string.IsNullOrEmpty(PinFile))
        {
            string text;
            try
            {
                text = File.ReadAllText(PinFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KeyConfigurationException($"cannot read the PKCS#11 PIN file {Path.GetFullPath(PinFile)}: {e.Message}", e);
            }

            var pin = text.TrimEnd('\r', '\n');
            return pin.Length > 0 ? pin : throw new KeyConfigurationException($"the PKCS#11 PIN file {Path.GetFullPath(PinFile)} is empty");
        }

        if (!string.IsNullOrEmpty(PinEnvironmentVariable))
        {
            var pin = Environment.GetEnvironmentVariable(PinEnvironmentVariable);
            return string.IsNullOrEmpty(pin)
                ? throw new KeyConfigurationException($"the PKCS#11 PIN environment variable {PinEnvironmentVariable} is not set or empty")
                : pin;
        }

        return string.IsNullOrEmpty(Pin)
            ? throw new KeyConfigurationException("no PKCS#11 PIN configured: set PinFile (a mounted secret) or PinEnvironmentVariable")
            : Pin;
    }

    /// <summary>Whether the PIN would come from <see cref="Pin"/>, the clear-text option meant for tests.</summary>
    internal bool PinFromConfiguration => string.IsNullOrEmpty(PinFile) && string.IsNullOrEmpty(PinEnvironmentVariable) && !string.IsNullOrEmpty(Pin);

    /// <summary>Checks the options that can be checked without the module; throws <see cref="KeyConfigurationException"/> naming the bad option.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModulePath))
        {
            throw new KeyConfigurationException("Pkcs11.ModulePath is empty: set it to the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so");
        }

        if (string.IsNullOrEmpty(TokenLabel) && SlotId is null)
        {
            throw new KeyConfigurationException("PKCS#11 token not selected: set Pkcs11.TokenLabel (preferred) or Pkcs11.SlotId");
        }

        if (MaxSessions is < 1 or > 1024)
        {
            throw new KeyConfigurationException($"Pkcs11.MaxSessions is {MaxSessions}; it must be between 1 and 1024");
        }
    }
}
