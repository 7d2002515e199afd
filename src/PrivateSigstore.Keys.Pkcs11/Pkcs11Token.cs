using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>
/// A PKCS#11 token (an HSM partition, a SoftHSM2 token) opened with a user login: finds, generates
/// and signs with keys that never leave it, and stores the certificates that go with them. Thread-safe;
/// signing runs on a bounded pool of sessions (<see cref="Pkcs11Options.MaxSessions"/>).
/// </summary>
/// <remarks>
/// Keys and certificates are found by <c>CKA_LABEL</c>. Keys this class generates are token objects
/// with <c>CKA_SENSITIVE=true</c>, <c>CKA_EXTRACTABLE=false</c> and <c>CKA_SIGN=true</c>; their
/// public halves are stored beside them with the same label and <c>CKA_ID</c>.
/// Disposing the token closes its sessions and makes its keys unusable.
/// </remarks>
public sealed class Pkcs11Token : IDisposable
{
    // PKCS#11 3.0 values that Pkcs11Interop 5.3 does not name.
    private const ulong CkkEcEdwards = 0x40;
    private const ulong CkmEcEdwardsKeyPairGen = 0x1055;

    private readonly Pkcs11Module _module;
    private readonly Pkcs11SessionPool _pool;
    private int _disposed;

    private Pkcs11Token(Pkcs11Module module, ISlot slot, string label, string pin, int maxSessions)
    {
        _module = module;
        Label = label;
        SlotId = slot.SlotId;
        _pool = new Pkcs11SessionPool(slot, pin, label, maxSessions);
    }

    /// <summary>The token label.</summary>
    public string Label { get; }

    /// <summary>The slot ID the token was found in.</summary>
    public ulong SlotId { get; }

    /// <summary>The absolute path of the PKCS#11 module.</summary>
    public string ModulePath => _module.Path;

    internal Pkcs11InteropFactories Factories => _module.Factories;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Sessions currently open to the token (for health checks and tests).</summary>
    internal int OpenSessions => _pool.OpenSessions;

    /// <summary>
    /// Loads the module, finds the token and logs in as the user. Throws
    /// <see cref="KeyConfigurationException"/> when the options are invalid, the module is missing,
    /// no token or several tokens match, or the PIN is missing or rejected.
    /// </summary>
    public static Pkcs11Token Open(Pkcs11Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var pin = options.ResolvePin();
        var module = Pkcs11Module.Acquire(options.ModulePath);
        Pkcs11Token? token = null;
        try
        {
            var (slot, label) = FindSlot(module, options);
            token = new Pkcs11Token(module, slot, label, pin, options.MaxSessions);
            token._pool.Warm();
            return token;
        }
        catch (Pkcs11Exception e)
        {
            ReleaseAfterFailure(token, module);
            throw new KeyConfigurationException($"PKCS#11 module {module.Path}: {e.Method} failed with {e.RV} while opening the token", e);
        }
        catch
        {
            ReleaseAfterFailure(token, module);
            throw;
        }
    }

    /// <summary>
    /// Initialises a token in the module's first slot whose token is not yet initialised (SoftHSM2 always keeps one:
    /// what <c>softhsm2-util --init-token --free</c> picks) with <paramref name="label"/>, the security officer PIN
    /// <paramref name="soPin"/> and the user PIN <paramref name="userPin"/> (C_InitToken, then C_Login as SO and C_InitPIN).
    /// The PINs stay in this process: softhsm2-util takes them only as arguments (visible in the process list) or from a
    /// terminal. Throws <see cref="KeyConfigurationException"/> when a token already has the label, no slot is free, or
    /// the module refuses.
    /// </summary>
    public static void InitializeToken(string modulePath, string label, string soPin, string userPin)
    {
        ArgumentException.ThrowIfNullOrEmpty(modulePath);
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentException.ThrowIfNullOrEmpty(soPin);
        ArgumentException.ThrowIfNullOrEmpty(userPin);
        if (System.Text.Encoding.UTF8.GetByteCount(label) > 32)
        {
            throw new KeyConfigurationException($"the token label '{label}' is longer than 32 bytes (PKCS#11 CK_TOKEN_INFO.label)");
        }

        var module = Pkcs11Module.Acquire(modulePath);
        try
        {
            ISlot? free = null;
            foreach (var slot in module.Library.GetSlotList(SlotsType.WithTokenPresent))
            {
                var info = slot.GetTokenInfo();
                if (!info.TokenFlags.TokenInitialized)
                {
                    free ??= slot;
                }
                else if (info.Label.TrimEnd(' ', '\0') == label)
                {
                    throw new KeyConfigurationException($"a PKCS#11 token labelled '{label}' already exists in module {module.Path} (slot {slot.SlotId})");
                }
            }

            if (free is null)
            {
                throw new KeyConfigurationException($"PKCS#11 module {module.Path} has no uninitialised token to initialise (for a hardware HSM, use the vendor's tool)");
            }

            free.InitToken(soPin, label);
            using var session = free.OpenSession(SessionType.ReadWrite);
            session.Login(CKU.CKU_SO, soPin);
            session.InitPin(userPin);
            session.Logout();
        }
        catch (Pkcs11Exception e)
        {
            throw new KeyConfigurationException($"PKCS#11 module {module.Path}: {e.Method} failed with {e.RV} while initialising token '{label}'", e);
        }
        finally
        {
            module.Release();
        }
    }

    /// <summary>
    /// Returns the private key labelled <paramref name="label"/>. The returned key borrows this
    /// token: disposing it does nothing, disposing the token ends it. Throws
    /// <see cref="KeyConfigurationException"/> if no key or several keys have the label, or the key is
    /// of an unsupported type.
    /// </summary>
    public ISigningKey GetKey(string label) => OpenKey(label, ownsToken: false);

    /// <summary>
    /// Generates a key pair inside the token (private key sensitive, non-extractable, token object)
    /// and returns the signing key. RSA keys get 3072 bits. Throws
    /// <see cref="KeyConfigurationException"/> if a key with this label exists or the token refuses.
    /// </summary>
    public ISigningKey GenerateKey(string label, SigningAlgorithm algorithm) =>
        GenerateKey(label, algorithm, SigningAlgorithms.DefaultRsaBits);

    /// <summary>
    /// As <see cref="GenerateKey(string, SigningAlgorithm)"/>, with the RSA modulus size
    /// (2048, 3072 or 4096; ignored for other algorithms).
    /// </summary>
    public ISigningKey GenerateKey(string label, SigningAlgorithm algorithm, int rsaKeySizeBits)
    {
        RequireLabel(label);
        SigningAlgorithms.Require(algorithm, nameof(algorithm));
        if (algorithm == SigningAlgorithm.RsaPkcs1v15Sha256 && rsaKeySizeBits is not (2048 or 3072 or 4096))
        {
            throw new ArgumentOutOfRangeException(nameof(rsaKeySizeBits), rsaKeySizeBits, "RSA keys are 2048, 3072 or 4096 bits");
        }

        ThrowIfDisposed();
        if (HasKey(label))
        {
            throw new KeyConfigurationException($"PKCS#11 token '{Label}' already holds a key labelled '{label}'; choose another label or use the existing key");
        }

        var id = RandomNumberGenerator.GetBytes(16);
        var attributes = Factories.ObjectAttributeFactory;
        List<IObjectAttribute> publicTemplate =
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, false),
            attributes.Create(CKA.CKA_VERIFY, true),
            attributes.Create(CKA.CKA_LABEL, label),
            attributes.Create(CKA.CKA_ID, id),
        ];
        List<IObjectAttribute> privateTemplate =
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, false),
            attributes.Create(CKA.CKA_SIGN, true),
            attributes.Create(CKA.CKA_LABEL, label),
            attributes.Create(CKA.CKA_ID, id),
        ];

        ulong mechanismType;
        switch (algorithm)
        {
            case SigningAlgorithm.RsaPkcs1v15Sha256:
                mechanismType = (ulong)CKM.CKM_RSA_PKCS_KEY_PAIR_GEN;
                publicTemplate.Add(attributes.Create(CKA.CKA_MODULUS_BITS, (ulong)rsaKeySizeBits));
                publicTemplate.Add(attributes.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 0x01, 0x00, 0x01 }));
                break;
            case SigningAlgorithm.Ed25519:
                mechanismType = CkmEcEdwardsKeyPairGen;
                publicTemplate.Add(attributes.Create(CKA.CKA_EC_PARAMS, EncodeOid(SigningAlgorithms.Ed25519Oid)));
                break;
            default:
                mechanismType = (ulong)CKM.CKM_EC_KEY_PAIR_GEN;
                publicTemplate.Add(attributes.Create(CKA.CKA_EC_PARAMS, EncodeOid(algorithm.CurveOid())));
                break;
        }

        try
        {
            _pool.Run(session =>
            {
                using var mechanism = Factories.MechanismFactory.Create(mechanismType);
                session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out _, out _);
                return 0;
            });
        }
        catch (Pkcs11Exception e)
        {
            throw new KeyConfigurationException($"PKCS#11 token '{Label}' could not generate a {algorithm} key labelled '{label}': {e.RV}", e);
        }
        finally
        {
            foreach (var attribute in publicTemplate.Concat(privateTemplate))
            {
                attribute.Dispose();
            }
        }

        return GetKey(label);
    }

    /// <summary>Whether the token holds a private key labelled <paramref name="label"/>.</summary>
    public bool HasKey(string label)
    {
        RequireLabel(label);
        return FindObjects(CKO.CKO_PRIVATE_KEY, label).Count > 0;
    }

    /// <summary>The distinct labels of the private keys in the token, sorted ordinally.</summary>
    public IReadOnlyList<string> ListKeys()
    {
        ThrowIfDisposed();
        return Run(session =>
        {
            using var classAttribute = Factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY);
            var labels = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var handle in session.FindAllObjects([classAttribute]))
            {
                var value = session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0];
                if (!value.CannotBeRead)
                {
                    labels.Add(value.GetValueAsString());
                }
            }

            return (IReadOnlyList<string>)[.. labels];
        });
    }

    /// <summary>
    /// Stores a DER X.509 certificate in the token as a certificate object labelled
    /// <paramref name="label"/> (with the <c>CKA_ID</c> of the key of the same label, if any), then
    /// removes older certificates with that label. Throws <see cref="ArgumentException"/> if
    /// <paramref name="der"/> is not a certificate.
    /// </summary>
    public void StoreCertificate(string label, byte[] der)
    {
        RequireLabel(label);
        ArgumentNullException.ThrowIfNull(der);
        ThrowIfDisposed();
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException("not a DER X.509 certificate", nameof(der), e);
        }

        using (certificate)
        {
            var serial = new AsnWriter(AsnEncodingRules.DER);
            serial.WriteInteger(new BigInteger(certificate.SerialNumberBytes.Span, isUnsigned: false, isBigEndian: true));
            var keys = FindObjects(CKO.CKO_PRIVATE_KEY, label);
            var id = keys.Count == 1 ? ReadBytes(keys[0], CKA.CKA_ID) : null;
            var old = FindObjects(CKO.CKO_CERTIFICATE, label);
            var attributes = Factories.ObjectAttributeFactory;
            List<IObjectAttribute> template =
            [
                attributes.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE),
                attributes.Create(CKA.CKA_CERTIFICATE_TYPE, CKC.CKC_X_509),
                attributes.Create(CKA.CKA_TOKEN, true),
                attributes.Create(CKA.CKA_PRIVATE, false),
                attributes.Create(CKA.CKA_LABEL, label),
                attributes.Create(CKA.CKA_SUBJECT, certificate.SubjectName.RawData),
                attributes.Create(CKA.CKA_ISSUER, certificate.IssuerName.RawData),
                attributes.Create(CKA.CKA_SERIAL_NUMBER, serial.Encode()),
                attributes.Create(CKA.CKA_VALUE, der),
            ];
            if (id is { Length: > 0 })
            {
                template.Add(attributes.Create(CKA.CKA_ID, id));
            }

            try
            {
                Run(session =>
                {
                    session.CreateObject(template);
                    foreach (var handle in old)
                    {
                        session.DestroyObject(handle);
                    }

                    return 0;
                });
            }
            finally
            {
                foreach (var attribute in template)
                {
                    attribute.Dispose();
                }
            }
        }
    }

    /// <summary>The DER certificate labelled <paramref name="label"/>, or <c>null</c> if the token holds none.</summary>
    public byte[]? FindCertificate(string label)
    {
        RequireLabel(label);
        var found = FindObjects(CKO.CKO_CERTIFICATE, label);
        return found.Count == 0 ? null : ReadBytes(found[0], CKA.CKA_VALUE);
    }

    /// <summary>Closes the token's sessions (ending the login once none remain) and releases the module.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _pool.Dispose();
        _module.Release();
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled, logged-in session. Pkcs11 failures pass through.</summary>
    internal T Run<T>(Func<ISession, T> operation)
    {
        ThrowIfDisposed();
        return _pool.Run(operation);
    }

    /// <summary>Opens the key labelled <paramref name="label"/>; with <paramref name="ownsToken"/>, disposing the key disposes this token.</summary>
    internal Pkcs11SigningKey OpenKey(string label, bool ownsToken)
    {
        RequireLabel(label);
        ThrowIfDisposed();
        var privateKeys = FindObjects(CKO.CKO_PRIVATE_KEY, label);
        if (privateKeys.Count == 0)
        {
            var available = ListKeys();
            throw new KeyConfigurationException($"PKCS#11 token '{Label}' holds no private key labelled '{label}' (keys: {(available.Count == 0 ? "none" : string.Join(", ", available))})");
        }

        if (privateKeys.Count > 1)
        {
            throw new KeyConfigurationException($"PKCS#11 token '{Label}' holds {privateKeys.Count} private keys labelled '{label}'; labels must be unique");
        }

        var handle = privateKeys[0];
        var (keyType, id) = Run(session =>
        {
            var values = session.GetAttributeValue(handle, [CKA.CKA_KEY_TYPE, CKA.CKA_ID]);
            return (values[0].GetValueAsUlong(), values[1].CannotBeRead ? [] : values[1].GetValueAsByteArray() ?? []);
        });
        var (algorithm, spki) = ReadPublicKey(label, keyType, id);
        return new Pkcs11SigningKey(this, handle, label, algorithm, spki, ownsToken);
    }

    private static void ReleaseAfterFailure(Pkcs11Token? token, Pkcs11Module module)
    {
        if (token is not null)
        {
            token.Dispose();
        }
        else
        {
            module.Release();
        }
    }

    private static (ISlot Slot, string Label) FindSlot(Pkcs11Module module, Pkcs11Options options)
    {
        var candidates = new List<(ISlot Slot, string Label)>();
        var seen = new List<string>();
        foreach (var slot in module.Library.GetSlotList(SlotsType.WithTokenPresent))
        {
            var label = slot.GetTokenInfo().Label.TrimEnd(' ', '\0');
            seen.Add($"'{label}' (slot {slot.SlotId})");
            if ((options.SlotId is null || options.SlotId == slot.SlotId)
                && (string.IsNullOrEmpty(options.TokenLabel) || options.TokenLabel == label))
            {
                candidates.Add((slot, label));
            }
        }

        var wanted = string.IsNullOrEmpty(options.TokenLabel)
            ? $"slot {options.SlotId}"
            : options.SlotId is null ? $"label '{options.TokenLabel}'" : $"label '{options.TokenLabel}' in slot {options.SlotId}";
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new KeyConfigurationException($"no PKCS#11 token with {wanted} in module {module.Path} (tokens present: {(seen.Count == 0 ? "none" : string.Join(", ", seen))})"),
            _ => throw new KeyConfigurationException($"{candidates.Count} PKCS#11 tokens match {wanted} in module {module.Path}; set Pkcs11.SlotId as well"),
        };
    }

    private (SigningAlgorithm Algorithm, byte[] Spki) ReadPublicKey(string label, ulong keyType, byte[] id)
    {
        var publicKeys = id.Length > 0 ? FindObjects(CKO.CKO_PUBLIC_KEY, label: null, id) : [];
        if (publicKeys.Count == 0)
        {
            publicKeys = FindObjects(CKO.CKO_PUBLIC_KEY, label);
        }

        if (publicKeys.Count == 0)
        {
            // Some HSMs (e.g. AWS CloudHSM) keep no public key objects: use the certificate's key instead.
            return FindCertificate(label) is { } certificate
                ? PublicKeyFromCertificate(label, certificate)
                : throw new KeyConfigurationException($"PKCS#11 token '{Label}': the key labelled '{label}' has no public key object (same CKA_ID or label) and no certificate labelled '{label}'");
        }

        var handle = publicKeys[0];
        try
        {
            switch (keyType)
            {
                case (ulong)CKK.CKK_EC:
                    var (parameters, point) = ReadEcPublic(handle);
                    var curveOid = AsnDecoder.ReadObjectIdentifier(parameters, AsnEncodingRules.DER, out _);
                    var algorithm = SigningAlgorithms.FromCurveOid(curveOid)
                        ?? throw new KeyConfigurationException($"PKCS#11 token '{Label}': the key labelled '{label}' is on curve {curveOid}; supported are P-256, P-384 and P-521");
                    return (algorithm, EcSubjectPublicKeyInfo(algorithm, UnwrapPoint(point, 1 + (2 * algorithm.EcdsaScalarSize()))));
                case CkkEcEdwards:
                    var (edParameters, edPoint) = ReadEcPublic(handle);
                    if (!IsEd25519Parameters(edParameters))
                    {
                        throw new KeyConfigurationException($"PKCS#11 token '{Label}': the Edwards-curve key labelled '{label}' is not Ed25519");
                    }

                    return (SigningAlgorithm.Ed25519, Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(UnwrapPoint(edPoint, Core.Crypto.Ed25519.KeySize)));
                case (ulong)CKK.CKK_RSA:
                    var (modulus, exponent) = Run(session =>
                    {
                        var values = session.GetAttributeValue(handle, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
                        return (values[0].GetValueAsByteArray(), values[1].GetValueAsByteArray());
                    });
                    using (var rsa = RSA.Create(new RSAParameters { Modulus = modulus, Exponent = exponent }))
                    {
                        if (rsa.KeySize is < SigningAlgorithms.MinRsaBits or > SigningAlgorithms.MaxRsaBits)
                        {
                            throw new KeyConfigurationException($"PKCS#11 token '{Label}': the RSA key labelled '{label}' has {rsa.KeySize} bits; 2048 to 4096 are supported");
                        }

                        return (SigningAlgorithm.RsaPkcs1v15Sha256, rsa.ExportSubjectPublicKeyInfo());
                    }

                default:
                    throw new KeyConfigurationException($"PKCS#11 token '{Label}': the key labelled '{label}' has key type 0x{keyType:x}; supported are EC, RSA and Ed25519");
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new KeyConfigurationException($"PKCS#11 token '{Label}': the public key labelled '{label}' is malformed: {e.Message}", e);
        }
    }

    private (byte[] Parameters, byte[] Point) ReadEcPublic(IObjectHandle handle) => Run(session =>
    {
        var values = session.GetAttributeValue(handle, [CKA.CKA_EC_PARAMS, CKA.CKA_EC_POINT]);
        return (values[0].GetValueAsByteArray(), values[1].GetValueAsByteArray());
    });

    private (SigningAlgorithm, byte[]) PublicKeyFromCertificate(string label, byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        var spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        return certificate.PublicKey.Oid.Value switch
        {
            SigningAlgorithms.EcPublicKeyOid => (SigningAlgorithms.FromEcSubjectPublicKeyInfo(spki)
                ?? throw new KeyConfigurationException($"PKCS#11 token '{Label}': the certificate labelled '{label}' has an unsupported curve"), spki),
            SigningAlgorithms.RsaEncryptionOid => (SigningAlgorithm.RsaPkcs1v15Sha256, spki),
            SigningAlgorithms.Ed25519Oid => (SigningAlgorithm.Ed25519, spki),
            _ => throw new KeyConfigurationException($"PKCS#11 token '{Label}': the certificate labelled '{label}' has an unsupported key type"),
        };
    }

    /// <summary>
    /// CKA_EC_POINT is a DER OCTET STRING wrapping the point (PKCS#11 §2.3.3); some tokens return the
    /// bare point instead. Accept both, telling them apart by the expected point length.
    /// </summary>
    private static byte[] UnwrapPoint(byte[] value, int pointLength)
    {
        if (value.Length == pointLength && (pointLength == Core.Crypto.Ed25519.KeySize || value[0] == 0x04))
        {
            return value;
        }

        var point = AsnDecoder.ReadOctetString(value, AsnEncodingRules.DER, out var consumed);
        return consumed == value.Length && point.Length == pointLength
            ? point
            : throw new CryptographicException($"CKA_EC_POINT holds {point.Length} bytes; expected {pointLength}");
    }

    private static byte[] EcSubjectPublicKeyInfo(SigningAlgorithm algorithm, byte[] uncompressedPoint)
    {
        if (uncompressedPoint[0] != 0x04)
        {
            throw new CryptographicException("only uncompressed EC points are supported");
        }

        var size = algorithm.EcdsaScalarSize();
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = algorithm.Curve(),
            Q = new ECPoint { X = uncompressedPoint[1..(1 + size)], Y = uncompressedPoint[(1 + size)..] },
        }); // validates that the point is on the curve
        return ecdsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Ed25519 CKA_EC_PARAMS: the OID 1.3.101.112 (RFC 8410) or the PrintableString "edwards25519" (PKCS#11 3.0).</summary>
    private static bool IsEd25519Parameters(byte[] parameters)
    {
        var tag = Asn1Tag.Decode(parameters, out _);
        if (tag.HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
        {
            return AsnDecoder.ReadObjectIdentifier(parameters, AsnEncodingRules.DER, out _) == SigningAlgorithms.Ed25519Oid;
        }

        return tag.HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.PrintableString))
            && AsnDecoder.ReadCharacterString(parameters, AsnEncodingRules.DER, UniversalTagNumber.PrintableString, out _) == "edwards25519";
    }

    private static byte[] EncodeOid(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteObjectIdentifier(oid);
        return writer.Encode();
    }

    private static void RequireLabel(string label) => ArgumentException.ThrowIfNullOrEmpty(label);

    private List<IObjectHandle> FindObjects(CKO objectClass, string? label, byte[]? id = null) => Run(session =>
    {
        var attributes = Factories.ObjectAttributeFactory;
        List<IObjectAttribute> template = [attributes.Create(CKA.CKA_CLASS, objectClass)];
        if (label is not null)
        {
            template.Add(attributes.Create(CKA.CKA_LABEL, label));
        }

        if (id is not null)
        {
            template.Add(attributes.Create(CKA.CKA_ID, id));
        }

        try
        {
            return session.FindAllObjects(template);
        }
        finally
        {
            foreach (var attribute in template)
            {
                attribute.Dispose();
            }
        }
    });

    private byte[]? ReadBytes(IObjectHandle handle, CKA attribute) => Run(session =>
    {
        var value = session.GetAttributeValue(handle, [attribute])[0];
        return value.CannotBeRead ? null : value.GetValueAsByteArray();
    });

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
