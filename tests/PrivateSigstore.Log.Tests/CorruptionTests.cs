using Microsoft.Data.Sqlite;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Log.Tests;

/// <summary>A damaged store is refused at start-up with a message naming what disagrees — never served.</summary>
public sealed class CorruptionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LogOptions Options() => new() { Origin = "corrupt.test - 1", BatchMaxSize = 100, BatchMaxAge = TimeSpan.FromMilliseconds(1) };

    private static async Task<(string Path, EcdsaNoteSigner Signer)> BuildLogAsync(int entries = 700)
    {
        var path = Path.Combine(TestStores.TempDir(), "log.db");
        var signer = TestStores.Signer();
        await using var store = new SqliteLogStore(path);
        await using var log = await TransparencyLog.OpenAsync(store, Options(), [signer], cancellationToken: Ct);
        await Task.WhenAll(Enumerable.Range(0, entries).Select(i => log.AddAsync(System.Text.Encoding.UTF8.GetBytes($"entry {i}"), Ct).AsTask()));
        return (path, signer);
    }

    private static void Exec(string path, string sql)
    {
        using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        Assert.True(cmd.ExecuteNonQuery() > 0, $"the corruption step changed nothing: {sql}");
    }

    private static async Task<LogCorruptedException> OpenFailsAsync(string path, EcdsaNoteSigner signer)
    {
        await using var store = new SqliteLogStore(path);
        return await Assert.ThrowsAsync<LogCorruptedException>(async () =>
        {
            await using var log = await TransparencyLog.OpenAsync(store, Options(), [signer], cancellationToken: Ct);
        });
    }

    [Fact]
    public async Task Intact_store_reopens()
    {
        var (path, signer) = await BuildLogAsync();
        await using var store = new SqliteLogStore(path);
        await using var log = await TransparencyLog.OpenAsync(store, Options(), [signer], cancellationToken: Ct);
        Assert.Equal(700UL, log.Size);
    }

    [Fact]
    public async Task Missing_right_edge_tile_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "DELETE FROM tiles WHERE level = 0 AND tile_index = 2");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("tile 0/2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_interior_tile_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "DELETE FROM tiles WHERE level = 0 AND tile_index = 0");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("tile 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damaged_tile_hash_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "UPDATE tiles SET hashes = zeroblob(length(hashes)) WHERE level = 1 AND tile_index = 0");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("disagree", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Torn_batch_missing_segment_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "DELETE FROM entry_segments WHERE start_index = (SELECT MAX(start_index) FROM entry_segments)");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("torn or missing batch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Altered_last_batch_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "UPDATE entry_segments SET data = CAST(replace(CAST(data AS TEXT), 'entry', 'ENTRY') AS BLOB) WHERE start_index = (SELECT MAX(start_index) FROM entry_segments)");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("does not hash to its leaf hash", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_that_does_not_match_the_tree_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "UPDATE log_state SET checkpoint = replace(checkpoint, '\n700\n', '\n701\n')");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("checkpoint does not match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_that_does_not_match_the_compact_range_is_detected()
    {
        var (path, signer) = await BuildLogAsync();
        Exec(path, "UPDATE log_state SET root_hash = zeroblob(32)");
        var ex = await OpenFailsAsync(path, signer);
        Assert.Contains("does not hash to the stored root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_key_rotation_the_stored_checkpoint_is_served_signed_by_the_new_key()
    {
        var (path, oldSigner) = await BuildLogAsync(10);
        var newSigner = TestStores.Signer(oldSigner.Name);
        await using var store = new SqliteLogStore(path);
        await using var log = await TransparencyLog.OpenAsync(store, Options(), [newSigner], cancellationToken: Ct);
        var note = SignedNote.Parse(log.LatestCheckpoint.SignedNote);
        var signature = Assert.Single(note.Signatures);
        Assert.Equal(newSigner.KeyHash, signature.KeyHash);
        Assert.NotEqual(oldSigner.KeyHash, signature.KeyHash);
        // The same checkpoint (origin, size, root), only signed by the current key.
        Assert.StartsWith($"{Options().Origin}\n10\n", note.Text, StringComparison.Ordinal);
        Assert.Equal(10UL, log.LatestCheckpoint.Size);
    }

    [Fact]
    public async Task Changing_the_origin_of_an_existing_log_is_refused()
    {
        var (path, signer) = await BuildLogAsync(10);
        await using var store = new SqliteLogStore(path);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var log = await TransparencyLog.OpenAsync(store, new LogOptions { Origin = "other - 2" }, [signer], cancellationToken: Ct);
        });
        Assert.Contains("origin of a log cannot change", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class LogArchitectureTests
{
    [Fact]
    public void Engine_references_neither_AspNetCore_nor_EntityFrameworkCore()
    {
        var names = typeof(TransparencyLog).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
    }
}
