using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// Unique hashedrekord 0.0.1 proposed entries (rekor <c>hashedrekord_v0_0_1_schema.json</c>): one ECDSA P-256
/// key, a random 32-byte "artifact" SHA-256 digest per entry, an ASN.1 DER signature over that digest, and
/// <c>publicKey.content</c> = base64 of the key's PUBLIC KEY PEM.
/// <para>
/// Signing is the client's cost, not the server's: a pool is signed in parallel before the timed phase. When a
/// run needs more entries than the pool holds, a background producer signs the rest into a bounded queue; the
/// time workers spend waiting on that queue is measured so that a producer-bound run is reported as such.
/// </para>
/// </summary>
internal sealed class RekorEntrySource : IAsyncDisposable
{
    private readonly ECParameters _key;
    private readonly string _prefix;
    private readonly byte[][] _pool;
    private readonly Channel<byte[]> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly int _queueCapacity;
    private long _next = -1;
    private long _produced;
    private long _waits;
    private long _waitTicks;
    private Task _producer = Task.CompletedTask;
    private Stopwatch? _producerClock;
    private long _producerBudget;

    private readonly bool _v2;
    private readonly string _v2Suffix = "";

    private RekorEntrySource(ECParameters key, string publicKeyPem, byte[][] pool, int queueCapacity, bool v2, byte[] spki)
    {
        _v2 = v2;
        if (v2)
        {
            // rekor-tiles CreateEntryRequest (protojson), as sigstore-go/cosign send it with a public key.
            _v2Suffix = "\",\"verifier\":{\"publicKey\":{\"rawBytes\":\"" + Convert.ToBase64String(spki) + "\"},\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}}}";
        }
        _key = key;
        _pool = pool;
        _queueCapacity = queueCapacity;
        _prefix = "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"signature\":{\"publicKey\":{\"content\":\""
            + Convert.ToBase64String(Encoding.ASCII.GetBytes(publicKeyPem)) + "\"},\"content\":\"";
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueCapacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Entries pre-signed before the timed phase.</summary>
    public int PoolSize => _pool.Length;

    /// <summary>Entries the background producer signed during the run.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Times a worker found both the pool and the producer's queue empty and had to wait.</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Total time workers spent waiting for the producer.</summary>
    public TimeSpan WaitTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _waitTicks));

    /// <summary>Producer rate from its start until it finished (or until now), entries/s; it includes time blocked on a full queue, so it is a lower bound on its capacity.</summary>
    public double ProducerRate => _producerClock is { } c && c.Elapsed.TotalSeconds > 0 ? Produced / c.Elapsed.TotalSeconds : 0;

    /// <summary>
    /// Generates the key and signs <paramref name="poolSize"/> entries on every core: hashedrekord 0.0.1 proposed entries,
    /// or with <paramref name="v2"/> Rekor v2 <c>hashedRekordRequestV002</c> requests.
    /// </summary>
    public static RekorEntrySource Create(int poolSize, int queueCapacity, bool v2 = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        // Go's pem.EncodeToMemory ends with a newline; the server re-encodes the key anyway.
        var pem = key.ExportSubjectPublicKeyInfoPem() + "\n";
        var pool = new byte[poolSize][];
        var source = new RekorEntrySource(parameters, pem, pool, queueCapacity, v2, key.ExportSubjectPublicKeyInfo());
        var parts = Environment.ProcessorCount;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            // One ECDsa object per thread, all holding the same key.
            using var signer = source.ImportKey();
            for (var i = part; i < poolSize; i += parts) pool[i] = source.Sign(signer);
        });
        return source;
    }

    /// <summary>
    /// Allows <paramref name="count"/> more entries to be signed in the background. The producer starts only when the
    /// pool is nearly used up (a queue's worth left), so a run that fits in the pool signs nothing while timed.
    /// </summary>
    public void AllowProducer(long count)
    {
        _producerBudget = count;
        if (_pool.Length <= _queueCapacity) StartProducer();
    }

    private void StartProducer()
    {
        var count = Interlocked.Exchange(ref _producerBudget, 0);
        if (count <= 0) return;
        _producerClock = Stopwatch.StartNew();
        var remaining = count;
        var ct = _stop.Token;
        _producer = Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            using var signer = ImportKey();
            try
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    await _queue.Writer.WriteAsync(Sign(signer), ct).ConfigureAwait(false);
                    Interlocked.Increment(ref _produced);
                }
            }
            catch (OperationCanceledException)
            {
                // The run ended.
            }
        }, CancellationToken.None))).ContinueWith(_ => _producerClock.Stop(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The next unused entry: from the pool, then from the producer (waiting, and counting the wait, when it is behind).</summary>
    public async ValueTask<byte[]?> NextAsync(CancellationToken ct)
    {
        var i = Interlocked.Increment(ref _next);
        if (i == _pool.Length - _queueCapacity) StartProducer();
        if (i < _pool.Length)
        {
            var entry = _pool[i];
            _pool[i] = null!; // sent once; let the GC have it
            return entry;
        }
        if (_queue.Reader.TryRead(out var queued)) return queued;
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _waits);
        try
        {
            return await _queue.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    private ECDsa ImportKey()
    {
        var key = ECDsa.Create();
        key.ImportParameters(_key);
        return key;
    }

    private byte[] Sign(ECDsa signer)
    {
        Span<byte> digest = stackalloc byte[32];
        RandomNumberGenerator.Fill(digest);
        // Rekor verifies the signature over the supplied digest (hashedrekord validate, WithDigest): sign the digest itself.
        var signature = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        if (_v2)
        {
            return Encoding.UTF8.GetBytes(string.Concat(
                "{\"hashedRekordRequestV002\":{\"digest\":\"", Convert.ToBase64String(digest), "\",\"signature\":{\"content\":\"",
                Convert.ToBase64String(signature), _v2Suffix));
        }
        return Encoding.UTF8.GetBytes(string.Concat(
            _prefix, Convert.ToBase64String(signature),
            "\"},\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"", Convert.ToHexStringLower(digest), "\"}}}}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _producer.ConfigureAwait(false);
        _stop.Dispose();
    }
}
