using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Rekor;

namespace PrivateSigstore.Core.Tests.Rekor;

/// <summary>What the monitor matches and the explorer shows: the certificates and keys each Rekor entry kind carries, and nothing else.</summary>
public sealed class EntryMaterialTests
{
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly byte[] Spki = Key.ExportSubjectPublicKeyInfo();
    private static readonly byte[] Certificate = new CertificateRequest("CN=test", Key, HashAlgorithmName.SHA256)
        .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10)).RawData;
    private static readonly byte[] Signature = Key.SignData("x"u8, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    /// <summary>Replaces @B64(Signature)@, @B64(Certificate)@, @Pem("CERTIFICATE", Certificate)@ … in a JSON template.</summary>
    private static string Fill(string template) => template
        .Replace("@B64(Signature)@", B64(Signature), StringComparison.Ordinal)
        .Replace("@B64(Certificate)@", B64(Certificate), StringComparison.Ordinal)
        .Replace("@B64(Spki)@", B64(Spki), StringComparison.Ordinal)
        .Replace("@B64([0x30, 0x03, 0x02, 0x01])@", B64([0x30, 0x03, 0x02, 0x01]), StringComparison.Ordinal)
        .Replace("@Pem(\"CERTIFICATE\", Certificate)@", Pem("CERTIFICATE", Certificate), StringComparison.Ordinal)
        .Replace("@Pem(\"PUBLIC KEY\", Spki)@", Pem("PUBLIC KEY", Spki), StringComparison.Ordinal);

    private static string Pem(string label, byte[] der) => B64(Encoding.ASCII.GetBytes(PemEncoding.WriteString(label, der)));

    [Fact]
    public void Hashedrekord_v001_with_a_certificate_gives_the_certificate_and_not_the_signature()
    {
        var body = Fill("""{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"00"}},"signature":{"content":"@B64(Signature)@","publicKey":{"content":"@Pem("CERTIFICATE", Certificate)@"}}}}""");
        var material = EntryMaterial.FromJsonBody(Encoding.UTF8.GetBytes(body));
        Assert.Equal(Certificate, Assert.Single(material.Certificates));
        Assert.Empty(material.PublicKeys);
    }

    [Fact]
    public void Hashedrekord_v001_with_a_key_gives_the_key()
    {
        var body = Fill("""{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"signature":{"content":"@B64(Signature)@","publicKey":{"content":"@Pem("PUBLIC KEY", Spki)@"}}}}""");
        var material = EntryMaterial.FromJsonBody(Encoding.UTF8.GetBytes(body));
        Assert.Empty(material.Certificates);
        Assert.Equal(Spki, Assert.Single(material.PublicKeys));
    }

    [Fact]
    public void Rekor_v2_raw_bytes_are_told_apart_by_shape()
    {
        var certBody = Fill("""{"spec":{"hashedRekordV002":{"signature":{"content":"@B64(Signature)@","verifier":{"x509Certificate":{"rawBytes":"@B64(Certificate)@"}}}}}}""");
        var keyBody = Fill("""{"spec":{"hashedRekordV002":{"signature":{"content":"@B64(Signature)@","verifier":{"publicKey":{"rawBytes":"@B64(Spki)@"}}}}}}""");
        var cert = EntryMaterial.FromJsonBody(Encoding.UTF8.GetBytes(certBody));
        var key = EntryMaterial.FromJsonBody(Encoding.UTF8.GetBytes(keyBody));
        Assert.Equal(Certificate, Assert.Single(cert.Certificates));
        Assert.Empty(cert.PublicKeys);
        Assert.Equal(Spki, Assert.Single(key.PublicKeys));
        Assert.Empty(key.Certificates);
    }

    [Fact]
    public void Dsse_verifiers_are_read_and_garbage_is_ignored()
    {
        var body = Fill("""{"kind":"dsse","spec":{"signatures":[{"signature":"@B64(Signature)@","verifier":"@Pem("CERTIFICATE", Certificate)@"},{"verifier":"@B64(Signature)@"},{"verifier":"not base64!"},{"verifier":"@B64([0x30, 0x03, 0x02, 0x01])@"}]}}""");
        var material = EntryMaterial.FromJsonBody(Encoding.UTF8.GetBytes(body));
        Assert.Equal(Certificate, Assert.Single(material.Certificates));
        Assert.Empty(material.PublicKeys);
        Assert.Empty(EntryMaterial.FromJsonBody("not json"u8.ToArray()).Certificates);
    }

    [Fact]
    public void The_streaming_reader_and_the_document_walk_agree()
    {
        string[] bodies =
        [
            Fill("""{"spec":{"signature":{"content":"@B64(Signature)@","publicKey":{"content":"@Pem("CERTIFICATE", Certificate)@"}}}}"""),
            Fill("""{"spec":{"publicKey":"@Pem("PUBLIC KEY", Spki)@","content":{"envelope":{"signatures":[{"publicKey":"@Pem("CERTIFICATE", Certificate)@"}]}}}}"""),
            Fill("""[{"verifier":["@B64(Certificate)@","@B64(Spki)@"]},{"rawBytes":"@B64(Spki)@"},{"content":"@B64(Spki)@"}]"""),
            Fill("""{"publicKey":[{"content":"@B64(Spki)@"}],"certificate":"@Pem("CERTIFICATE", Certificate)@"}"""),
            Fill("""{"publicKey":{"content":"@B64(Spki)@"}}""").Replace("/", "\\/", StringComparison.Ordinal).Replace("+", "\\u002B", StringComparison.Ordinal),
        ];
        foreach (var body in bodies)
        {
            var streamed = EntryMaterial.FromJsonBody(Encoding.UTF8.GetBytes(body));
            using var document = System.Text.Json.JsonDocument.Parse(body);
            List<byte[]> certificates = [], keys = [];
            EntryMaterial.Collect(document.RootElement, certificates, keys);
            Assert.Equal(certificates, streamed.Certificates);
            Assert.Equal(keys, streamed.PublicKeys);
            Assert.NotEmpty(certificates.Concat(keys));
        }
    }
}
