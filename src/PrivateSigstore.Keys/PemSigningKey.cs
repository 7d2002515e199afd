using System.Runtime.InteropServices;
using System.Formats.Asn1;
using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Keys;

/// <summary>
/// Signing keys stored in PEM files: PKCS#8 <c>PRIVATE KEY</c> (ECDSA, RSA or Ed25519), encrypted
/// PKCS#8 <c>ENCRYPTED PRIVATE KEY</c>, SEC 1 <c>EC PRIVATE KEY</c> and PKCS#1 <c>RSA PRIVATE KEY</c>.
/// Loaded keys are <see cref="InMemorySigningKey"/>s (not hardware-backed).
/// </summary>
public static class PemSigningKey
{
    private const string PrivateKeyLabel = "PRIVATE KEY";
    private const string EncryptedPrivateKeyLabel = "ENCRYPTED PRIVATE KEY";
    private const string EcPrivateKeyLabel = "EC PRIVATE KEY";
    private const string RsaPrivateKeyLabel = "RSA PRIVATE KEY";
    private const long MaxFileBytes = 1 << 20;

    /// <summary>
    /// Loads the private key in the PEM file at <paramref name="path"/>. Throws
    /// <see cref="KeyConfigurationException"/>, naming the file, when it is missing or unreadable,
    /// holds no private key or more than one, is encrypted and no <paramref name="password"/> is given,
    /// cannot be decrypted with it, or holds an unsupported key (curves other than P-256/384/521, RSA
    /// outside 2048 to 4096 bits).
    /// </summary>
    /// <param name="path">The PEM file.</param>
    /// <param name="password">The password of an <c>ENCRYPTED PRIVATE KEY</c>; ignored for unencrypted files.</param>
    public static ISigningKey Load(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var text = ReadText(fullPath);
        var (label, der) = FindPrivateKey(text, fullPath);
        try
        {
            return Import(label, der, password, fullPath);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// Loads the key at <paramref name="path"/> if the file exists; otherwise generates a key for
    /// <paramref name="algorithm"/> and writes it there as unencrypted PKCS#8 PEM, creating the
    /// directory, atomically (a temporary file renamed into place) and readable by the owner only
    /// (0600). An existing key of another algorithm is refused (<see cref="KeyConfigurationException"/>).
    /// Safe against concurrent creators: the loser of a race loads the winner's key.
    /// </summary>
    /// <param name="path">The PEM file.</param>
    /// <param name="algorithm">The algorithm of the key to create, which an existing key must match.</param>
    /// <param name="created"><c>true</c> if this call created the file.</param>
    public static ISigningKey LoadOrCreate(string path, SigningAlgorithm algorithm, out bool created) =>
        LoadOrCreate(path, algorithm, password: null, out created);

    /// <summary>
    /// As <see cref="LoadOrCreate(string, SigningAlgorithm, out bool)"/>, writing an encrypted PKCS#8
    /// file (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) when <paramref name="password"/> is given.
    /// </summary>
    public static ISigningKey LoadOrCreate(string path, SigningAlgorithm algorithm, string? password, out bool created)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SigningAlgorithms.Require(algorithm, nameof(algorithm));
        var fullPath = Path.GetFullPath(path);
        created = false;
        if (!File.Exists(fullPath))
        {
            using var fresh = InMemorySigningKey.Generate(algorithm);
            created = TryWriteNew(fullPath, ToPem(fresh, password));
        }

        var key = Load(fullPath, password);
        if (key.Algorithm != algorithm)
        {
            key.Dispose();
            throw new KeyConfigurationException($"key file {fullPath} holds a {key.Algorithm} key, but {algorithm} is configured; configure the algorithm of the existing key or move the file away to create a new one");
        }

        return key;
    }

    /// <summary>
    /// Generates a key and writes it to a new file (mode 0600): encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256,
    /// AES-256-CBC) when <paramref name="password"/> is given (an empty one too). Never overwrites: a
    /// <see cref="KeyConfigurationException"/> when the file exists.
    /// </summary>
    public static ISigningKey CreateNew(string path, SigningAlgorithm algorithm, string? password)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SigningAlgorithms.Require(algorithm, nameof(algorithm));
        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath))
        {
            throw new KeyConfigurationException($"{fullPath} already exists; refusing to overwrite it");
        }
        using var fresh = InMemorySigningKey.Generate(algorithm);
        if (!TryWriteNew(fullPath, ToPem(fresh, password)))
        {
            throw new KeyConfigurationException($"{fullPath} already exists; refusing to overwrite it");
        }
        return Load(fullPath, password);
    }

    private static string ToPem(InMemorySigningKey key, string? password)
    {
        var pkcs8 = key.ExportPkcs8();
        try
        {
            return password is null
                ? PemEncoding.WriteString(PrivateKeyLabel, pkcs8)
                : PemEncoding.WriteString(EncryptedPrivateKeyLabel, Pkcs8.Encrypt(pkcs8, password));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Writes a new file atomically with mode 0600; returns <c>false</c> if another writer created it first.</summary>
    private const int EExist = 17; // Linux and the BSDs

    private static bool TryWriteNew(string fullPath, string pem)
    {
        var directory = Path.GetDirectoryName(fullPath)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(pem);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the umask may have narrowed, never widened, it
            }

            if (!OperatingSystem.IsWindows())
            {
                // link(2) publishes the complete file under its name only if no file has that name: atomic against another
                // creator. (File.Move without overwrite checks for the name and then renames, which lets two concurrent
                // creators both "win", the second replacing the key the first already handed out.)
                if (NativeMethods.Link(temp, fullPath) == 0) return true;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EExist) return false; // a concurrent creator won; its key is used
                throw new IOException($"link {temp} → {fullPath} failed (errno {errno})");
            }
            try
            {
                File.Move(temp, fullPath, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(fullPath))
            {
                return false; // a concurrent creator won; its key is used
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyConfigurationException($"cannot create key file {fullPath}: {e.Message}", e);
        }
        finally
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // best effort: a leftover temporary file holds a key nobody uses
            }
        }
    }

    private static string ReadText(string fullPath)
    {
        try
        {
            var info = new FileInfo(fullPath);
            if (!info.Exists)
            {
                throw new KeyConfigurationException(Directory.Exists(fullPath)
                    ? $"key file {fullPath} is a directory, not a PEM file"
                    : $"key file {fullPath} does not exist");
            }

            if (info.Length > MaxFileBytes)
            {
                throw new KeyConfigurationException($"key file {fullPath} is {info.Length} bytes; a PEM private key is at most {MaxFileBytes}");
            }

            return File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyConfigurationException($"cannot read key file {fullPath}: {e.Message}", e);
        }
    }

    private static (string Label, byte[] Der) FindPrivateKey(string text, string fullPath)
    {
        if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new KeyConfigurationException($"key file {fullPath} uses legacy OpenSSL PEM encryption (Proc-Type header), which is not supported; convert it to encrypted PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`");
        }

        var labels = new List<string>();
        (string Label, byte[] Der)? found = null;
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            labels.Add(label);
            if (label is PrivateKeyLabel or EncryptedPrivateKeyLabel or EcPrivateKeyLabel or RsaPrivateKeyLabel)
            {
                if (found is not null)
                {
                    throw new KeyConfigurationException($"key file {fullPath} holds more than one private key; keep exactly one");
                }

                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out var written) || written != der.Length)
                {
                    throw new KeyConfigurationException($"key file {fullPath}: the {label} block is not valid base64");
                }

                found = (label, der);
            }

            rest = rest[fields.Location.End..];
        }

        if (found is { } key)
        {
            return key;
        }

        throw new KeyConfigurationException(labels.Count == 0
            ? $"key file {fullPath} is not a PEM file (no -----BEGIN ...----- block found); expected a PRIVATE KEY, ENCRYPTED PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY"
            : $"key file {fullPath} holds no private key (found: {string.Join(", ", labels)}); expected a PRIVATE KEY, ENCRYPTED PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY");
    }

    private static InMemorySigningKey Import(string label, byte[] der, string? password, string fullPath)
    {
        var description = $"PEM key file {fullPath}";
        switch (label)
        {
            case EcPrivateKeyLabel:
                return ImportWith(ECDsa.Create(), k => k.ImportECPrivateKey(der, out _), k => new InMemorySigningKey(k, description), label, fullPath);
            case RsaPrivateKeyLabel:
                return ImportWith(RSA.Create(), k => k.ImportRSAPrivateKey(der, out _), k => new InMemorySigningKey(k, description), label, fullPath);
            case PrivateKeyLabel:
                return ImportPkcs8(der, fullPath, description, afterDecryption: false);
            default:
                if (password is null)
                {
                    throw new KeyConfigurationException($"key file {fullPath} is encrypted (ENCRYPTED PRIVATE KEY) and no password was configured");
                }

                return ImportEncrypted(der, password, fullPath, description);
        }
    }

    private static InMemorySigningKey ImportEncrypted(byte[] der, string password, string fullPath, string description)
    {
        byte[]? pkcs8;
        try
        {
            pkcs8 = Pkcs8.TryDecryptPbes2(der, password);
        }
        catch (CryptographicException e)
        {
            throw new KeyConfigurationException($"cannot decrypt key file {fullPath}: wrong password, or the file is corrupt", e);
        }

        if (pkcs8 is null)
        {
            // Not PBES2 with PBKDF2 and AES-CBC (e.g. legacy PBES1): let .NET try its importers.
            return ImportEncryptedLegacy(der, password, fullPath, description);
        }

        try
        {
            return ImportPkcs8(pkcs8, fullPath, description, afterDecryption: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static InMemorySigningKey ImportEncryptedLegacy(byte[] der, string password, string fullPath, string description)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportEncryptedPkcs8PrivateKey(password, der, out _);
            return new InMemorySigningKey(ecdsa, description);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            ecdsa.Dispose();
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportEncryptedPkcs8PrivateKey(password, der, out _);
            return new InMemorySigningKey(rsa, description);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            throw new KeyConfigurationException($"cannot decrypt key file {fullPath}: wrong password, or an encryption scheme other than PBES2 (PBKDF2 + AES-CBC) for a key that is not ECDSA or RSA", e);
        }
    }

    private static InMemorySigningKey ImportPkcs8(byte[] pkcs8, string fullPath, string description, bool afterDecryption)
    {
        string oid;
        try
        {
            oid = Pkcs8.AlgorithmOid(pkcs8);
        }
        catch (AsnContentException e)
        {
            throw new KeyConfigurationException(afterDecryption
                ? $"cannot decrypt key file {fullPath}: wrong password, or the file is corrupt"
                : $"key file {fullPath}: the PRIVATE KEY block is not valid PKCS#8", e);
        }

        const string label = "PKCS#8 private key";
        switch (oid)
        {
            case SigningAlgorithms.EcPublicKeyOid:
                return ImportWith(ECDsa.Create(), k => k.ImportPkcs8PrivateKey(pkcs8, out _), k => new InMemorySigningKey(k, description), label, fullPath);
            case SigningAlgorithms.RsaEncryptionOid:
                return ImportWith(RSA.Create(), k => k.ImportPkcs8PrivateKey(pkcs8, out _), k => new InMemorySigningKey(k, description), label, fullPath);
            case SigningAlgorithms.Ed25519Oid:
                byte[] seed;
                try
                {
                    seed = Pkcs8.DecodeEd25519(pkcs8);
                }
                catch (CryptographicException e)
                {
                    throw new KeyConfigurationException($"key file {fullPath}: invalid Ed25519 private key: {e.Message}", e);
                }

                try
                {
                    return InMemorySigningKey.FromEd25519Seed(seed, description);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(seed);
                }

            default:
                throw new KeyConfigurationException($"key file {fullPath} holds a key of algorithm {oid}; supported are ECDSA (P-256, P-384, P-521), RSA and Ed25519");
        }
    }

    private static InMemorySigningKey ImportWith<T>(T key, Action<T> import, Func<T, InMemorySigningKey> wrap, string label, string fullPath)
        where T : AsymmetricAlgorithm
    {
        try
        {
            import(key);
            return wrap(key);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new KeyConfigurationException($"key file {fullPath}: the {label} is malformed: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new KeyConfigurationException($"key file {fullPath}: unsupported key: {e.Message}", e);
        }
    }
}

/// <summary>libc's link(2), for publishing a new key file without replacing one that a concurrent creator published.</summary>
internal static partial class NativeMethods
{
    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Link(string existing, string newPath);
}
