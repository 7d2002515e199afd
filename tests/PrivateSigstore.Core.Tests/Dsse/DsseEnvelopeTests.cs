using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Core.Tests.Dsse;

public sealed class DsseEnvelopeTests
{
    // secure-systems-lab/dsse protocol.md "Test Vectors" (commit eebf7b59b17a06efd2d8a531fc30d1d193520adb).
    private const string SpecEnvelope =
        "{\"payload\": \"aGVsbG8gd29ybGQ=\",\n \"payloadType\": \"http://example.com/HelloWorld\",\n \"signatures\": [{\"sig\": \"A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==\"}]}";

    private const string SpecPublicX = "46950820868899156662930047687818585632848591499744589407958293238635476079160";
    private const string SpecPublicY = "5640078356564379163099075877009565129882514886557779369047442380624545832820";

    [Fact]
    public void Pae_matches_the_spec_test_vector()
    {
        var pae = DsseEnvelope.PreAuthenticationEncoding("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pae_lengths_are_utf8_byte_lengths_in_decimal()
    {
        var payload = new byte[1234];
        var pae = DsseEnvelope.PreAuthenticationEncoding("t\u00e9\U0001F600", payload);

        var expectedPrefix = Encoding.UTF8.GetBytes("DSSEv1 7 t\u00e9\U0001F600 1234 ");
        Assert.Equal(expectedPrefix, pae[..expectedPrefix.Length]);
        Assert.Equal(expectedPrefix.Length + payload.Length, pae.Length);
    }

    [Fact]
    public void Pae_of_empty_type_and_payload()
    {
        Assert.Equal("DSSEv1 0  0 ", Encoding.ASCII.GetString(DsseEnvelope.PreAuthenticationEncoding("", [])));
    }

    [Fact]
    public void Pae_keeps_payload_bytes_verbatim()
    {
        byte[] payload = [0x00, 0xff, 0x20, 0x0a];

        var pae = DsseEnvelope.PreAuthenticationEncoding("x", payload);

        Assert.Equal("DSSEv1 1 x 4 "u8.ToArray().Concat(payload), pae);
    }

    [Fact]
    public void Pae_rejects_text_that_is_not_unicode()
    {
        Assert.Throws<ArgumentNullException>(() => DsseEnvelope.PreAuthenticationEncoding(null!, []));
        Assert.ThrowsAny<ArgumentException>(() => DsseEnvelope.PreAuthenticationEncoding("\ud800", []));
    }

    [Fact]
    public void Spec_envelope_parses_and_its_signature_verifies_over_pae()
    {
        var envelope = DsseEnvelopeJson.Parse(SpecEnvelope);

        Assert.Equal("http://example.com/HelloWorld", envelope.PayloadType);
        Assert.Equal("hello world"u8.ToArray(), envelope.Payload);
        var signature = Assert.Single(envelope.Signatures);
        Assert.Null(signature.KeyId);
        Assert.Equal(64, signature.Sig.Length);

        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Coordinate(SpecPublicX), Y = Coordinate(SpecPublicY) },
        });
        var pae = DsseEnvelope.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload);
        Assert.True(key.VerifyData(pae, signature.Sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(key.VerifyData(DsseEnvelope.PreAuthenticationEncoding("http://example.com/HelloWorld", "hello world!"u8), signature.Sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Spec_envelope_serializes_to_the_spec_json_without_whitespace()
    {
        var json = DsseEnvelopeJson.Serialize(DsseEnvelopeJson.Parse(SpecEnvelope));

        Assert.Equal(JsonComparison.Minified(SpecEnvelope), json);
    }

    [Theory]
    [InlineData("sigstore-go.dsse.sigstore.json")]
    [InlineData("sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json")]
    [InlineData("conformance.happy-path-intoto-in-dsse-v3.sigstore.json")]
    [InlineData("conformance.rekor2-dsse-happy-path.sigstore.json")]
    public void Real_bundle_dsse_signatures_verify_over_pae_with_the_leaf_key(string file)
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/" + file));
        var material = bundle.VerificationMaterial!;
        var leafDer = material.Certificate?.RawBytes ?? material.X509CertificateChain!.Certificates[0].RawBytes;
        using var leaf = X509CertificateLoader.LoadCertificate(leafDer);
        using var key = leaf.GetECDsaPublicKey()!;
        var envelope = bundle.DsseEnvelope!;

        var pae = DsseEnvelope.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload);

        Assert.True(key.VerifyData(pae, envelope.Signatures[0].Sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void Key_ids_round_trip_absent_empty_and_set()
    {
        var envelope = new DsseEnvelope("t", [1, 2, 3], [new DsseSignature([9], null), new DsseSignature([8], ""), new DsseSignature([7], "key-1")]);

        var json = DsseEnvelopeJson.Serialize(envelope);

        Assert.Equal(
            "{\"payload\":\"AQID\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"CQ==\"},{\"keyid\":\"\",\"sig\":\"CA==\"},{\"keyid\":\"key-1\",\"sig\":\"Bw==\"}]}",
            json);
        var reread = DsseEnvelopeJson.Parse(json);
        Assert.Equal([null, "", "key-1"], reread.Signatures.Select(s => s.KeyId));
        Assert.Equal(json, DsseEnvelopeJson.Serialize(reread));
        Assert.Equal(Encoding.UTF8.GetBytes(json), DsseEnvelopeJson.SerializeToUtf8Bytes(reread));
    }

    [Fact]
    public void Empty_values_are_still_written_as_the_spec_requires()
    {
        var json = DsseEnvelopeJson.Serialize(new DsseEnvelope("", [], [new DsseSignature([], null)]));

        Assert.Equal("{\"payload\":\"\",\"payloadType\":\"\",\"signatures\":[{\"sig\":\"\"}]}", json);
        Assert.Empty(DsseEnvelopeJson.Parse(json).Payload);
    }

    [Fact]
    public void Url_safe_and_unpadded_base64_are_accepted()
    {
        var envelope = DsseEnvelopeJson.Parse("{\"payload\":\"-_8\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA\",\"future\":1}],\"x\":null}");

        Assert.Equal(new byte[] { 0xfb, 0xff }, envelope.Payload);
        Assert.Equal(new byte[] { 0 }, envelope.Signatures[0].Sig);
    }

    [Fact]
    public void Stream_and_bytes_parse_the_same()
    {
        var bytes = Encoding.UTF8.GetBytes(SpecEnvelope);
        using var stream = new MemoryStream(bytes);

        Assert.Equal(DsseEnvelopeJson.Serialize(DsseEnvelopeJson.Parse(bytes)), DsseEnvelopeJson.Serialize(DsseEnvelopeJson.Parse(stream)));
    }

    [Theory]
    [InlineData("{\"payloadType\":\"t\",\"signatures\":[]}", "$.payload: required DSSE field is missing")]
    [InlineData("{\"payload\":null,\"payloadType\":\"t\",\"signatures\":[]}", "$.payload: required DSSE field is missing")]
    [InlineData("{\"payload\":\"\",\"signatures\":[]}", "$.payloadType: required DSSE field is missing")]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\"}", "$.signatures: required DSSE field is missing")]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"k\"}]}", "$.signatures[0].sig: required DSSE field is missing")]
    [InlineData("{\"payload\":\"!!\",\"payloadType\":\"t\",\"signatures\":[]}", "$.payload: invalid base64")]
    [InlineData("{\"payload\":\"\",\"payloadType\":7,\"signatures\":[]}", "$.payloadType: expected a string, got a number")]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":{}}", "$.signatures: expected an array, got an object")]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[\"sig\"]}", "$.signatures[0]: expected a JSON object for io.intoto.Signature, got a string")]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\",\"keyid\":false}]}", "$.signatures[0].keyid: expected a string, got a boolean")]
    [InlineData("[]", "$: expected a JSON object for io.intoto.Envelope, got an array")]
    public void Bad_envelopes_are_rejected_with_the_reason(string json, string reason) =>
        Assert.Equal(reason, Assert.ThrowsAny<WireFormatException>(() => DsseEnvelopeJson.Parse(json)).Reason);

    [Fact]
    public void Truncated_oversized_and_deep_input_is_rejected()
    {
        var bytes = Encoding.UTF8.GetBytes(SpecEnvelope);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.ThrowsAny<WireFormatException>(() => DsseEnvelopeJson.Parse(bytes.AsSpan(0, length)));
        }

        var big = new byte[(17 * 1024 * 1024)];
        big.AsSpan().Fill((byte)' ');
        bytes.CopyTo(big, 0);
        Assert.ThrowsAny<WireFormatException>(() => DsseEnvelopeJson.Parse(big));

        var deep = "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[],\"x\":" + new string('[', 1000) + new string(']', 1000) + "}";
        Assert.ThrowsAny<WireFormatException>(() => DsseEnvelopeJson.Parse(deep));
    }

    private static byte[] Coordinate(string decimalValue)
    {
        var bytes = BigInteger.Parse(decimalValue, System.Globalization.CultureInfo.InvariantCulture).ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[32];
        bytes.CopyTo(padded, 32 - bytes.Length);
        return padded;
    }
}
