using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>Hostile and malformed requests: each gets a 4xx with a reason, never a 5xx, and nothing is issued.</summary>
public sealed class HostileInputTests(TsaFixture tsa) : IClassFixture<TsaFixture>
{
    private const string Der = "application/timestamp-query";
    private const string Json = "application/json";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Sha256 = SHA256.HashData("x"u8);

    // Imprints of the lengths SHA-1 and MD5 produce (only the length and the OID matter to the authority).
    private static readonly byte[] Sha1Length = RandomNumberGenerator.GetBytes(20);
    private static readonly byte[] Md5Length = RandomNumberGenerator.GetBytes(16);

    /// <summary>A TimeStampReq written field by field, so each field can be made wrong.</summary>
    private static byte[] Request(
        int version = 1,
        string hashOid = "2.16.840.1.101.3.4.2.1",
        byte[]? imprint = null,
        Action<AsnWriter>? parameters = null,
        string? policy = null,
        bool extensions = false,
        byte[]? trailing = null)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteInteger(version);
            using (w.PushSequence())
            {
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(hashOid);
                    parameters?.Invoke(w);
                }
                w.WriteOctetString(imprint ?? Sha256);
            }
            if (policy is not null) w.WriteObjectIdentifier(policy);
            w.WriteInteger(12345);
            w.WriteBoolean(true);
            if (extensions)
            {
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier("1.2.3.4");
                    w.WriteOctetString([1, 2, 3]);
                }
            }
        }
        return [.. w.Encode(), .. trailing ?? []];
    }

    public static TheoryData<string, string, string, string> Cases()
    {
        var good = Request();
        string B64(byte[] b) => Convert.ToBase64String(b);
        string JsonBody(string hash, string algorithm, string extra = "") => $"{{\"artifactHash\":\"{hash}\",\"hashAlgorithm\":\"{algorithm}\"{extra}}}";
        var deep = new StringBuilder();
        for (var i = 0; i < 200; i++) deep.Append("{\"a\":");
        deep.Append('1');
        for (var i = 0; i < 200; i++) deep.Append('}');
        var data = new TheoryData<string, string, string, string>
        {
            // name, content type, body (base64), expected message fragment
            { "empty DER body", Der, "", "not a DER TimeStampReq" },
            { "garbage bytes", Der, B64(RandomNumberGenerator.GetBytes(64)), "" },
            { "truncated DER", Der, B64(good[..^5]), "not a DER TimeStampReq" },
            { "trailing bytes after the request", Der, B64(Request(trailing: [0x05, 0x00])), "follow the TimeStampReq" },
            { "version 2", Der, B64(Request(version: 2)), "version" },
            { "SHA-1 imprint (weak)", Der, B64(Request(hashOid: "1.3.14.3.2.26", imprint: Sha1Length)), "Weak hash algorithm" },
            { "MD5 imprint", Der, B64(Request(hashOid: "1.2.840.113549.2.5", imprint: Md5Length)), "unsupported hash algorithm" },
            { "unknown hash OID", Der, B64(Request(hashOid: "1.2.3.4.5.6")), "unsupported hash algorithm" },
            { "SHA-256 with a 31-byte imprint", Der, B64(Request(imprint: Sha256[..31])), "incorrect length" },
            { "SHA-512 OID with a 32-byte imprint", Der, B64(Request(hashOid: "2.16.840.1.101.3.4.2.3")), "incorrect length" },
            { "SHA-384 OID with an empty imprint", Der, B64(Request(hashOid: "2.16.840.1.101.3.4.2.2", imprint: [])), "incorrect length" },
            { "hash parameters that are not NULL", Der, B64(Request(parameters: w => w.WriteOctetString([1]))), "NULL or absent parameters" },
            { "request extensions", Der, B64(Request(extensions: true)), "unaccepted extension" },
            { "another policy", Der, B64(Request(policy: "1.2.3.4")), "unaccepted policy" },
            { "BER indefinite length", Der, B64([0x30, 0x80, .. good[2..], 0x00, 0x00]), "" },
            { "a JSON body sent as DER", Der, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256"))), "not a DER TimeStampReq" },
            { "malformed JSON", Json, B64("{\"artifactHash\":"u8.ToArray()), "failed to parse JSON" },
            { "JSON array", Json, B64("[1,2,3]"u8.ToArray()), "must be an object" },
            { "JSON not base64", Json, B64(Encoding.UTF8.GetBytes(JsonBody("%%%not-base64%%%", "sha256"))), "base64" },
            { "JSON sha1", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha1Length), "sha1"))), "Weak hash algorithm" },
            { "JSON md5", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Md5Length), "md5"))), "unsupported hash algorithm" },
            { "JSON missing hashAlgorithm", Json, B64(Encoding.UTF8.GetBytes($"{{\"artifactHash\":\"{B64(Sha256)}\"}}")), "unsupported hash algorithm" },
            { "JSON wrong imprint length", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha512"))), "incorrect length" },
            { "JSON nonce as a string", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256", ",\"nonce\":\"12\""))), "nonce" },
            { "JSON fractional nonce", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256", ",\"nonce\":1.5"))), "nonce" },
            { "JSON certificates not a boolean", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256", ",\"certificates\":\"yes\""))), "certificates" },
            { "JSON other policy", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256", ",\"tsaPolicyOID\":\"1.2.3\""))), "unaccepted policy" },
            { "JSON policy that is not an OID", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256", ",\"tsaPolicyOID\":\"abc\""))), "not a dotted OID" },
            { "JSON over 1 KiB (a huge nonce)", Json, B64(Encoding.UTF8.GetBytes(JsonBody(B64(Sha256), "sha256", ",\"nonce\":" + new string('9', 2000)))), "too large" },
            { "JSON nested 200 deep", Json, B64(Encoding.UTF8.GetBytes(deep.ToString()[..1000])), "failed to parse JSON" },
            { "unsupported application/ type", "application/xml", B64(good), "unsupported content type" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_request_gets_400_with_a_reason_and_nothing_is_issued(string name, string contentType, string bodyBase64, string reason)
    {
        var issued = tsa.Host.Issued;
        var (status, body, responseType) = await tsa.Host.PostAsync(Convert.FromBase64String(bodyBase64), contentType);
        Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {(int)status} {Encoding.UTF8.GetString(body)}");
        Assert.Equal("application/json", responseType);
        using var error = JsonDocument.Parse(body);
        Assert.Equal(400, error.RootElement.GetProperty("code").GetInt32());
        var text = error.RootElement.GetProperty("message").GetString() + ": " + error.RootElement.GetProperty("detail").GetString();
        Assert.Contains(reason, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(issued, tsa.Host.Issued);
    }

    [Fact]
    public async Task Body_over_1_MiB_gets_400_without_being_read()
    {
        // Over a raw socket: only the headers are sent, so the answer must come without the body being read. (Sending the
        // whole body with HttpClient races the server's early answer and close: the client may see a broken pipe instead.)
        var issued = tsa.Host.Issued;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, tsa.Host.Port, Ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/v1/timestamp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {Der}\r\nContent-Length: {1024 * 1024 + 1}\r\n\r\n"), Ct);
        await stream.WriteAsync(new byte[4096], Ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("exceeds 1048576 bytes", answer, StringComparison.Ordinal);
        Assert.Equal(issued, tsa.Host.Issued);
    }

    [Fact]
    public async Task Chunked_body_over_1_MiB_gets_400()
    {
        var issued = tsa.Host.Issued;
        using var content = new StreamContent(new MemoryStream(new byte[3 * 1024 * 1024]));
        content.Headers.TryAddWithoutValidation("Content-Type", Der);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/timestamp") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await tsa.Host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(issued, tsa.Host.Issued);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("multipart/form-data; boundary=application/json")]
    [InlineData("")]
    public async Task Non_application_media_type_gets_415(string contentType)
    {
        var issued = tsa.Host.Issued;
        var (status, _, _) = await tsa.Host.PostAsync(Request(), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal(issued, tsa.Host.Issued);
    }

    [Fact]
    public async Task Random_mutations_of_a_good_request_never_give_a_5xx()
    {
        var good = Rfc3161TimestampRequest.CreateFromHash(Sha256, HashAlgorithmName.SHA256, nonce: new byte[] { 1, 2, 3 }, requestSignerCertificates: true).Encode();
        var random = new Random(3161);
        for (var i = 0; i < 300; i++)
        {
            var mutated = good.ToArray();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            var cut = random.Next(4) == 0 ? mutated[..random.Next(mutated.Length)] : mutated;
            var (status, body, _) = await tsa.Host.PostAsync(cut, Der);
            Assert.True((int)status is 200 or 400, $"mutation {i} ({Convert.ToHexString(cut)}): {(int)status} {Encoding.UTF8.GetString(body)}");
        }
    }

    // Found by fuzzing (fuzz/run.sh timestamp-request): a JSON request whose member name or string value is not valid
    // UTF-8 (or is a lone escaped surrogate) threw InvalidOperationException out of Utf8JsonReader.GetString.
    [Theory]
    [InlineData("{\"\xff\":1}")]
    [InlineData("{\"hashAlgorithm\":\"sha\xc3\"}")]
    [InlineData("{\"artifactHash\":\"\\ud800\"}")]
    [InlineData("{\"tsaPolicyOID\":\"1.2\xfe\"}")]
    [InlineData("{\"\\udc00\":true}")]
    public void A_json_request_with_a_string_that_is_not_unicode_is_a_bad_request(string latin1)
    {
        var e = Assert.Throws<TimestampRequestException>(() => TimestampQuery.FromJson(Encoding.Latin1.GetBytes(latin1), ["1.3.6.1.4.1.57264.2"]));
        Assert.False(string.IsNullOrEmpty(e.Message));
    }
}
