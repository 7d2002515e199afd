using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Client.Timestamp;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>The timestamp authority as a process, SIGKILLed under concurrent requests.</summary>
public sealed class TimestampCrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tsa_survives_ten_sigkills_every_acknowledged_timestamp_verifies_under_the_restarted_chain_and_no_serial_repeats()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-tsa-").FullName;
        var acked = new ConcurrentBag<(byte[] Data, byte[] Reply)>();
        string? chainPem = null;
        Task<ServiceProcess> Start() => ServiceProcess.StartAsync("Timestamp", [$"--Timestamp:DataDirectory={data}"], data);

        async Task CheckAsync(ServiceProcess service)
        {
            // The restarted authority signs with the same key and chain (the development chain is kept on disk).
            var served = await Http.GetStringAsync(new Uri(service.BaseUrl, "api/v1/timestamp/certchain"), Ct);
            chainPem ??= served;
            Assert.Equal(chainPem, served);
        }

        var loop = new KillLoop
        {
            Start = Start,
            Check = CheckAsync,
            Write = async (service, _, ct) =>
            {
                var signature = RandomNumberGenerator.GetBytes(64);
                var reply = await new TimestampClient(Http, new Uri(service.BaseUrl, "api/v1/timestamp")).TimestampAsync(signature, ct);
                acked.Add((signature, reply));
            },
        };
        var (kills, count, failed, took) = await loop.RunAsync();

        await using (var last = await Start())
        {
            await CheckAsync(last);
        }

        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(chainPem!);
        var root = chain[^1];
        var serials = new HashSet<BigInteger>();
        foreach (var (signature, reply) in acked)
        {
            var reader = new AsnReader(reply, AsnEncodingRules.DER).ReadSequence();
            reader.ReadSequence(); // PKIStatusInfo
            Assert.True(Rfc3161TimestampToken.TryDecode(reader.ReadEncodedValue(), out var token, out _));
            Assert.True(token!.VerifySignatureForData(signature, out var signer, chain), "an acknowledged timestamp does not verify");
            using var build = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, VerificationTime = token.TokenInfo.Timestamp.UtcDateTime } };
            build.ChainPolicy.CustomTrustStore.Add(root);
            build.ChainPolicy.ExtraStore.AddRange(chain);
            Assert.True(build.Build(signer!), "the signer does not chain to the served root");
            Assert.True(serials.Add(new BigInteger(token.TokenInfo.GetSerialNumber().Span, isUnsigned: false, isBigEndian: true)), "a serial number was given twice");
        }

        Report.Line($"TSA: {kills} kills, {acked.Count} acknowledged timestamps all verify under the restarted chain, {serials.Count} distinct serials, {failed} requests cut or refused, {took.TotalSeconds:F1} s");
        Assert.True(acked.Count >= 20, $"only {acked.Count} timestamps acknowledged");
        Directory.Delete(data, recursive: true);
    }
}
