using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>psig log …</c> against a Rekor v2 (tiled) log: the checkpoint from <c>/api/v2/checkpoint</c> (verified with the
/// trusted root's key when one is given), and proofs and entries computed on the client from tiles and entry bundles
/// (Core.Merkle: <see cref="ProofBuilder"/>, <see cref="TileLayout"/>, <see cref="ProofVerifier"/>).
/// </summary>
internal static class LogV2Commands
{
    // Relaxed escaping: base64 and PEM print as they are ("+" not "\u002B"); the output is for people and jq, not for HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A checkpoint and whether the trusted root's key verified it (null: no trusted root given, not checked).</summary>
    internal sealed record CurrentCheckpoint(string Note, Checkpoint Checkpoint, bool? Verified, string? Problem);

    public static async Task<CurrentCheckpoint> FetchCheckpointAsync(RekorV2Client client, LogTrust? trust, CancellationToken ct)
    {
        var note = await client.GetCheckpointAsync(ct).ConfigureAwait(false);
        return Check(note, trust);
    }

    /// <summary>Parses a checkpoint note and checks it with the trusted root when given.</summary>
    public static CurrentCheckpoint Check(string note, LogTrust? trust)
    {
        SignedCheckpoint parsed;
        try
        {
            parsed = SignedCheckpoint.Parse(note);
        }
        catch (WireFormatException e)
        {
            throw new ServiceClientException($"the checkpoint does not parse: {e.Message}", 0, e);
        }
        if (trust is null)
        {
            return new CurrentCheckpoint(note, parsed.Checkpoint, null, null);
        }
        try
        {
            CheckpointVerification.Verify(note, trust.Root);
            return new CurrentCheckpoint(note, parsed.Checkpoint, true, null);
        }
        catch (WireFormatException e)
        {
            return new CurrentCheckpoint(note, parsed.Checkpoint, false, $"{e.Message} (trusted root: {trust.Source})");
        }
    }

    public static async Task<int> CheckpointAsync(CliConsole console, RekorV2Client client, LogTrust? trust, FileInfo? output, bool json, CancellationToken ct)
    {
        var current = await FetchCheckpointAsync(client, trust, ct).ConfigureAwait(false);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output.FullName, current.Note, ct).ConfigureAwait(false);
        }
        if (json)
        {
            Write(console, new JsonObject
            {
                ["origin"] = current.Checkpoint.Origin, ["treeSize"] = current.Checkpoint.Size, ["rootHash"] = Convert.ToHexStringLower(current.Checkpoint.RootHash),
                ["checkpoint"] = current.Note, ["checkpointSignatureVerified"] = current.Verified,
            });
        }
        else
        {
            console.Out.WriteLine($"Origin: {current.Checkpoint.Origin}\nTree size: {current.Checkpoint.Size}\nRoot hash: {Convert.ToHexStringLower(current.Checkpoint.RootHash)}\nCheckpoint signature: {Describe(current)}\n\n{current.Note}");
        }
        return current.Verified == false ? ExitCodes.NotVerified : ExitCodes.Verified;
    }

    public static async Task<int> GetAsync(CliConsole console, RekorV2Client client, LogTrust? trust, long index, bool json, CancellationToken ct)
    {
        var current = await FetchCheckpointAsync(client, trust, ct).ConfigureAwait(false);
        if (index < 0 || (ulong)index >= current.Checkpoint.Size)
        {
            await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Error: index {index} is not in the log (tree size {current.Checkpoint.Size})")).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
        var reader = new TiledLogReader(client, current.Checkpoint.Size);
        var leaf = await reader.GetEntryAsync((ulong)index, ct).ConfigureAwait(false);
        var leafHash = Rfc6962.HashLeaf(leaf);
        // The entry bundle is not authenticated by itself: prove the leaf against the checkpoint.
        var proof = await reader.InclusionProofAsync((ulong)index, current.Checkpoint.Size, ct).ConfigureAwait(false);
        var included = ProofVerifier.TryVerifyInclusion(leafHash, (ulong)index, current.Checkpoint.Size, proof, current.Checkpoint.RootHash, out _);
        JsonNode? body = null;
        try
        {
            body = StrictJson.Parse(leaf);
        }
        catch (JsonException)
        {
            // not JSON: printed as base64
        }
        var ok = included && current.Verified != false;
        if (json)
        {
            Write(console, new JsonObject
            {
                ["logIndex"] = index, ["leafHash"] = Convert.ToHexStringLower(leafHash), ["kind"] = body?["kind"]?.DeepClone(), ["apiVersion"] = body?["apiVersion"]?.DeepClone(),
                ["body"] = body?.DeepClone() ?? JsonValue.Create(Convert.ToBase64String(leaf)), ["treeSize"] = current.Checkpoint.Size,
                ["included"] = included, ["checkpointSignatureVerified"] = current.Verified,
            });
        }
        else
        {
            console.Out.WriteLine($"Log index: {index}\nLeaf hash: {Convert.ToHexStringLower(leafHash)}\nKind: {body?["kind"]} {body?["apiVersion"]}\n" +
                $"Inclusion in tree {current.Checkpoint.Size}: {(included ? "verified" : "FAILED")}\nCheckpoint signature: {Describe(current)}\nBody:\n{body?.ToJsonString(Indented) ?? Convert.ToBase64String(leaf)}");
        }
        return ok ? ExitCodes.Verified : ExitCodes.NotVerified;
    }

    public static async Task<int> ProofAsync(CliConsole console, RekorV2Client client, LogTrust? trust, long index, bool json, CancellationToken ct)
    {
        var current = await FetchCheckpointAsync(client, trust, ct).ConfigureAwait(false);
        var size = current.Checkpoint.Size;
        if (index < 0 || (ulong)index >= size)
        {
            await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Error: index {index} is not in the log (tree size {size})")).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
        var reader = new TiledLogReader(client, size);
        var leaf = await reader.GetEntryAsync((ulong)index, ct).ConfigureAwait(false);
        var proof = await reader.InclusionProofAsync((ulong)index, size, ct).ConfigureAwait(false);
        var included = ProofVerifier.TryVerifyInclusion(Rfc6962.HashLeaf(leaf), (ulong)index, size, proof, current.Checkpoint.RootHash, out _);
        var ok = included && current.Verified != false;
        if (json)
        {
            Write(console, new JsonObject
            {
                ["logIndex"] = index, ["treeSize"] = size, ["rootHash"] = Convert.ToHexStringLower(current.Checkpoint.RootHash),
                ["hashes"] = new JsonArray([.. proof.Select(h => JsonValue.Create(Convert.ToHexStringLower(h)))]),
                ["checkpoint"] = current.Note, ["included"] = included, ["checkpointSignatureVerified"] = current.Verified, ["verified"] = ok,
            });
        }
        else
        {
            console.Out.WriteLine($"Index in tree: {index}\nTree size: {size}\nRoot hash: {Convert.ToHexStringLower(current.Checkpoint.RootHash)}\nHashes (computed from tiles):");
            foreach (var hash in proof)
            {
                console.Out.WriteLine("  " + Convert.ToHexStringLower(hash));
            }
            console.Out.WriteLine($"Inclusion: {(included ? "verified" : "FAILED")}\nCheckpoint signature: {Describe(current)}");
        }
        return ok ? ExitCodes.Verified : ExitCodes.NotVerified;
    }

    /// <summary>
    /// Consistency from an earlier tree (a saved checkpoint, or a size and root hash) to a later checkpoint (a saved one,
    /// or the log's current one), with the proof computed from the log's tiles at the later size.
    /// </summary>
    public static async Task<int> VerifyConsistencyAsync(CliConsole console, RekorV2Client client, LogTrust? trust,
        (FileInfo? Checkpoint, long? Size, string? RootHash) first, FileInfo? second, bool json, CancellationToken ct)
    {
        ulong size1;
        byte[] root1;
        bool? firstVerified = null;
        if (first.Checkpoint is { } firstFile)
        {
            if (first.Size is not null || first.RootHash is not null)
            {
                throw new UsageException("give --first-checkpoint or --first-size with --first-root-hash, not both");
            }
            var earlier = Check(await File.ReadAllTextAsync(firstFile.FullName, ct).ConfigureAwait(false), trust);
            (size1, root1, firstVerified) = (earlier.Checkpoint.Size, earlier.Checkpoint.RootHash, earlier.Verified);
        }
        else if (first is { Size: { } s, RootHash: { } hex } && s >= 0)
        {
            try
            {
                (size1, root1) = ((ulong)s, Convert.FromHexString(hex));
            }
            catch (FormatException e)
            {
                throw new UsageException("--first-root-hash", e);
            }
        }
        else
        {
            throw new UsageException("give --first-checkpoint, or --first-size and --first-root-hash");
        }
        var later = second is null
            ? await FetchCheckpointAsync(client, trust, ct).ConfigureAwait(false)
            : Check(await File.ReadAllTextAsync(second.FullName, ct).ConfigureAwait(false), trust);
        var size2 = later.Checkpoint.Size;
        byte[][] hashes = [];
        bool consistent;
        if (size1 > size2)
        {
            consistent = false;
        }
        else
        {
            if (size1 > 0 && size1 < size2)
            {
                // Tiles are read at the log's current size, which may be past the later checkpoint's.
                var current = second is null ? later : await FetchCheckpointAsync(client, null, ct).ConfigureAwait(false);
                hashes = await new TiledLogReader(client, Math.Max(current.Checkpoint.Size, size2)).ConsistencyProofAsync(size1, size2, ct).ConfigureAwait(false);
            }
            consistent = ProofVerifier.TryVerifyConsistency(size1, size2, hashes, root1, later.Checkpoint.RootHash, out _);
        }
        var signed = later.Verified != false && firstVerified != false;
        var ok = consistent && signed;
        if (json)
        {
            Write(console, new JsonObject
            {
                ["firstSize"] = size1, ["firstRootHash"] = Convert.ToHexStringLower(root1), ["lastSize"] = size2, ["lastRootHash"] = Convert.ToHexStringLower(later.Checkpoint.RootHash),
                ["hashes"] = new JsonArray([.. hashes.Select(h => JsonValue.Create(Convert.ToHexStringLower(h)))]),
                ["firstCheckpointSignatureVerified"] = firstVerified, ["checkpointSignatureVerified"] = later.Verified, ["consistent"] = consistent,
            });
        }
        else
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Tree {size1} -> {size2}: {(consistent ? "consistent" : "NOT CONSISTENT")}; checkpoint signature {Describe(later)}{(firstVerified is null ? "" : $"; first checkpoint signature {(firstVerified.Value ? "verified" : "NOT VERIFIED")}")}"));
        }
        return ok ? ExitCodes.Verified : ExitCodes.NotVerified;
    }

    private static string Describe(CurrentCheckpoint checkpoint) => checkpoint.Verified switch
    {
        true => "verified with the trusted root's key",
        false => "NOT VERIFIED: " + checkpoint.Problem,
        null => "not checked (give --trusted-root, or psig initialize with your stack's TUF repository)",
    };

    private static void Write(CliConsole console, JsonNode node) => console.Out.WriteLine(node.ToJsonString(Indented));
}
