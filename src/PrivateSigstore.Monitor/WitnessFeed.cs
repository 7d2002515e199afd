using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Monitor;

/// <summary>A witness's refusal to cosign a checkpoint the monitor showed it (c2sp.org/tlog-witness status and body).</summary>
/// <param name="Witness">The witness's base URL.</param>
/// <param name="Status">The HTTP status (422: inconsistent with what it cosigned before; 403: a signature it does not accept).</param>
/// <param name="Reason">The witness's reason.</param>
/// <param name="WitnessCheckpoint">The newest checkpoint the witness has cosigned for this origin, when it serves one.</param>
internal sealed record WitnessRefusal(Uri Witness, int Status, string Reason, string? WitnessCheckpoint);

/// <summary>
/// Feeds every verified checkpoint to the configured witnesses (as tlog-witness feeders do), with a consistency proof from
/// the size each witness last cosigned for that origin. A witness that refuses because the checkpoint does not extend
/// what it cosigned (422) or because the log's signature does not verify for it (403) has seen another view of the log:
/// the follower turns that into a split-view alert. Unknown origins (404) and unreachable witnesses are only logged.
/// </summary>
internal sealed class WitnessFeed(HttpClient http, IReadOnlyList<Uri> witnesses)
{
    private readonly ConcurrentDictionary<string, ulong> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.Ordinal);

    public bool IsEmpty => witnesses.Count == 0;

    /// <summary>Submits <paramref name="note"/> (a signed checkpoint) to every witness; returns the refusals that mean a split view.</summary>
    public async Task<IReadOnlyList<WitnessRefusal>> SubmitAsync(string note, ulong size, Func<ulong, CancellationToken, Task<IReadOnlyList<byte[]>>> proof, Action<Uri, string> warn, CancellationToken cancellationToken)
    {
        string origin;
        try
        {
            origin = SignedCheckpoint.Parse(note).Checkpoint.Origin;
        }
        catch (Core.WireFormatException)
        {
            return [];
        }
        var refusals = new List<WitnessRefusal>();
        foreach (var witness in witnesses)
        {
            var key = witness + "\n" + origin;
            var oldSize = _known.GetValueOrDefault(key);
            for (var attempt = 0; attempt < 2; attempt++)
            {
                if (oldSize > size) break; // the witness has seen more than we have: we are behind, nothing to compare yet
                var hashes = oldSize == 0 || oldSize == size ? [] : await proof(oldSize, cancellationToken).ConfigureAwait(false);
                var body = AddCheckpointRequest.Format(oldSize, hashes, note);
                string text;
                HttpStatusCode status;
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "text/plain");
                    using var response = await http.PostAsync(new Uri(witness, "add-checkpoint"), content, cancellationToken).ConfigureAwait(false);
                    status = response.StatusCode;
                    text = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
                }
                catch (HttpRequestException e)
                {
                    WarnOnce(key + "\nunreachable", witness, "unreachable: " + e.Message, warn);
                    break;
                }
                if (status == HttpStatusCode.OK)
                {
                    _known[key] = size;
                    break;
                }
                if (status == HttpStatusCode.Conflict && attempt == 0 && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var known))
                {
                    oldSize = known;
                    _known[key] = known;
                    continue;
                }
                if (status is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden)
                {
                    refusals.Add(new WitnessRefusal(witness, (int)status, text.Length > 500 ? text[..500] : text, await WitnessCheckpointAsync(witness, origin, cancellationToken).ConfigureAwait(false)));
                }
                else
                {
                    WarnOnce(key + "\n" + (int)status, witness, $"HTTP {(int)status}: {(text.Length > 300 ? text[..300] : text)} (said once per witness, log and status)", warn);
                }
                break;
            }
        }
        return refusals;
    }

    private void WarnOnce(string key, Uri witness, string reason, Action<Uri, string> warn)
    {
        if (_warned.TryAdd(key, true)) warn(witness, reason);
    }

    private async Task<string?> WitnessCheckpointAsync(Uri witness, string origin, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)));
        try
        {
            using var response = await http.GetAsync(new Uri(witness, hash + "/checkpoint"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
