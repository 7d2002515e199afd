using System.Globalization;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Explorer;

/// <summary>
/// Reads a Rekor v2 (C2SP tlog-tiles) log: its checkpoint, entries from entry bundles, inclusion and consistency proofs
/// computed from tiles (a fresh <see cref="TiledLogReader"/> per request: it is not thread-safe).
/// </summary>
internal sealed class RekorV2Reader(HttpClient http, ExplorerLog log)
{
    private readonly RekorV2Client _client = new(http, log.BaseUrl);

    public ExplorerLog Log => log;

    public async Task<(string Note, Checkpoint Checkpoint)> GetCheckpointAsync(CancellationToken ct)
    {
        var note = await Call(() => _client.GetCheckpointAsync(ct)).ConfigureAwait(false);
        try
        {
            return (note, SignedCheckpoint.Parse(note).Checkpoint);
        }
        catch (WireFormatException e)
        {
            throw new LogUnavailableException(log.Title, 502, $"{log.Title} served a checkpoint that does not parse: {e.Message}", e);
        }
    }

    public TiledLogReader Reader(ulong size) => new(_client, size);

    public async Task<byte[]> GetEntryAsync(TiledLogReader reader, ulong index, CancellationToken ct)
    {
        if (index >= reader.TreeSize) throw new ExplorerNotFoundException(string.Create(CultureInfo.InvariantCulture, $"no entry {index} in {log.Title} (size {reader.TreeSize})"));
        return await Call(() => reader.GetEntryAsync(index, ct)).ConfigureAwait(false);
    }

    public Task<byte[][]> InclusionProofAsync(TiledLogReader reader, ulong index, CancellationToken ct) =>
        Call(() => reader.InclusionProofAsync(index, reader.TreeSize, ct));

    public Task<byte[][]> ConsistencyProofAsync(TiledLogReader reader, ulong first, CancellationToken ct) =>
        Call(() => reader.ConsistencyProofAsync(first, reader.TreeSize, ct));

    public Task<byte[]> RootHashAsync(TiledLogReader reader, ulong size, CancellationToken ct) => Call(() => reader.RootHashAsync(size, ct));

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ServiceClientException e) when (e.StatusCode == 0 && e.InnerException is HttpRequestException or TaskCanceledException)
        {
            throw new LogUnavailableException(log.Title, 503, $"{log.Title} at {log.BaseUrl} does not answer", e);
        }
        catch (ServiceClientException e)
        {
            throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered an error: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new LogUnavailableException(log.Title, 503, $"{log.Title} at {log.BaseUrl} does not answer", e);
        }
        catch (TaskCanceledException e)
        {
            throw new LogUnavailableException(log.Title, 503, $"{log.Title} at {log.BaseUrl} did not answer in time", e);
        }
    }
}
