using System.Collections.Concurrent;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>
/// A bounded pool of read-write sessions to one token. A PKCS#11 session serves one operation at a
/// time, so each concurrent caller gets its own session; at most <c>maxSessions</c> are open and
/// further callers wait. Login state is per application and token, not per session: the first
/// session logs in (C_Login) and later sessions inherit it. Sessions stay open until the pool is
/// disposed, which keeps the login alive; no C_Logout is sent, because other token objects of the
/// process may share the login.
/// </summary>
internal sealed class Pkcs11SessionPool : IDisposable
{
    private readonly ISlot _slot;
    private readonly string _pin;
    private readonly string _tokenLabel;
    private readonly SemaphoreSlim _permits;
    private readonly ConcurrentBag<ISession> _idle = [];
    private volatile bool _disposed;
    private int _open;

    public Pkcs11SessionPool(ISlot slot, string pin, string tokenLabel, int maxSessions)
    {
        _slot = slot;
        _pin = pin;
        _tokenLabel = tokenLabel;
        _permits = new SemaphoreSlim(maxSessions, maxSessions);
        MaxSessions = maxSessions;
    }

    /// <summary>The most sessions this pool opens.</summary>
    public int MaxSessions { get; }

    /// <summary>Sessions currently open (idle or in use).</summary>
    public int OpenSessions => Volatile.Read(ref _open);

    /// <summary>
    /// Runs <paramref name="operation"/> on a logged-in session of its own. If the session turns out
    /// to be gone (closed handle, lost login), it is replaced and the operation retried once.
    /// </summary>
    public T Run<T>(Func<ISession, T> operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _permits.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this); // disposed while this caller waited
            for (var attempt = 1; ; attempt++)
            {
                var session = Take();
                var healthy = true;
                try
                {
                    return operation(session);
                }
                catch (Pkcs11Exception e) when (IsSessionLost(e.RV))
                {
                    healthy = false;
                    if (attempt >= 2)
                    {
                        throw;
                    }
                }
                finally
                {
                    Give(session, healthy);
                }
            }
        }
        finally
        {
            _permits.Release();
        }
    }

    /// <summary>Opens the first session and logs in, so that a bad PIN or token fails at start-up.</summary>
    public void Warm() => Run(static _ => 0);

    /// <summary>
    /// Stops new operations, waits (up to <see cref="DrainTimeout"/>) for running ones to return their
    /// sessions, and closes every session, so that the module is never finalized under a running call.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var drained = 0;
        var deadline = Environment.TickCount64 + (long)DrainTimeout.TotalMilliseconds;
        while (drained < MaxSessions && _permits.Wait(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64))))
        {
            drained++;
        }

        while (_idle.TryTake(out var session))
        {
            Close(session);
        }

        if (drained > 0)
        {
            _permits.Release(drained); // callers that queued meanwhile wake up and see the pool disposed
        }
    }

    /// <summary>How long <see cref="Dispose"/> waits for running operations.</summary>
    public static TimeSpan DrainTimeout { get; } = TimeSpan.FromSeconds(10);

    private static bool IsSessionLost(CKR rv) =>
        rv is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_USER_NOT_LOGGED_IN;

    private ISession Take()
    {
        if (_idle.TryTake(out var idle))
        {
            return idle;
        }

        ISession session;
        try
        {
            session = _slot.OpenSession(SessionType.ReadWrite);
        }
        catch (Pkcs11Exception e)
        {
            throw new KeyConfigurationException($"cannot open a session to PKCS#11 token '{_tokenLabel}': {e.RV}", e);
        }

        Interlocked.Increment(ref _open);
        try
        {
            EnsureLoggedIn(session);
            return session;
        }
        catch
        {
            Close(session);
            throw;
        }
    }

    private void EnsureLoggedIn(ISession session)
    {
        if (session.GetSessionInfo().State is CKS.CKS_RW_USER_FUNCTIONS or CKS.CKS_RO_USER_FUNCTIONS)
        {
            return; // another session of this process already logged in to the token
        }

        try
        {
            session.Login(CKU.CKU_USER, _pin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // a concurrent session logged in first
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE)
        {
            throw new KeyConfigurationException($"PKCS#11 token '{_tokenLabel}' rejected the user PIN ({e.RV})", e);
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED or CKR.CKR_USER_PIN_NOT_INITIALIZED)
        {
            throw new KeyConfigurationException($"PKCS#11 token '{_tokenLabel}' cannot log in the user: {e.RV}", e);
        }
    }

    private void Give(ISession session, bool healthy)
    {
        if (healthy && !_disposed)
        {
            _idle.Add(session);
            if (!_disposed || !_idle.TryTake(out var late))
            {
                return;
            }

            session = late; // Dispose ran meanwhile and may have missed this one
        }

        Close(session);
    }

    private void Close(ISession session)
    {
        Interlocked.Decrement(ref _open);
        try
        {
            session.Dispose(); // C_CloseSession
        }
        catch (Pkcs11Exception)
        {
            // already closed by the token
        }
    }
}
