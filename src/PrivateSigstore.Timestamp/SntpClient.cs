using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace PrivateSigstore.Timestamp;

/// <summary>What one SNTP query measured: the local clock's offset from the server (positive: the server is ahead).</summary>
public sealed record SntpResult(TimeSpan Offset, TimeSpan RoundTrip, int Stratum);

/// <summary>An SNTP answer that cannot be used (RFC 4330 §5 client checks).</summary>
public sealed class SntpException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A minimal SNTP v4 client (RFC 4330): one 48-byte UDP query, the §5 sanity checks on the answer, and the clock
/// offset <c>((T2 - T1) + (T3 - T4)) / 2</c>.
/// </summary>
public static class SntpClient
{
    private const int PacketSize = 48;
    private const int NtpPort = 123;

    // 1900-01-01 (era 0) and 2036-02-07T06:28:16Z (era 1), RFC 4330 §3.
    private static readonly DateTimeOffset Era0 = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Era1 = Era0.AddSeconds(4_294_967_296d);

    /// <summary>Parses <c>host</c>, <c>host:port</c>, <c>[v6]</c> or <c>[v6]:port</c>; throws <see cref="ArgumentException"/>.</summary>
    public static (string Host, int Port) ParseServer(string server)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(server);
        var s = server.Trim();
        string host = s;
        int port = NtpPort;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new ArgumentException($"Timestamp:ClockCheck:Server '{server}': missing ']'");
            host = s[1..close];
            var rest = s[(close + 1)..];
            if (rest.Length > 0) port = ParsePort(server, rest.StartsWith(':') ? rest[1..] : rest);
        }
        else if (s.Count(c => c == ':') == 1)
        {
            var colon = s.IndexOf(':', StringComparison.Ordinal);
            host = s[..colon];
            port = ParsePort(server, s[(colon + 1)..]);
        }
        if (host.Length == 0) throw new ArgumentException($"Timestamp:ClockCheck:Server '{server}' has no host");
        return (host, port);
    }

    private static int ParsePort(string server, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p
            : throw new ArgumentException($"Timestamp:ClockCheck:Server '{server}': bad port '{text}'");

    /// <summary>
    /// Queries <paramref name="server"/> once. Throws <see cref="SntpException"/> for a timeout, a network error or an
    /// answer that fails the RFC 4330 §5 checks.
    /// </summary>
    public static async Task<SntpResult> QueryAsync(string server, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var (host, port) = ParseServer(server);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
            if (addresses.Length == 0) throw new SntpException($"NTP server {host} has no address");
            var endpoint = new IPEndPoint(addresses[0], port);
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);

            var request = new byte[PacketSize];
            request[0] = 0b00_100_011; // LI 0, VN 4, mode 3 (client)
            // Transmit timestamp: random low bits make the origin check (§5) unguessable to an off-path spoofer.
            var t1 = clock.GetUtcNow();
            WriteTimestamp(request.AsSpan(40), t1);
            RandomNumberGenerator.Fill(request.AsSpan(46, 2)); // the lowest 16 fraction bits: about 15 µs
            var sentTransmit = request.AsSpan(40, 8).ToArray();
            t1 = ReadTimestamp(sentTransmit);
            var start = clock.GetTimestamp();
            await socket.SendAsync(request, SocketFlags.None, deadline.Token).ConfigureAwait(false);

            var answer = new byte[512];
            while (true)
            {
                var received = await socket.ReceiveAsync(answer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                var t4 = t1 + clock.GetElapsedTime(start);
                // RFC 4330 §5: an answer whose originate timestamp is not our transmit timestamp is not ours; keep waiting.
                if (received < PacketSize || !answer.AsSpan(24, 8).SequenceEqual(sentTransmit)) continue;
                return Evaluate(answer.AsSpan(0, received), t1, t4);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SntpException($"NTP server {server} did not answer within {timeout.TotalMilliseconds:F0} ms");
        }
        catch (SocketException e)
        {
            throw new SntpException($"NTP server {server}: {e.SocketErrorCode}", e);
        }
    }

    /// <summary>The §5 checks and the offset computation for one answer; <paramref name="t1"/>/<paramref name="t4"/> are local send/receive times.</summary>
    internal static SntpResult Evaluate(ReadOnlySpan<byte> packet, DateTimeOffset t1, DateTimeOffset t4)
    {
        var leap = packet[0] >> 6;
        var version = (packet[0] >> 3) & 7;
        var mode = packet[0] & 7;
        var stratum = packet[1];
        // RFC 4330 §5: mode must be 4 (server); version 3 or 4; LI 3 means the server clock is unsynchronized;
        // stratum 0 is a kiss-o'-death; transmit timestamp 0 is not a time.
        if (mode != 4) throw new SntpException($"NTP answer has mode {mode}, not 4 (server)");
        if (version is not (3 or 4)) throw new SntpException($"NTP answer has version {version}");
        if (leap == 3) throw new SntpException("NTP server reports its clock unsynchronized (leap indicator 3)");
        if (stratum is 0 or > 15) throw new SntpException(stratum == 0 ? $"NTP server sent a kiss-o'-death ({System.Text.Encoding.ASCII.GetString(packet.Slice(12, 4))})" : $"NTP answer has stratum {stratum}");
        if (BinaryPrimitives.ReadUInt64BigEndian(packet[40..]) == 0) throw new SntpException("NTP answer has no transmit timestamp");
        var t2 = ReadTimestamp(packet[32..]);
        var t3 = ReadTimestamp(packet[40..]);
        var offset = ((t2 - t1) + (t3 - t4)) / 2;
        var roundTrip = (t4 - t1) - (t3 - t2);
        return new SntpResult(offset, roundTrip < TimeSpan.Zero ? TimeSpan.Zero : roundTrip, stratum);
    }

    /// <summary>Reads a 64-bit NTP timestamp (RFC 4330 §3: seconds since 1900 in era 0 when the top bit is set, else era 1).</summary>
    public static DateTimeOffset ReadTimestamp(ReadOnlySpan<byte> bytes)
    {
        var seconds = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var fraction = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        var era = (seconds & 0x8000_0000) != 0 ? Era0 : Era1;
        return era.AddTicks((long)seconds * TimeSpan.TicksPerSecond + (long)((fraction * (double)TimeSpan.TicksPerSecond) / 4_294_967_296d));
    }

    /// <summary>Writes <paramref name="time"/> as a 64-bit NTP timestamp (era chosen as <see cref="ReadTimestamp"/> reads it).</summary>
    public static void WriteTimestamp(Span<byte> destination, DateTimeOffset time)
    {
        var since = time - (time < Era1 ? Era0 : Era1);
        var seconds = (uint)(since.Ticks / TimeSpan.TicksPerSecond);
        var fraction = (uint)((since.Ticks % TimeSpan.TicksPerSecond) * 4_294_967_296d / TimeSpan.TicksPerSecond);
        BinaryPrimitives.WriteUInt32BigEndian(destination, seconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], fraction);
    }
}
