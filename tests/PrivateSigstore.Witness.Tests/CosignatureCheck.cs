using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PrivateSigstore.Witness.Tests;

/// <summary>
/// An independent reading of c2sp.org/tlog-cosignature v1 (it shares only the Ed25519 primitive with the service): a
/// line <c>— name base64(keyID[4] || u64 BE timestamp || Ed25519 sig[64])</c>, key ID SHA-256(name || "\n" || 0x04 ||
/// pub)[:4], signed message <c>cosignature/v1\ntime T\n</c> + checkpoint body.
/// </summary>
internal static class CosignatureCheck
{
    /// <summary>Verifies one cosignature line over <paramref name="checkpointBody"/>; returns its timestamp.</summary>
    public static ulong Verify(string line, string name, byte[] publicKey, string checkpointBody)
    {
        Assert.EndsWith("\n", line);
        var parts = line.TrimEnd('\n').Split(' ');
        Assert.Equal(3, parts.Length);
        Assert.Equal("\u2014", parts[0]);
        Assert.Equal(name, parts[1]);
        var raw = Convert.FromBase64String(parts[2]);
        Assert.Equal(4 + 8 + 64, raw.Length);

        var keyId = SHA256.HashData([.. Encoding.UTF8.GetBytes(name), (byte)'\n', 0x04, .. publicKey]);
        Assert.Equal(keyId[..4], raw[..4]);
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(4, 8));
        Assert.InRange(timestamp, 1UL, (ulong)long.MaxValue);
        var message = Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp}\n{checkpointBody}");
        Assert.True(PrivateSigstore.Core.Crypto.Ed25519.Verify(publicKey, message, raw.AsSpan(12)), "the cosignature verifies");
        return timestamp;
    }
}
