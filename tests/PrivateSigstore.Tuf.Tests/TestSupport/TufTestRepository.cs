using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Tuf.Tests;

/// <summary>
/// A small TUF repository built with the metadata model (consistent snapshots, the layout the TUF server publishes:
/// <c>N.root.json</c>, <c>timestamp.json</c>, <c>N.snapshot.json</c>, <c>N.targets.json</c>,
/// <c>targets/&lt;sha256&gt;.&lt;name&gt;</c>) served from memory by Kestrel on a loopback port. Tests change
/// <see cref="Files"/> directly to stage attacks.
/// </summary>
public sealed class TufTestRepository : IAsyncDisposable
{
    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly WebApplication _app;
    private readonly List<ISigningKey> _ownedKeys = [];

    private TufTestRepository(WebApplication app, string url)
    {
        _app = app;
        Url = new Uri(url.TrimEnd('/') + "/");
    }

    /// <summary>Path (relative to the mirror) → bytes served.</summary>
    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public Uri Url { get; }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("psig-tuf-").FullName;

    public DateTimeOffset Expires { get; set; } = DateTimeOffset.UtcNow.AddDays(30);

    public IReadOnlyList<ISigningKey> RootKeys { get; private set; } = [];

    public ISigningKey TargetsKey { get; private set; } = null!;

    public ISigningKey SnapshotKey { get; private set; } = null!;

    public ISigningKey TimestampKey { get; private set; } = null!;

    public TufMetadata Root { get; private set; } = null!;

    public byte[] InitialRootBytes { get; private set; } = [];

    public long TargetsVersion { get; private set; }

    public long SnapshotVersion { get; private set; }

    public long TimestampVersion { get; private set; }

    public Dictionary<string, byte[]> Targets { get; } = new(StringComparer.Ordinal);

    /// <summary>The two targets Sigstore clients fetch, with recognisable contents.</summary>
    public static Dictionary<string, byte[]> DefaultTargets() => new(StringComparer.Ordinal)
    {
        ["trusted_root.json"] = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[]}\n"),
        ["signing_config.v0.2.json"] = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.2+json\"}\n"),
    };

    /// <summary>Starts the server and publishes root v1 (one ECDSA P-256 root key; Ed25519 online keys) and the targets.</summary>
    public static async Task<TufTestRepository> StartAsync(IReadOnlyDictionary<string, byte[]>? targets = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TufTestRepository? repository = null;
        app.Run(context =>
        {
            var path = (context.Request.Path.Value ?? "").TrimStart('/');
            if (repository!.Files.TryGetValue(path, out var bytes))
            {
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = bytes.Length;
                return context.Response.Body.WriteAsync(bytes).AsTask();
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        repository = new TufTestRepository(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        repository.RootKeys = [repository.NewKey(SigningAlgorithm.EcdsaP256Sha256)];
        repository.TargetsKey = repository.NewKey(SigningAlgorithm.Ed25519);
        repository.SnapshotKey = repository.NewKey(SigningAlgorithm.Ed25519);
        repository.TimestampKey = repository.NewKey(SigningAlgorithm.Ed25519);
        var root = repository.NewRoot(repository.RootKeys, 1);
        root.Sign(repository.RootKeys[0]);
        repository.PublishRoot(root);
        repository.InitialRootBytes = root.ToBytes();
        foreach (var (name, bytes) in targets ?? DefaultTargets())
        {
            repository.Targets[name] = bytes;
        }
        repository.PublishTargets();
        return repository;
    }

    /// <summary>A key that is disposed with the repository.</summary>
    public ISigningKey NewKey(SigningAlgorithm algorithm = SigningAlgorithm.Ed25519)
    {
        var key = InMemorySigningKey.Generate(algorithm);
        _ownedKeys.Add(key);
        return key;
    }

    /// <summary>Unsigned root metadata, version = the current one + 1, with these root keys and the current (or given) online keys.</summary>
    public TufMetadata NewRoot(IReadOnlyList<ISigningKey> rootKeys, int threshold, ISigningKey? timestampKey = null, DateTimeOffset? expires = null)
    {
        var roles = new Dictionary<TufRole, (IReadOnlyList<TufKey> Keys, int Threshold)>
        {
            [TufRole.Root] = ([.. rootKeys.Select(TufKey.FromSigningKey)], threshold),
            [TufRole.Targets] = ([TufKey.FromSigningKey(TargetsKey)], 1),
            [TufRole.Snapshot] = ([TufKey.FromSigningKey(SnapshotKey)], 1),
            [TufRole.Timestamp] = ([TufKey.FromSigningKey(timestampKey ?? TimestampKey)], 1),
        };
        return TufMetadata.NewRoot((Root?.Version ?? 0) + 1, expires ?? Expires, roles);
    }

    /// <summary>Serves <paramref name="root"/> as <c>N.root.json</c> and makes its keys the current ones.</summary>
    public void PublishRoot(TufMetadata root, IReadOnlyList<ISigningKey>? rootKeys = null, ISigningKey? timestampKey = null)
    {
        Files[$"{root.Version}.root.json"] = root.ToBytes();
        Root = root;
        RootKeys = rootKeys ?? RootKeys;
        TimestampKey = timestampKey ?? TimestampKey;
    }

    /// <summary>Publishes <see cref="Targets"/> as a new targets version, then a new snapshot and timestamp.</summary>
    public void PublishTargets()
    {
        var entries = new Dictionary<string, TargetFile>(StringComparer.Ordinal);
        foreach (var (name, bytes) in Targets)
        {
            var file = TargetFile.For(bytes);
            entries[name] = file;
            Files[$"targets/{file.Sha256}.{name}"] = bytes;
        }
        var targets = TufMetadata.NewTargets(++TargetsVersion, Expires, entries);
        targets.Sign(TargetsKey);
        Files[$"{TargetsVersion}.targets.json"] = targets.ToBytes();
        PublishSnapshot();
    }

    /// <summary>A new snapshot naming the current targets version, then a new timestamp.</summary>
    public void PublishSnapshot(DateTimeOffset? expires = null)
    {
        var snapshot = TufMetadata.NewSnapshot(++SnapshotVersion, expires ?? Expires, MetaFile.For(TargetsVersion, Files[$"{TargetsVersion}.targets.json"]));
        snapshot.Sign(SnapshotKey);
        Files[$"{SnapshotVersion}.snapshot.json"] = snapshot.ToBytes();
        PublishTimestamp();
    }

    /// <summary>A new timestamp naming the current (or given) snapshot version, signed by the timestamp key (or <paramref name="signer"/>).</summary>
    public byte[] PublishTimestamp(DateTimeOffset? expires = null, ISigningKey? signer = null, long? snapshotVersion = null, long? version = null)
    {
        var snapshot = snapshotVersion ?? SnapshotVersion;
        TimestampVersion = version ?? TimestampVersion + 1;
        var timestamp = TufMetadata.NewTimestamp(TimestampVersion, expires ?? Expires, MetaFile.For(snapshot, Files[$"{snapshot}.snapshot.json"]));
        timestamp.Sign(signer ?? TimestampKey);
        return Files["timestamp.json"] = timestamp.ToBytes();
    }

    /// <summary>Writes root v1 to a file (what a client is bootstrapped with).</summary>
    public string InitialRootPath()
    {
        var path = Path.Combine(Directory, "root-v1.json");
        File.WriteAllBytes(path, InitialRootBytes);
        return path;
    }

    /// <summary>A fresh cache directory.</summary>
    public string NewCacheDirectory() => System.IO.Directory.CreateDirectory(Path.Combine(Directory, "cache-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    /// <summary>Our client, bootstrapped from root v1 into <paramref name="cacheDirectory"/> when it holds no root yet.</summary>
    public TufClient Client(string cacheDirectory, TimeProvider? time = null)
    {
        if (!File.Exists(Path.Combine(cacheDirectory, "root.json")))
        {
            TufClient.Initialize(cacheDirectory, InitialRootBytes);
        }
        return new TufClient(Http, new TufClientOptions { MetadataBaseUrl = Url, CacheDirectory = cacheDirectory, TimeProvider = time ?? TimeProvider.System });
    }

    /// <summary>Runs the real client (<c>sigstore</c>: @sigstore/tuf; <c>tuf-js</c>: the Updater) with a cache directory kept between runs.</summary>
    public Task<ScriptRun> RunNodeAsync(string client, string cacheDirectory, string targets = "trusted_root.json,signing_config.v0.2.json") =>
        NodeScript.RunAsync("tuf-client.mjs", new Dictionary<string, string>
        {
            ["TUF_CLIENT"] = client,
            ["TUF_MIRROR_URL"] = Url.AbsoluteUri.TrimEnd('/'),
            ["TUF_ROOT_PATH"] = InitialRootPath(),
            ["TUF_CACHE_DIR"] = cacheDirectory,
            ["TUF_TARGETS"] = targets,
        }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        foreach (var key in _ownedKeys)
        {
            key.Dispose();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Temp is cleaned by the OS.
        }
    }
}
