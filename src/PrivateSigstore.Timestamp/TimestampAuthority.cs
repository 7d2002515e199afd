using System.Security.Cryptography;

namespace PrivateSigstore.Timestamp;

/// <summary>The authority refuses to issue for now (the clock check failed): HTTP 503 with the reason.</summary>
public sealed class TimestampUnavailableException(string reason) : Exception(reason);

/// <summary>
/// Issues RFC 3161 timestamps. One call is a short ordered list of steps, and nothing is issued when any fails:
/// <list type="number">
/// <item>clock check: refuse while the NTP verdict is bad (<see cref="ClockMonitor"/>);</item>
/// <item>policy: the request's, already checked against the accepted ones, else the default;</item>
/// <item>genTime from the system clock (<see cref="TimeProvider"/>), whole seconds, UTC;</item>
/// <item>serial: 20 random octets, positive (upstream <c>generateTSASerialNumber</c>);</item>
/// <item>TSTInfo → signed attributes → signature by the key (HSM, PEM or development) → TimeStampResp.</item>
/// </list>
/// Request validation happens before (<see cref="TimestampQuery"/>); this class knows no HTTP.
/// </summary>
public sealed class TimestampAuthority : IDisposable
{
    private readonly TimestampTokenWriter _writer;
    private readonly ClockMonitor _clock;
    private readonly TimeProvider _time;
    private readonly string _defaultPolicy;

    /// <summary>Creates the authority over <paramref name="credentials"/>, which it owns from now on.</summary>
    public TimestampAuthority(TsaCredentials credentials, TimestampOptions options, ClockMonitor clock, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(options);
        Credentials = credentials;
        AcceptedPolicies = options.AllAcceptedPolicies();
        _defaultPolicy = options.DefaultPolicyOid;
        _writer = new TimestampTokenWriter(credentials, options.AccuracyMilliseconds, options.IncludeChainInResponse);
        _clock = clock;
        _time = time;
    }

    /// <summary>The key and chain.</summary>
    public TsaCredentials Credentials { get; }

    /// <summary>The policies a request may name.</summary>
    public IReadOnlyList<string> AcceptedPolicies { get; }

    /// <summary>The clock check.</summary>
    public ClockMonitor Clock => _clock;

    /// <summary>
    /// Issues a token for <paramref name="query"/> and returns the DER TimeStampResp. Throws
    /// <see cref="TimestampUnavailableException"/> when the clock check refuses, and
    /// <see cref="CryptographicException"/> when the key store fails.
    /// </summary>
    public byte[] Issue(TimestampQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        // 1. Clock check (RFC 3161 §2.1 (1): a trustworthy source of time); off unless configured.
        if (_clock.RefusalReason() is { } reason) throw new TimestampUnavailableException(reason);
        return IssueProbe(query);
    }

    /// <summary>Steps 2–5 without the clock check: the start-up readiness probe (never served to a client).</summary>
    internal byte[] IssueProbe(TimestampQuery query)
    {
        // 2. Policy: the requested one was checked by TimestampQuery; none requested → the default (upstream).
        var policy = query.Policy ?? _defaultPolicy;
        // 3. genTime: the system clock, UTC, whole seconds (upstream: time.Now().UTC() marshalled without fractions).
        var now = _time.GetUtcNow();
        var genTime = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        // 4. Serial: unique per token (§2.4.2) — 158 random bits, positive, minimal.
        Span<byte> serial = stackalloc byte[20];
        RandomNumberGenerator.Fill(serial);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x40);
        // 5. TSTInfo, signed attributes, signature, TimeStampResp.
        return _writer.WriteResponse(query, policy, genTime, serial);
    }

    /// <summary>Disposes the credentials (and so the key).</summary>
    public void Dispose() => Credentials.Dispose();
}
