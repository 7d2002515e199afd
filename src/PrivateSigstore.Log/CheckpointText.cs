using System.Globalization;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log;

/// <summary>Builds and signs C2SP tlog-checkpoint notes for the engine.</summary>
internal static class CheckpointText
{
    /// <summary>"&lt;origin&gt;\n&lt;size&gt;\n&lt;base64 root&gt;\n" (C2SP tlog-checkpoint, no extension lines).</summary>
    public static string Body(string origin, ulong size, ReadOnlySpan<byte> root) =>
        string.Create(CultureInfo.InvariantCulture, $"{origin}\n{size}\n{Convert.ToBase64String(root)}\n");

    /// <summary>Signs the body as a C2SP signed note with one signature line per signer (Core's <see cref="SignedNote"/>).</summary>
    public static string Sign(string body, IReadOnlyList<INoteSigner> signers) => SignedNote.Sign(body, [.. signers]).Serialize();
}
