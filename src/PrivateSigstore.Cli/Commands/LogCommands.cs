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

/// <summary>
/// <c>psig log info|checkpoint|get|proof|verify-consistency</c> against a Rekor v1 API, or a Rekor v2 (tiled) log when
/// <c>--rekor-version 2</c> is given or the signing config's chosen log is v2 (<see cref="LogV2Commands"/>).
/// </summary>
internal static class LogCommands
{
    // Relaxed escaping: base64 and PEM print as they are ("+" not "\u002B"); the output is for people and jq, not for HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The log-wide flags.</summary>
    private sealed class LogFlags
    {
        public Option<string> RekorUrl { get; } = new("--rekor-url")
        {
            Description = "Rekor base URL (or PSIG_REKOR_URL)",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PSIG_REKOR_URL") ?? "http://127.0.0.1:3000",
        };

        public Option<uint?> RekorVersion { get; } = new("--rekor-version") { Description = "The log's API version: 1 (REST) or 2 (tiles); default 1, or the signing config's choice", Recursive = true };

        public Option<FileInfo?> SigningConfig { get; } = new("--signing-config") { Description = "Take the log (URL and version) from this signing config, as signing does", Recursive = true };

        public Option<FileInfo?> TrustedRoot { get; } = new("--trusted-root") { Description = "Rekor v2: verify checkpoints with this trusted root's log key", Recursive = true };

        public Option<bool> Json { get; } = new("--json") { Description = "Print JSON instead of text", Recursive = true };

        /// <summary>The log's URL and version: --rekor-url wins when given; --rekor-version limits the signing config's choice.</summary>
        public (Uri Url, uint Version) Target(ParseResult parse)
        {
            var version = parse.GetValue(RekorVersion);
            if (version is not (null or 1 or 2))
            {
                throw new UsageException("--rekor-version must be 1 or 2");
            }
            var urlGiven = parse.GetResult(RekorUrl) is { Implicit: false };
            try
            {
                if (parse.GetValue(SigningConfig) is { } config && !urlGiven)
                {
                    var rekor = SigningServices.FromSigningConfigRekor(config, version);
                    return (rekor.Url, rekor.Version);
                }
                return (new Uri(parse.GetValue(RekorUrl)!), version ?? 1);
            }
            catch (UriFormatException e)
            {
                throw new UsageException("--rekor-url", e);
            }
        }
    }

    public static Command Log(CliConsole console)
    {
        var flags = new LogFlags();
        var log = new Command("log", "Inspect a Rekor-compatible transparency log (v1 REST, or v2 tiles with --rekor-version 2)")
        {
            flags.RekorUrl, flags.RekorVersion, flags.SigningConfig, flags.TrustedRoot, flags.Json,
        };
        log.Subcommands.Add(Info(console, flags));
        log.Subcommands.Add(Checkpoint(console, flags));
        log.Subcommands.Add(Get(console, flags));
        log.Subcommands.Add(Proof(console, flags));
        log.Subcommands.Add(VerifyConsistency(console, flags));
        return log;
    }

    private static Command Checkpoint(CliConsole console, LogFlags flags)
    {
        var output = new Option<FileInfo?>("--output") { Description = "Also save the checkpoint note to this file (for a later verify-consistency --first-checkpoint)" };
        var command = new Command("checkpoint", "Print the log's signed checkpoint; Rekor v2: verify it with --trusted-root") { output };
        command.SetAction((parse, ct) =>
        {
            var (url, version) = flags.Target(parse);
            if (version == 1)
            {
                return RunAsync(console, url, async client =>
                {
                    var info = await client.GetLogInfoAsync(ct).ConfigureAwait(false);
                    var signed = await CheckpointSignedByLogAsync(client, info.SignedTreeHead, ct).ConfigureAwait(false);
                    if (parse.GetValue(output) is { } file)
                    {
                        await File.WriteAllTextAsync(file.FullName, info.SignedTreeHead, ct).ConfigureAwait(false);
                    }
                    console.Out.WriteLine(parse.GetValue(flags.Json)
                        ? new JsonObject { ["treeSize"] = info.TreeSize, ["rootHash"] = info.RootHash, ["checkpoint"] = info.SignedTreeHead, ["checkpointSignatureVerified"] = signed }.ToJsonString(Indented)
                        : info.SignedTreeHead);
                    return signed ? ExitCodes.Verified : ExitCodes.NotVerified;
                });
            }
            return RunV2Async(console, url, client => LogV2Commands.CheckpointAsync(console, client, parse.GetValue(flags.TrustedRoot), parse.GetValue(output), parse.GetValue(flags.Json), ct));
        });
        return command;
    }

    private static Command Info(CliConsole console, LogFlags flags)
    {
        var json = flags.Json;
        var command = new Command("info", "Print the log's tree size, root hash and signed checkpoint, and check its signature");
        command.SetAction((parse, ct) =>
        {
            var (url, version) = flags.Target(parse);
            return version == 2
                ? RunV2Async(console, url, client => LogV2Commands.CheckpointAsync(console, client, parse.GetValue(flags.TrustedRoot), null, parse.GetValue(json), ct))
                : RunAsync(console, url, async client =>
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
        });
        });
        return command;
    }

    private static Command Get(CliConsole console, LogFlags flags)
    {
        var json = flags.Json;
        var (index, uuid) = EntrySelector();
        var command = new Command("get", "Print one entry by --log-index or --uuid (Rekor v2: --log-index, read from its entry bundle and proved against the checkpoint)") { index, uuid };
        command.SetAction((parse, ct) =>
        {
            var (url, version) = flags.Target(parse);
            return version == 2
                ? RunV2Async(console, url, client => LogV2Commands.GetAsync(console, client, parse.GetValue(flags.TrustedRoot), V2Index(parse, index, uuid), parse.GetValue(json), ct))
                : RunAsync(console, url, async client =>
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
        });
        });
        return command;
    }

    private static Command Proof(CliConsole console, LogFlags flags)
    {
        var json = flags.Json;
        var (index, uuid) = EntrySelector();
        var command = new Command("proof", "Print an entry's inclusion proof and verify it against the log-signed checkpoint (Rekor v2: computed from tiles)") { index, uuid };
        command.SetAction((parse, ct) =>
        {
            var (url, version) = flags.Target(parse);
            return version == 2
                ? RunV2Async(console, url, client => LogV2Commands.ProofAsync(console, client, parse.GetValue(flags.TrustedRoot), V2Index(parse, index, uuid), parse.GetValue(json), ct))
                : RunAsync(console, url, async client =>
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
        });
        });
        return command;
    }

    private static Command VerifyConsistency(CliConsole console, LogFlags flags)
    {
        var json = flags.Json;
        var firstSize = new Option<long?>("--first-size") { Description = "Size of the earlier tree you trust" };
        var firstRoot = new Option<string?>("--first-root-hash") { Description = "Hex root hash of the earlier tree" };
        var firstCheckpoint = new Option<FileInfo?>("--first-checkpoint") { Description = "Rekor v2: the earlier checkpoint note (e.g. from log checkpoint --output)" };
        var secondCheckpoint = new Option<FileInfo?>("--second-checkpoint") { Description = "Rekor v2: the later checkpoint note (default: the log's current one)" };
        var command = new Command("verify-consistency", "Verify that the log's current tree extends an earlier tree (append-only; Rekor v2: proof computed from tiles)")
        {
            firstSize, firstRoot, firstCheckpoint, secondCheckpoint,
        };
        command.SetAction((parse, ct) =>
        {
            var (url, version) = flags.Target(parse);
            if (version == 2)
            {
                return RunV2Async(console, url, client => LogV2Commands.VerifyConsistencyAsync(console, client, parse.GetValue(flags.TrustedRoot),
                    (parse.GetValue(firstCheckpoint), parse.GetValue(firstSize), parse.GetValue(firstRoot)), parse.GetValue(secondCheckpoint), parse.GetValue(json), ct));
            }
            if (parse.GetValue(firstCheckpoint) is not null || parse.GetValue(secondCheckpoint) is not null)
            {
                throw new UsageException("--first-checkpoint and --second-checkpoint are for Rekor v2 logs (--rekor-version 2)");
            }
            if (parse.GetValue(firstSize) is null || parse.GetValue(firstRoot) is null)
            {
                throw new UsageException("give --first-size and --first-root-hash");
            }
            return RunAsync(console, url, async client =>
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
            var size1 = parse.GetValue(firstSize)!.Value;
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
        });
        });
        return command;
    }

    private static long V2Index(ParseResult parse, Option<long?> index, Option<string?> uuid) =>
        parse.GetValue(uuid) is not null ? throw new UsageException("Rekor v2 has no UUIDs: give --log-index")
        : parse.GetValue(index) ?? throw new UsageException("give --log-index");

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

    private static async Task<int> RunV2Async(CliConsole console, Uri url, Func<RekorV2Client, Task<int>> action)
    {
        try
        {
            return await action(new RekorV2Client(SigningServices.HttpClient, url)).ConfigureAwait(false);
        }
        catch (ServiceClientException e)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
    }

    private static async Task<int> RunAsync(CliConsole console, Uri url, Func<RekorClient, Task<int>> action)
    {
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
