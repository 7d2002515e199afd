using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig log info|get|proof|verify-consistency</c> against a Rekor v1 API.</summary>
internal static class LogCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Log(CliConsole console)
    {
        var rekorUrl = new Option<string>("--rekor-url")
        {
            Description = "Rekor base URL (or PSIG_REKOR_URL)",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PSIG_REKOR_URL") ?? "http://127.0.0.1:3000",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text", Recursive = true };
        var log = new Command("log", "Inspect a Rekor-compatible transparency log") { rekorUrl, json };
        log.Subcommands.Add(Info(console, rekorUrl, json));
        log.Subcommands.Add(Get(console, rekorUrl, json));
        log.Subcommands.Add(Proof(console, rekorUrl, json));
        log.Subcommands.Add(VerifyConsistency(console, rekorUrl, json));
        return log;
    }

    private static Command Info(CliConsole console, Option<string> rekorUrl, Option<bool> json)
    {
        var command = new Command("info", "Print the log's tree size, root hash and signed checkpoint, and check its signature");
        command.SetAction((parse, ct) => RunAsync(console, parse, rekorUrl, async client =>
        {
            var info = await client.GetLogInfoAsync(ct).ConfigureAwait(false);
            var signed = await CheckpointSignedByLogAsync(client, info.SignedTreeHead, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Write(console, new JsonObject
                {
                    ["treeSize"] = info.TreeSize, ["rootHash"] = info.RootHash, ["treeID"] = info.TreeId,
                    ["signedTreeHead"] = info.SignedTreeHead, ["checkpointSignatureVerified"] = signed,
                });
            }
            else
            {
                console.Out.WriteLine($"Tree size: {info.TreeSize}\nRoot hash: {info.RootHash}\nTree ID: {info.TreeId}\nCheckpoint signature: {(signed ? "verified with the log's public key" : "NOT VERIFIED")}\n\n{info.SignedTreeHead}");
            }
            return signed ? ExitCodes.Verified : ExitCodes.NotVerified;
        }));
        return command;
    }

    private static Command Get(CliConsole console, Option<string> rekorUrl, Option<bool> json)
    {
        var (index, uuid) = EntrySelector();
        var command = new Command("get", "Print one entry by --log-index or --uuid") { index, uuid };
        command.SetAction((parse, ct) => RunAsync(console, parse, rekorUrl, async client =>
        {
            var entry = await FetchAsync(client, parse, index, uuid, ct).ConfigureAwait(false);
            var body = JsonNode.Parse(entry.Body);
            if (parse.GetValue(json))
            {
                Write(console, new JsonObject
                {
                    ["uuid"] = entry.Uuid, ["logIndex"] = entry.LogIndex, ["logID"] = entry.LogId, ["integratedTime"] = entry.IntegratedTime,
                    ["body"] = body, ["signedEntryTimestamp"] = entry.SignedEntryTimestamp is { } s ? Convert.ToBase64String(s) : null,
                });
            }
            else
            {
                var time = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime).ToString("O", CultureInfo.InvariantCulture);
                console.Out.WriteLine($"UUID: {entry.Uuid}\nLog index: {entry.LogIndex}\nLog ID: {entry.LogId}\nIntegrated time: {time}\nKind: {body?["kind"]} {body?["apiVersion"]}\nBody:\n{body?.ToJsonString(Indented)}");
            }
            return ExitCodes.Verified;
        }));
        return command;
    }

    private static Command Proof(CliConsole console, Option<string> rekorUrl, Option<bool> json)
    {
        var (index, uuid) = EntrySelector();
        var command = new Command("proof", "Print an entry's inclusion proof and verify it against the log-signed checkpoint") { index, uuid };
        command.SetAction((parse, ct) => RunAsync(console, parse, rekorUrl, async client =>
        {
            var entry = await FetchAsync(client, parse, index, uuid, ct).ConfigureAwait(false);
            if (entry.InclusionProof is not { } proof)
            {
                await console.Error.WriteLineAsync("Error: the log returned no inclusion proof").ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            var included = ProofVerifier.TryVerifyInclusion(Rfc6962.HashLeaf(entry.Body), (ulong)proof.LogIndex, (ulong)proof.TreeSize, proof.Hashes, proof.RootHash, out _);
            var signed = await CheckpointSignedByLogAsync(client, proof.Checkpoint, ct).ConfigureAwait(false);
            var committed = SignedCheckpoint.Parse(proof.Checkpoint).Checkpoint is { } cp && cp.Size == (ulong)proof.TreeSize && cp.RootHash.AsSpan().SequenceEqual(proof.RootHash);
            var ok = included && signed && committed;
            if (parse.GetValue(json))
            {
                Write(console, new JsonObject
                {
                    ["uuid"] = entry.Uuid, ["logIndex"] = proof.LogIndex, ["treeSize"] = proof.TreeSize,
                    ["rootHash"] = Convert.ToHexStringLower(proof.RootHash),
                    ["hashes"] = new JsonArray([.. proof.Hashes.Select(h => JsonValue.Create(Convert.ToHexStringLower(h)))]),
                    ["checkpoint"] = proof.Checkpoint, ["verified"] = ok,
                });
            }
            else
            {
                console.Out.WriteLine($"UUID: {entry.Uuid}\nIndex in tree: {proof.LogIndex}\nTree size: {proof.TreeSize}\nRoot hash: {Convert.ToHexStringLower(proof.RootHash)}\nHashes:");
                foreach (var hash in proof.Hashes)
                {
                    console.Out.WriteLine("  " + Convert.ToHexStringLower(hash));
                }
                console.Out.WriteLine($"Inclusion: {(included ? "verified" : "FAILED")}\nCheckpoint: {(signed && committed ? "signed by the log and commits to the root" : "FAILED")}");
            }
            return ok ? ExitCodes.Verified : ExitCodes.NotVerified;
        }));
        return command;
    }

    private static Command VerifyConsistency(CliConsole console, Option<string> rekorUrl, Option<bool> json)
    {
        var firstSize = new Option<long>("--first-size") { Description = "Size of the earlier tree you trust", Required = true };
        var firstRoot = new Option<string>("--first-root-hash") { Description = "Hex root hash of the earlier tree", Required = true };
        var command = new Command("verify-consistency", "Verify that the log's current tree extends an earlier tree (append-only)") { firstSize, firstRoot };
        command.SetAction((parse, ct) => RunAsync(console, parse, rekorUrl, async client =>
        {
            byte[] root1;
            try
            {
                root1 = Convert.FromHexString(parse.GetValue(firstRoot)!);
            }
            catch (FormatException e)
            {
                throw new UsageException("--first-root-hash", e);
            }
            var info = await client.GetLogInfoAsync(ct).ConfigureAwait(false);
            var size1 = parse.GetValue(firstSize);
            var root2 = Convert.FromHexString(info.RootHash);
            var signed = await CheckpointSignedByLogAsync(client, info.SignedTreeHead, ct).ConfigureAwait(false);
            IReadOnlyList<byte[]> hashes = [];
            if (size1 > 0 && size1 < info.TreeSize)
            {
                hashes = (await client.GetConsistencyProofAsync(size1, info.TreeSize, ct).ConfigureAwait(false)).Hashes;
            }
            var consistent = size1 >= 0 && size1 <= info.TreeSize
                && ProofVerifier.TryVerifyConsistency((ulong)size1, (ulong)info.TreeSize, hashes, root1, root2, out _);
            var ok = consistent && signed;
            if (parse.GetValue(json))
            {
                Write(console, new JsonObject
                {
                    ["firstSize"] = size1, ["firstRootHash"] = Convert.ToHexStringLower(root1), ["lastSize"] = info.TreeSize, ["lastRootHash"] = info.RootHash,
                    ["hashes"] = new JsonArray([.. hashes.Select(h => JsonValue.Create(Convert.ToHexStringLower(h)))]),
                    ["checkpointSignatureVerified"] = signed, ["consistent"] = consistent,
                });
            }
            else
            {
                console.Out.WriteLine($"Tree {size1} -> {info.TreeSize}: {(consistent ? "consistent" : "NOT CONSISTENT")}; checkpoint signature {(signed ? "verified" : "NOT VERIFIED")}");
            }
            return ok ? ExitCodes.Verified : ExitCodes.NotVerified;
        }));
        return command;
    }

    private static (Option<long?> Index, Option<string?> Uuid) EntrySelector() =>
        (new Option<long?>("--log-index") { Description = "The entry's global log index" }, new Option<string?>("--uuid") { Description = "The entry's UUID" });

    private static async Task<RekorEntry> FetchAsync(RekorClient client, ParseResult parse, Option<long?> index, Option<string?> uuid, CancellationToken ct) =>
        (parse.GetValue(index), parse.GetValue(uuid)) switch
        {
            ({ } i, null) => await client.GetEntryByIndexAsync(i, ct).ConfigureAwait(false),
            (null, { } u) => await client.GetEntryByUuidAsync(u, ct).ConfigureAwait(false),
            _ => throw new UsageException("give exactly one of --log-index and --uuid"),
        };

    /// <summary>The checkpoint is signed by the log's own key (fetched from the log: trust on first use; pin it with --trusted-root in verify).</summary>
    private static async Task<bool> CheckpointSignedByLogAsync(RekorClient client, string checkpoint, CancellationToken ct)
    {
        try
        {
            var key = GoPem.DecodePublicKey(await client.GetPublicKeyAsync(ct).ConfigureAwait(false));
            return SignedCheckpoint.Parse(checkpoint).VerifyRekorV1(new EcdsaNoteVerifier("rekor", key));
        }
        catch (WireFormatException)
        {
            return false;
        }
    }

    private static void Write(CliConsole console, JsonNode node) => console.Out.WriteLine(node.ToJsonString(Indented));

    private static async Task<int> RunAsync(CliConsole console, ParseResult parse, Option<string> rekorUrl, Func<RekorClient, Task<int>> action)
    {
        Uri url;
        try
        {
            url = new Uri(parse.GetValue(rekorUrl)!);
        }
        catch (UriFormatException e)
        {
            throw new UsageException("--rekor-url", e);
        }
        try
        {
            return await action(new RekorClient(SigningServices.HttpClient, url)).ConfigureAwait(false);
        }
        catch (ServiceClientException e)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
    }
}
