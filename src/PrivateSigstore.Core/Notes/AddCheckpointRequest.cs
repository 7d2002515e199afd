using System.Globalization;
using System.Text;

namespace PrivateSigstore.Core.Notes;

/// <summary>The body of a c2sp.org/tlog-witness <c>add-checkpoint</c> request, as a log (or a monitor feeding a witness) sends it.</summary>
public static class AddCheckpointRequest
{
    /// <summary><c>old &lt;size&gt;</c>, one base64 line per consistency-proof hash, a blank line, then the signed checkpoint.</summary>
    public static string Format(ulong oldSize, IEnumerable<byte[]> proof, string signedCheckpoint)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var body = new StringBuilder().Append(CultureInfo.InvariantCulture, $"old {oldSize}\n");
        foreach (var hash in proof) body.Append(Convert.ToBase64String(hash)).Append('\n');
        return body.Append('\n').Append(signedCheckpoint).ToString();
    }
}
