using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Tuf;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// The TUF repository service (development repository, re-signing every second) SIGKILLed while 4 writers publish
/// targets into its repository the way <c>psig tuf add-targets</c> / <c>sign</c> / <c>publish</c> do (the same library
/// calls, under the same repository lock). Each publication is dated 50 minutes back, so its timestamp (1 hour) is due
/// for renewal at once and the service re-signs it while it is being killed: both writers of the repository are busy.
/// </summary>
public sealed class TufCrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tuf_service_survives_ten_sigkills_every_published_target_is_served_and_versions_never_go_back_or_change()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-tuf-").FullName;
        var repositoryDirectory = Path.Combine(data, "data", "tuf");
        string[] args = ["--Tuf:RefreshIntervalSeconds=1"];
        Task<ServiceProcess> Start() => ServiceProcess.StartAsync("Tuf.Server", args, data);

        // The first start creates the development repository (keys in data/tuf/keys); the timestamp lifetime becomes 1 hour.
        await using (var first = await Start())
        {
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(first.BaseUrl, "timestamp.json"), Ct)).StatusCode);
        }

        var config = Path.Combine(repositoryDirectory, TufRepository.ConfigFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!;
        json["expiry"] = new System.Text.Json.Nodes.JsonObject { ["timestampHours"] = 1 };
        File.WriteAllText(config, json.ToJsonString());

        ISigningKey Key(TufRole role) => PemSigningKey.Load(Path.Combine(repositoryDirectory, "keys", $"{role.Name()}-key.pem"));
        using var targetsKey = Key(TufRole.Targets);
        using var snapshotKey = Key(TufRole.Snapshot);
        using var timestampKey = Key(TufRole.Timestamp);
        var bootstrap = File.ReadAllBytes(Path.Combine(repositoryDirectory, "root.json"));
        var cache = Path.Combine(data, "client-cache");
        TufClient.Initialize(cache, bootstrap);

        var acked = new ConcurrentDictionary<string, byte[]>();
        var bodies = new ConcurrentDictionary<string, string>();
        var timestamps = new ConcurrentDictionary<long, string>();
        var writes = 0;
        var renewals = 0L;
        (long Timestamp, long Snapshot, long Targets) highest = (0, 0, 0);

        async Task CheckAsync(ServiceProcess service)
        {
            // A client with a persistent cache walks root → timestamp → snapshot → targets: every signature and hash
            // verifies, and it refuses any version below the one it trusted before (rollback).
            var client = new TufClient(Http, new TufClientOptions { MetadataBaseUrl = service.BaseUrl, CacheDirectory = cache });
            await client.RefreshAsync(Ct);
            var now = (client.Timestamp!.Version, client.Snapshot!.Version, client.Targets!.Version);
            Assert.True(now.Item1 >= highest.Timestamp && now.Item2 >= highest.Snapshot && now.Item3 >= highest.Targets, $"versions went back: {highest} → {now}");
            highest = now;

            // Every acknowledged target is listed and served with its bytes.
            foreach (var (name, bytes) in acked)
            {
                var info = client.GetTargetInfo(name);
                Assert.True(info is not null, $"acknowledged target {name} is not in targets v{now.Item3}");
                var served = await Http.GetByteArrayAsync(new Uri(service.BaseUrl, $"targets/{info.Sha256}.{name}"), Ct);
                Assert.Equal(bytes, served);
            }

            // No versioned file ever serves two different bodies: every one seen so far, again, and the new ones.
            var names = bodies.Keys.ToList();
            for (var v = 1L; v <= now.Item2; v++)
            {
                names.Add($"{v}.snapshot.json");
            }

            for (var v = 1L; v <= now.Item3; v++)
            {
                names.Add($"{v}.targets.json");
            }

            names.Add($"{client.Root.Version}.root.json");
            foreach (var name in names.Distinct())
            {
                using var response = await Http.GetAsync(new Uri(service.BaseUrl, name), Ct);
                if (response.StatusCode == HttpStatusCode.NotFound && !bodies.ContainsKey(name))
                {
                    continue; // a version number skipped by a publication cut short: never served, so never trusted
                }

                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} (it was served before)");
                var hash = Convert.ToHexString(SHA256.HashData(await response.Content.ReadAsByteArrayAsync(Ct)));
                Assert.True(bodies.GetOrAdd(name, hash) == hash, $"{name} serves a different body than before");
            }

            // The timestamp's version and body pair is unique too.
            var timestamp = await Http.GetByteArrayAsync(new Uri(service.BaseUrl, "timestamp.json"), Ct);
            var version = TufMetadata.Parse(timestamp, TufRole.Timestamp, "timestamp.json").Version;
            var th = Convert.ToHexString(SHA256.HashData(timestamp));
            Assert.True(timestamps.GetOrAdd(version, th) == th, $"timestamp v{version} was served with two different bodies");
            Interlocked.Exchange(ref renewals, Math.Max(Interlocked.Read(ref renewals), version));
        }

        var loop = new KillLoop
        {
            Start = Start,
            Check = CheckAsync,
            Write = async (service, w, ct) =>
            {
                var n = Interlocked.Increment(ref writes);
                var name = $"w{w}-{n}.txt";
                var bytes = RandomNumberGenerator.GetBytes(64);
                await Task.Run(() =>
                {
                    try
                    {
                        var repository = TufRepository.Open(repositoryDirectory);
                        var at = DateTimeOffset.UtcNow.AddMinutes(-50);
                        repository.StageTargets(new Dictionary<string, byte[]> { [name] = bytes }, replaceAll: false, at);
                        repository.Sign(TufRole.Targets, targetsKey);
                        repository.Publish([snapshotKey], [timestampKey], at);
                        if (repository.PublishedTargets?.AsTargets().ContainsKey(name) != true)
                        {
                            throw new IOException($"{name}: published by another writer's publication? not in targets");
                        }
                    }
                    catch (TufException e)
                    {
                        // Another writer staged or published in between (staged versions raced): not acknowledged.
                        throw new IOException(e.Message, e);
                    }
                }, ct);
                acked[name] = bytes;
                await Task.Delay(100, ct);
            },
        };
        var (kills, count, failed, took) = await loop.RunAsync();
        Report.Line($"TUF service: {kills} kills, {acked.Count} acknowledged targets publications all served (targets v{highest.Targets}, snapshot v{highest.Snapshot}, timestamp v{highest.Timestamp}), {bodies.Count} versioned files and {timestamps.Count} timestamp versions each with one body, the client's rollback check passed at every restart, {failed} publications refused or raced, {took.TotalSeconds:F1} s");
        Report.Line(string.Join("\n", loop.Timings));
        Assert.True(acked.Count >= 20, $"only {acked.Count} publications acknowledged");
        Directory.Delete(data, recursive: true);
    }
}
