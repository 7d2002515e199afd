using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>Creates the <see cref="ISigningKey"/> that <see cref="SigningKeyOptions"/> describe.</summary>
public static partial class SigningKeyFactory
{
    private enum KeyProvider
    {
        Pkcs11,
        PemFile,
        InMemory,
        DevelopmentKey,
    }

    /// <summary>
    /// Validates <paramref name="options"/> and opens, loads or creates the key (see
    /// <see cref="SigningKeyOptions"/> for the providers). With no provider configured, loads or
    /// creates a development PEM key at <paramref name="defaultDevKeyPath"/> and logs a loud warning.
    /// Fails closed: throws <see cref="KeyConfigurationException"/> saying which option or file is wrong
    /// (unknown provider, conflicting options, missing key without <see cref="SigningKeyOptions.GenerateIfMissing"/>,
    /// algorithm mismatch, unreachable token, rejected PIN, unreadable file). The caller owns the key;
    /// a PKCS#11 key closes its token when disposed.
    /// </summary>
    /// <param name="options">The key configuration.</param>
    /// <param name="defaultDevKeyPath">Where the development key lives when nothing is configured (e.g. <c>data/rekor/signing-key.pem</c>).</param>
    /// <param name="logger">Receives which key is used, and the development-key warning.</param>
    public static ISigningKey Create(SigningKeyOptions options, string defaultDevKeyPath, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(defaultDevKeyPath);
        ArgumentNullException.ThrowIfNull(logger);

        var provider = ChooseProvider(options);
        var key = provider switch
        {
            KeyProvider.Pkcs11 => OpenPkcs11(options, logger),
            KeyProvider.PemFile => OpenPemFile(options, logger),
            KeyProvider.InMemory => CreateInMemory(options, logger),
            _ => OpenDevelopmentKey(options, defaultDevKeyPath, logger),
        };

        if (key.Algorithm != options.Algorithm)
        {
            var description = key.Description;
            var actual = key.Algorithm;
            key.Dispose();
            throw new KeyConfigurationException($"{description} is a {actual} key, but Algorithm is {options.Algorithm}; set Algorithm to the key's algorithm");
        }

        var keyId = Convert.ToHexStringLower(KeyIds.LogId(key.SubjectPublicKeyInfo));
        LogKeyInUse(logger, key.Description, key.IsHardwareBacked, keyId);

        return key;
    }

    private static KeyProvider ChooseProvider(SigningKeyOptions options)
    {
        if (!Enum.IsDefined(options.Algorithm))
        {
            throw new KeyConfigurationException($"Algorithm {options.Algorithm} is not one of {string.Join(", ", Enum.GetNames<SigningAlgorithm>())}");
        }

        var hasPath = !string.IsNullOrEmpty(options.KeyPath);
        var hasLabel = !string.IsNullOrEmpty(options.KeyLabel);
        var provider = (options.Provider ?? "Auto").Trim().ToUpperInvariant() switch
        {
            "PKCS11" => KeyProvider.Pkcs11,
            "PEMFILE" => KeyProvider.PemFile,
            "INMEMORY" => KeyProvider.InMemory,
            "AUTO" or "" when hasPath && hasLabel => throw new KeyConfigurationException("both KeyPath and KeyLabel are set with Provider Auto; set Provider to PemFile or Pkcs11"),
            "AUTO" or "" => hasLabel ? KeyProvider.Pkcs11 : hasPath ? KeyProvider.PemFile : KeyProvider.DevelopmentKey,
            _ => throw new KeyConfigurationException($"unknown signing key Provider '{options.Provider}'; use Pkcs11, PemFile, InMemory or Auto"),
        };

        switch (provider)
        {
            case KeyProvider.Pkcs11:
                Require(hasLabel, "Provider Pkcs11 needs KeyLabel (the CKA_LABEL of the key in the token)");
                Require(!hasPath, "KeyPath is set, but Provider is Pkcs11; remove KeyPath");
                Require(options.KeyPassword is null, "KeyPassword applies to PEM files; the PKCS#11 PIN comes from Pkcs11.PinFile or Pkcs11.PinEnvironmentVariable");
                Require(options.Pkcs11 is not null, "Provider Pkcs11 needs the Pkcs11 section (ModulePath, TokenLabel, PinFile)");
                options.Pkcs11!.Validate();
                break;
            case KeyProvider.PemFile:
                Require(hasPath, "Provider PemFile needs KeyPath (the PEM key file)");
                Require(!hasLabel, "KeyLabel is set, but Provider is PemFile; remove KeyLabel");
                break;
            case KeyProvider.InMemory:
                Require(!hasPath && !hasLabel, "Provider InMemory generates a throwaway key; remove KeyPath and KeyLabel");
                break;
            default:
                break;
        }

        return provider;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new KeyConfigurationException(message);
        }
    }

    private static Pkcs11SigningKey OpenPkcs11(SigningKeyOptions options, ILogger logger)
    {
        var label = options.KeyLabel!;
        if (options.Pkcs11.PinFromConfiguration)
        {
            LogPinFromConfiguration(logger);
        }

        var token = Pkcs11Token.Open(options.Pkcs11);
        try
        {
            if (!token.HasKey(label))
            {
                if (!options.GenerateIfMissing)
                {
                    throw new KeyConfigurationException($"PKCS#11 token '{token.Label}' holds no key labelled '{label}'; create it in a key ceremony, or set GenerateIfMissing to generate it in the token");
                }

                token.GenerateKey(label, options.Algorithm).Dispose();
                LogGeneratedInToken(logger, label, token.Label, options.Algorithm);
            }

            return token.OpenKey(label, ownsToken: true);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    private static ISigningKey OpenPemFile(SigningKeyOptions options, ILogger logger)
    {
        if (!options.GenerateIfMissing)
        {
            return PemSigningKey.Load(options.KeyPath!, options.KeyPassword);
        }

        var key = PemSigningKey.LoadOrCreate(options.KeyPath!, options.Algorithm, options.KeyPassword, out var created);
        if (created)
        {
            LogGeneratedFile(logger, Path.GetFullPath(options.KeyPath!), options.Algorithm);
        }

        return key;
    }

    private static InMemorySigningKey CreateInMemory(SigningKeyOptions options, ILogger logger)
    {
        LogEphemeralKey(logger, options.Algorithm);
        return InMemorySigningKey.Generate(options.Algorithm);
    }

    private static ISigningKey OpenDevelopmentKey(SigningKeyOptions options, string defaultDevKeyPath, ILogger logger)
    {
        var path = Path.GetFullPath(defaultDevKeyPath);
        var key = PemSigningKey.LoadOrCreate(path, options.Algorithm, out var created);
        LogDevelopmentKey(logger, path, created ? "created now" : "reused");
        return key;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Signing key: {Description} (hardware-backed: {HardwareBacked}, SHA-256 of public key {KeyId})")]
    private static partial void LogKeyInUse(ILogger logger, string description, bool hardwareBacked, string keyId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message =
        "USING A GENERATED DEVELOPMENT KEY at {Path} ({State}). IT IS NOT HSM-BACKED: anyone who can read the file can sign as this service. " +
        "Configure Provider Pkcs11 (with KeyLabel and the Pkcs11 section) or PemFile for any real deployment.")]
    private static partial void LogDevelopmentKey(ILogger logger, string path, string state);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message =
        "USING AN EPHEMERAL IN-MEMORY {Algorithm} KEY: NOT HSM-BACKED and lost at exit; everything it signs becomes unverifiable against a published key. Tests only.")]
    private static partial void LogEphemeralKey(ILogger logger, SigningAlgorithm algorithm);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Generated a new {Algorithm} key labelled '{Label}' inside PKCS#11 token '{Token}' (GenerateIfMissing); publish its public key")]
    private static partial void LogGeneratedInToken(ILogger logger, string label, string token, SigningAlgorithm algorithm);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "The PKCS#11 PIN comes from the Pin option in configuration, which is meant for tests; use Pkcs11.PinFile (a mounted secret) or Pkcs11.PinEnvironmentVariable")]
    private static partial void LogPinFromConfiguration(ILogger logger);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Generated a new {Algorithm} key file {Path} (GenerateIfMissing); it is NOT HSM-BACKED")]
    private static partial void LogGeneratedFile(ILogger logger, string path, SigningAlgorithm algorithm);
}
