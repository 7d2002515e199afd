using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Keys.Tests;

public sealed class Pkcs11TokenTests(SoftHsmFixture hsm)
{
    public static TheoryData<SigningAlgorithm> TokenAlgorithms =>
        [SigningAlgorithm.EcdsaP256Sha256, SigningAlgorithm.EcdsaP384Sha384, SigningAlgorithm.EcdsaP521Sha512, SigningAlgorithm.RsaPkcs1v15Sha256];

    /// <summary>
    /// Issue 20, finding 9: tokens were initialised with softhsm2-util, whose PINs are arguments in the process list;
    /// <see cref="Pkcs11Token.InitializeToken"/> does it in-process through PKCS#11.
    /// </summary>
    [Fact]
    public void A_token_initialised_through_pkcs11_opens_with_its_user_pin_and_its_label_cannot_be_taken_twice()
    {
        hsm.Require();
        var label = "init-" + Guid.NewGuid().ToString("N")[..8];
        Pkcs11Token.InitializeToken(SoftHsmFixture.ModulePath, label, "so-pin-0123456789", "user-pin-0123456789");

        using (var token = Pkcs11Token.Open(new Pkcs11Options { ModulePath = SoftHsmFixture.ModulePath, TokenLabel = label, Pin = "user-pin-0123456789" }))
        {
            using var key = token.GenerateKey("k", SigningAlgorithm.EcdsaP256Sha256);
            Assert.True(Signatures.Verify(SigningAlgorithm.EcdsaP256Sha256, key.SubjectPublicKeyInfo, [1, 2, 3], key.Sign([1, 2, 3])));
        }

        var wrongPin = Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.Open(new Pkcs11Options { ModulePath = SoftHsmFixture.ModulePath, TokenLabel = label, Pin = "so-pin-0123456789" }));
        Assert.DoesNotContain("so-pin-0123456789", wrongPin.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.InitializeToken(SoftHsmFixture.ModulePath, label, "another-so-pin-1", "another-user-pin-1"));
        Assert.Contains("already exists", twice.Message, StringComparison.Ordinal);
        // The test token of the fixture is untouched.
        using var fixtureToken = hsm.OpenToken();
        Assert.Equal(SoftHsmFixture.TokenLabel, fixtureToken.Label);
    }

    [Theory]
    [MemberData(nameof(TokenAlgorithms))]
    public void Keys_generated_in_the_token_sign_verifiably(SigningAlgorithm algorithm)
    {
        using var token = hsm.OpenToken();
        var label = NewLabel();

        using var key = token.GenerateKey(label, algorithm, rsaKeySizeBits: 2048);

        Assert.Equal(algorithm, key.Algorithm);
        Assert.True(key.IsHardwareBacked);
        Assert.Contains(label, key.Description, StringComparison.Ordinal);
        Assert.Contains(SoftHsmFixture.TokenLabel, key.Description, StringComparison.Ordinal);
        var spki = key.SubjectPublicKeyInfo;
        var padded = 0;
        for (var i = 0; i < (Signatures.IsEcdsa(algorithm) ? 100 : 3); i++)
        {
            var data = BitConverter.GetBytes(i);
            var signature = key.Sign(data);
            if (Signatures.IsEcdsa(algorithm))
            {
                padded += Signatures.AssertStrictDerEcdsa(signature, Signatures.ScalarSize(algorithm));
            }

            Assert.True(Signatures.Verify(algorithm, spki, data, signature), $"signature {i} does not verify");
        }

        if (algorithm is SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384)
        {
            Assert.True(padded > 0, "100 signatures should include a high-bit r or s");
        }
    }

    [Fact]
    public void Rsa_2048_key_has_2048_bits()
    {
        using var token = hsm.OpenToken();

        using var key = token.GenerateKey(NewLabel(), SigningAlgorithm.RsaPkcs1v15Sha256, 2048);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);

        Assert.Equal(2048, rsa.KeySize);
    }

    [Fact]
    public void Ed25519_keys_work_when_the_token_supports_eddsa()
    {
        using var token = hsm.OpenToken();
        ISigningKey key;
        try
        {
            key = token.GenerateKey(NewLabel(), SigningAlgorithm.Ed25519);
        }
        catch (KeyConfigurationException e) when (e.Message.Contains("CKR_MECHANISM_INVALID", StringComparison.Ordinal))
        {
            Assert.Skip("this SoftHSM2 build has no EdDSA");
            return;
        }

        using (key)
        {
            var signature = key.Sign("pure"u8);
            Assert.Equal(64, signature.Length);
            Assert.True(Signatures.Verify(SigningAlgorithm.Ed25519, key.SubjectPublicKeyInfo, "pure"u8.ToArray(), signature));
        }
    }

    [Fact]
    public void Generated_private_keys_are_sensitive_and_never_extractable()
    {
        using var token = hsm.OpenToken();
        using var key = (Pkcs11SigningKey)token.GenerateKey(NewLabel(), SigningAlgorithm.EcdsaP256Sha256);

        var values = token.Run(session => session.GetAttributeValue(key.Handle,
            [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_ALWAYS_SENSITIVE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_TOKEN, CKA.CKA_SIGN, CKA.CKA_VALUE]));

        Assert.True(values[0].GetValueAsBool(), "CKA_SENSITIVE");
        Assert.False(values[1].GetValueAsBool(), "CKA_EXTRACTABLE");
        Assert.True(values[2].GetValueAsBool(), "CKA_ALWAYS_SENSITIVE");
        Assert.True(values[3].GetValueAsBool(), "CKA_NEVER_EXTRACTABLE");
        Assert.True(values[4].GetValueAsBool(), "CKA_TOKEN");
        Assert.True(values[5].GetValueAsBool(), "CKA_SIGN");
        Assert.True(values[6].CannotBeRead, "reading CKA_VALUE (the private scalar) must fail");
    }

    [Fact]
    public void Eight_threads_sign_concurrently_through_a_bounded_session_pool()
    {
        using var token = hsm.OpenToken(maxSessions: 4);
        using var key = token.GenerateKey(NewLabel(), SigningAlgorithm.EcdsaP256Sha256);
        var spki = key.SubjectPublicKeyInfo;
        var failures = 0;
        var maxOpen = 0;

        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var data = BitConverter.GetBytes((t * 1000) + i);
                if (!Signatures.Verify(SigningAlgorithm.EcdsaP256Sha256, spki, data, key.Sign(data)))
                {
                    Interlocked.Increment(ref failures);
                }

                var open = token.OpenSessions;
                int seen;
                while (open > (seen = Volatile.Read(ref maxOpen)) && Interlocked.CompareExchange(ref maxOpen, open, seen) != seen)
                {
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(0, failures);
        Assert.InRange(maxOpen, 1, 4);
    }

    [Fact]
    public void A_reopened_token_finds_the_key_by_label()
    {
        var label = NewLabel();
        byte[] spki;
        using (var token = hsm.OpenToken())
        {
            using var generated = token.GenerateKey(label, SigningAlgorithm.EcdsaP384Sha384);
            spki = generated.SubjectPublicKeyInfo;
        }

        using var reopened = hsm.OpenToken();
        using var key = reopened.GetKey(label);

        Assert.True(reopened.HasKey(label));
        Assert.Contains(label, reopened.ListKeys());
        Assert.Equal(SigningAlgorithm.EcdsaP384Sha384, key.Algorithm);
        Assert.Equal(spki, key.SubjectPublicKeyInfo);
        Assert.True(Signatures.Verify(key.Algorithm, spki, [42], key.Sign([42])));
    }

    [Fact]
    public void The_module_can_be_finalized_and_loaded_again()
    {
        // Two tokens share one module; when both are closed the module is finalized, and a later
        // open initializes it again (other tests may hold it open meanwhile, which is fine too).
        for (var i = 0; i < 3; i++)
        {
            using var first = hsm.OpenToken();
            using var second = hsm.OpenToken();
            Assert.Equal(first.SlotId, second.SlotId);
        }

        using var token = hsm.OpenToken();
        Assert.Equal(SoftHsmFixture.TokenLabel, token.Label);
    }

    [Fact]
    public void Missing_keys_and_duplicate_labels_are_clear_errors()
    {
        using var token = hsm.OpenToken();
        var label = NewLabel();
        token.GenerateKey(label, SigningAlgorithm.EcdsaP256Sha256).Dispose();

        var missing = Assert.Throws<KeyConfigurationException>(() => token.GetKey("no-such-key"));
        var duplicate = Assert.Throws<KeyConfigurationException>(() => token.GenerateKey(label, SigningAlgorithm.EcdsaP256Sha256));

        Assert.Contains("no private key labelled 'no-such-key'", missing.Message, StringComparison.Ordinal);
        Assert.Contains(label, missing.Message, StringComparison.Ordinal); // lists the keys present
        Assert.Contains("already holds a key", duplicate.Message, StringComparison.Ordinal);
        Assert.False(token.HasKey("no-such-key"));
    }

    [Fact]
    public void Certificates_are_stored_found_and_replaced_by_label()
    {
        using var token = hsm.OpenToken();
        var label = NewLabel();
        using var key = token.GenerateKey(label, SigningAlgorithm.EcdsaP256Sha256);
        var first = SelfSigned(key, "CN=first");
        var second = SelfSigned(key, "CN=second");

        Assert.Null(token.FindCertificate(label));
        token.StoreCertificate(label, first);
        Assert.Equal(first, token.FindCertificate(label));
        token.StoreCertificate(label, second);
        Assert.Equal(second, token.FindCertificate(label));
        Assert.Throws<ArgumentException>(() => token.StoreCertificate(label, [1, 2, 3]));
    }

    [Fact]
    public void Hsm_ca_certificate_made_with_certificate_request_validates_with_x509_chain()
    {
        using var token = hsm.OpenToken();
        var caLabel = NewLabel();
        using var caKey = token.GenerateKey(caLabel, SigningAlgorithm.EcdsaP384Sha384);
        var generator = new SigningKeySignatureGenerator(caKey);
        var now = DateTimeOffset.UtcNow;

        var caRequest = new CertificateRequest(new X500DistinguishedName("CN=PrivateSigstore Test Root, O=PrivateSigstore"), generator.PublicKey, HashAlgorithmName.SHA384);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var caSki = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false);
        caRequest.CertificateExtensions.Add(caSki);
        using var caCertificate = caRequest.Create(caRequest.SubjectName, generator, now.AddMinutes(-1), now.AddYears(10), [1]);
        token.StoreCertificate(caLabel, caCertificate.RawData);

        // A Fulcio-style leaf for a client public key, signed by the HSM key.
        using var client = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(new X500DistinguishedName(""), client, HashAlgorithmName.SHA384);
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress("signer@example.com");
        leafRequest.CertificateExtensions.Add(san.Build(critical: true));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSki));
        using var leaf = leafRequest.Create(caCertificate.SubjectName, generator, now.AddMinutes(-1), now.AddMinutes(10), [2, 3]);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(token.FindCertificate(caLabel)!));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.3"));

        var valid = chain.Build(leaf);

        Assert.True(valid, string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation}")));
        Assert.Equal(2, chain.ChainElements.Count);
        Assert.Equal("1.2.840.10045.4.3.3", caCertificate.SignatureAlgorithm.Value);
    }

    [Fact]
    public void Wrong_pin_and_unknown_token_are_clear_errors()
    {
        hsm.Require();
        var wrongPin = hsm.Options();
        wrongPin.Pin = "0000";
        var unknownToken = hsm.Options();
        unknownToken.TokenLabel = "no-such-token";

        var pinError = Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.Open(wrongPin));
        var tokenError = Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.Open(unknownToken));

        Assert.Contains("rejected the user PIN", pinError.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("0000", pinError.Message, StringComparison.Ordinal);
        Assert.Contains("no-such-token", tokenError.Message, StringComparison.Ordinal);
        Assert.Contains(SoftHsmFixture.TokenLabel, tokenError.Message, StringComparison.Ordinal); // lists what is there
    }

    [Fact]
    public void Missing_module_is_a_clear_error()
    {
        var options = new Pkcs11Options { ModulePath = "/nonexistent/libpkcs11.so", TokenLabel = "x", Pin = "1" };

        var error = Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.Open(options));

        Assert.Contains("/nonexistent/libpkcs11.so", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_comes_from_the_file_then_the_environment_then_the_option()
    {
        hsm.Require();
        var pinFile = Path.GetTempFileName();
        var variable = $"PSIG_TEST_PIN_{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(pinFile, SoftHsmFixture.UserPin + "\n");
            var fromFile = hsm.Options();
            fromFile.Pin = "wrong";
            fromFile.PinEnvironmentVariable = variable;
            fromFile.PinFile = pinFile;
            using (Pkcs11Token.Open(fromFile))
            {
            }

            Environment.SetEnvironmentVariable(variable, SoftHsmFixture.UserPin);
            var fromEnvironment = hsm.Options();
            fromEnvironment.Pin = "wrong";
            fromEnvironment.PinEnvironmentVariable = variable;
            using (Pkcs11Token.Open(fromEnvironment))
            {
            }

            var unset = hsm.Options();
            unset.Pin = null;
            unset.PinEnvironmentVariable = variable + "_UNSET";
            var error = Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.Open(unset));
            Assert.Contains(variable + "_UNSET", error.Message, StringComparison.Ordinal);

            var none = hsm.Options();
            none.Pin = null;
            Assert.Contains("no PKCS#11 PIN", Assert.Throws<KeyConfigurationException>(() => Pkcs11Token.Open(none)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pinFile);
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Keys_stop_working_when_their_token_is_disposed()
    {
        var token = hsm.OpenToken();
        var key = token.GenerateKey(NewLabel(), SigningAlgorithm.EcdsaP256Sha256);

        token.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Sign([1]));
        key.Dispose();
    }

    [Fact]
    public void Disposing_the_token_while_threads_sign_waits_for_them_and_then_refuses()
    {
        var token = hsm.OpenToken(maxSessions: 2);
        var key = token.GenerateKey(NewLabel(), SigningAlgorithm.EcdsaP256Sha256);
        var spki = key.SubjectPublicKeyInfo;
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var started = new CountdownEvent(4);

        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            started.Signal();
            for (var i = 0; i < 10_000; i++)
            {
                try
                {
                    Assert.True(Signatures.Verify(SigningAlgorithm.EcdsaP256Sha256, spki, [1], key.Sign([1])));
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                    return;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        started.Wait(TestContext.Current.CancellationToken);
        Thread.Sleep(20);

        token.Dispose();
        threads.ForEach(t => t.Join());

        Assert.Empty(unexpected);
        Assert.Equal(0, token.OpenSessions);
        key.Dispose();
    }

    private static string NewLabel() => $"test-{Guid.NewGuid():N}";

    private static byte[] SelfSigned(ISigningKey key, string subject)
    {
        var generator = new SigningKeySignatureGenerator(key);
        var request = new CertificateRequest(new X500DistinguishedName(subject), generator.PublicKey, HashAlgorithmName.SHA256);
        using var certificate = request.Create(request.SubjectName, generator, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), [9]);
        return certificate.RawData;
    }
}
