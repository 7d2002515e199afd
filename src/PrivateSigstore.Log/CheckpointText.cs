using System.Globalization;
using System.Text;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log;

/// <summary>Builds and signs C2SP tlog-checkpoint notes for the engine.</summary>
internal static class CheckpointText
{
    /// <summary>"&lt;origin&gt;\n&lt;size&gt;\n&lt;base64 root&gt;\n" (C2SP tlog-checkpoint, no extension lines).</summary>
    public static string Body(string origin, ulong size, ReadOnlySpan<byte> root) =>
        string.Create(CultureInfo.InvariantCulture, $"{origin}\n{size}\n{Convert.ToBase64String(root)}\n");

    /// <summary>Signs the body as a C2SP signed note with one signature line per signer.</summary>
    public static string Sign(string body, IReadOnlyList<INoteSigner> signers)
    {
        var message = Encoding.UTF8.GetBytes(body);
        var sb = new StringBuilder(body.Length + 160);
        sb.Append(body).Append('\n');
        foreach (var signer in signers)
        {
            var sig = signer.Sign(message);
            var blob = new byte[4 + sig.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, signer.KeyHash);
            sig.CopyTo(blob, 4);
            // C2SP signed-note: "— <name> <base64(key hash || signature)>" with an em dash (U+2014).
            sb.Append('\u2014').Append(' ').Append(signer.Name).Append(' ').Append(Convert.ToBase64String(blob)).Append('\n');
        }
        return sb.ToString();
    }
}
