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
using PrivateSigstore.Core.Json;

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

        public Option<FileInfo?> TrustedRoot { get; } = new("--trusted-root") { Description = "Verify checkpoints with this trusted root's log keys (default: the trusted root from psig's TUF cache, else v1: the key the log serves, v2: unchecked)", Recursive = true };

        public Option<bool> Json { get; } = new("--json") { Description = "Print JSON instead of text", Recursive = true };

        /// <summary>The trusted root checkpoints are verified with: --trusted-root, else the TUF cache's, else none.</summary>
        public async Task<LogTrust?> TrustAsync(ParseResult parse, CliConsole console, CancellationToken ct)
        {
            if (parse.GetValue(TrustedRoot) is { } file)
            {
                var material = await VerificationOptions.LoadMaterialAsync(file, console, ct).ConfigureAwait(false);
                return new LogTrust(material.TrustedRoot, material.Source ?? file.FullName);
            }
            if (await PsigTrust.TargetAsync(console, PsigTrust.TrustedRootTarget, optional: true, ct).ConfigureAwait(false) is { } bytes)
            {
                try
                {
                    return new LogTrust(Core.Trust.TrustedRootJson.Parse(bytes), $"trusted_root.json from the TUF repository psig initialize trusted (cache {PsigTrust.Home(console)})");
                }
                catch (WireFormatException e)
                {
                    throw new TrustException($"trusted_root.json from the TUF repository does not parse: {e.Message}");
                }
            }
            return null;
        }

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
        log.Subcommands.Add(Search(console, flags));
        return log;
    }

    /// <summary>Most UUIDs per <c>entries/retrieve</c> request (rekor maxSearchQueries).</summary>
    private const int RetrieveBatch = 10;

    private static Command Search(CliConsole console, LogFlags flags)
    {
        var email = new Option<string?>("--email") { Description = "Entries whose certificate names this email (or subject)" };
        var sha256 = new Option<string?>("--sha256") { Description = "Entries for an artifact with this SHA-256 digest (hex, or sha256:HEX)" };
        var artifact = new Option<FileInfo?>("--artifact") { Description = "Entries for this file (its SHA-256)" };
        var publicKey = new Option<FileInfo?>("--public-key") { Description = "Entries signed with this PEM public key (or certificate)" };
        var all = new Option<bool>("--all-of") { Description = "Only entries that match every criterion given (default: any)" };
        var limit = new Option<int>("--limit") { Description = "Entries per page", DefaultValueFactory = _ => 20 };
        var page = new Option<int>("--page") { Description = "The page to print, from 1", DefaultValueFactory = _ => 1 };
        var command = new Command("search", "Find entries by email, artifact digest or public key with Rekor's search index (POST /api/v1/index/retrieve; Rekor v1 only), a page at a time")
        {
            email, sha256, artifact, publicKey, all, limit, page,
        };
        command.SetAction((parse, ct) =>
        {
            var (url, version) = flags.Target(parse);
            if (version != 1)
            {
                throw new UsageException("a Rekor v2 log has no search index (rekor-tiles serves none): search a Rekor v1 log");
            }
            var digest = parse.GetValue(sha256);
            if (parse.GetValue(artifact) is { } file)
            {
                if (digest is not null)
                {
                    throw new UsageException("give --sha256 or --artifact, not both");
                }
                try
                {
                    using var stream = File.OpenRead(file.FullName);
                    digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException("--artifact " + file.Name, e);
                }
            }
            if (digest is not null)
            {
                var hex = digest.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? digest[7..] : digest;
                if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
                {
                    throw new UsageException($"--sha256 {digest}: not a SHA-256 digest (64 hex digits, optionally prefixed sha256:)");
                }
                digest = "sha256:" + hex.ToLowerInvariant();
            }
            byte[]? pem = null;
            if (parse.GetValue(publicKey) is { } keyFile)
            {
                try
                {
                    pem = File.ReadAllBytes(keyFile.FullName);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException("--public-key " + keyFile.Name, e);
                }
            }
            var mail = parse.GetValue(email);
            if (mail is null && digest is null && pem is null)
            {
                throw new UsageException("give --email, --sha256 (or --artifact), or --public-key");
            }
            var (size, number) = (parse.GetValue(limit), parse.GetValue(page));
            if (size < 1 || number < 1)
            {
                throw new UsageException("--limit and --page must be at least 1");
            }
            return RunAsync(console, flags, parse, url, async (client, _) =>
            {
                var uuids = await client.SearchIndexAsync(mail, digest, pem, parse.GetValue(all), ct).ConfigureAwait(false);
                var pages = Math.Max(1, (uuids.Count + size - 1) / size);
                var slice = uuids.Skip((number - 1) * size).Take(size).ToList();
                var entries = new List<RekorEntry>(slice.Count);
                for (var i = 0; i < slice.Count; i += RetrieveBatch)
                {
                    entries.AddRange(await client.GetEntriesByUuidAsync(slice.Skip(i).Take(RetrieveBatch).ToList(), ct).ConfigureAwait(false));
                }
                entries.Sort((a, b) => a.LogIndex.CompareTo(b.LogIndex));
                if (parse.GetValue(flags.Json))
                {
                    Write(console, new JsonObject
                    {
                        ["total"] = uuids.Count, ["page"] = number, ["pages"] = pages, ["limit"] = size,
                        ["entries"] = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject
                        {
                            ["uuid"] = e.Uuid, ["logIndex"] = e.LogIndex, ["integratedTime"] = e.IntegratedTime, ["kind"] = e.ToTransparencyLogEntry().KindVersion?.Kind,
                        })]),
                    });
                }
                else
                {
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{uuids.Count} entries found; page {number} of {pages} ({size} per page: --page, --limit)"));
                    foreach (var e in entries)
                    {
                        var time = DateTimeOffset.FromUnixTimeSeconds(e.IntegratedTime).ToString("O", CultureInfo.InvariantCulture);
                        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {e.LogIndex,8}  {time}  {e.ToTransparencyLogEntry().KindVersion?.Kind,-12} {e.Uuid}"));
                    }
                    if (number < pages)
                    {
                        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"next page: --page {number + 1}"));
                    }
                }
                return ExitCodes.Verified;
            });
        });
        return command;
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
                return RunAsync(console, flags, parse, url, async (client, trust) =>
                {
                    var info = await client.GetLogInfoAsync(ct).ConfigureAwait(false);
                    var (signed, how) = await CheckpointSignedAsync(client, trust, info.SignedTreeHead, ct).ConfigureAwait(false);
                    if (parse.GetValue(output) is { } file)
                    {
                        await File.WriteAllTextAsync(file.FullName, info.SignedTreeHead, ct).ConfigureAwait(false);
                    }
                    console.Out.WriteLine(parse.GetValue(flags.Json)
                        ? new JsonObject { ["treeSize"] = info.TreeSize, ["rootHash"] = info.RootHash, ["checkpoint"] = info.SignedTreeHead, ["checkpointSignatureVerified"] = signed }.ToJsonString(Indented)
                        : info.SignedTreeHead);
                    if (!signed)
                    {
                        await console.Error.WriteLineAsync("Error: checkpoint signature " + how).ConfigureAwait(false);
                    }
                    return signed ? ExitCodes.Verified : ExitCodes.NotVerified;
                });
            }
            return RunV2Async(console, flags, parse, url, (client, trust) => LogV2Commands.CheckpointAsync(console, client, trust, parse.GetValue(output), parse.GetValue(flags.Json), ct));
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
                ? RunV2Async(console, flags, parse, url, (client, trust) => LogV2Commands.CheckpointAsync(console, client, trust, null, parse.GetValue(json), ct))
                : RunAsync(console, flags, parse, url, async (client, trust) =>
        {
            var info = await client.GetLogInfoAsync(ct).ConfigureAwait(false);
            var (signed, how) = await CheckpointSignedAsync(client, trust, info.SignedTreeHead, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Write(console, new JsonObject
                {
                    ["treeSize"] = info.TreeSize, ["rootHash"] = info.RootHash, ["treeID"] = info.TreeId,
                    ["signedTreeHead"] = info.SignedTreeHead, ["checkpointSignatureVerified"] = signed, ["checkpointVerification"] = how,
                });
            }
            else
            {
                console.Out.WriteLine($"Tree size: {info.TreeSize}\nRoot hash: {info.RootHash}\nTree ID: {info.TreeId}\nCheckpoint signature: {(signed ? how : "NOT VERIFIED: " + how)}\n\n{info.SignedTreeHead}");
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
                ? RunV2Async(console, flags, parse, url, (client, trust) => LogV2Commands.GetAsync(console, client, trust, V2Index(parse, index, uuid), parse.GetValue(json), ct))
                : RunAsync(console, flags, parse, url, async (client, trust) =>
        {
            var entry = await FetchAsync(client, parse, index, uuid, ct).ConfigureAwait(false);
            var body = StrictJson.Parse(entry.Body);
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
                ? RunV2Async(console, flags, parse, url, (client, trust) => LogV2Commands.ProofAsync(console, client, trust, V2Index(parse, index, uuid), parse.GetValue(json), ct))
                : RunAsync(console, flags, parse, url, async (client, trust) =>
        {
            var entry = await FetchAsync(client, parse, index, uuid, ct).ConfigureAwait(false);
            if (entry.InclusionProof is not { } proof)
            {
                await console.Error.WriteLineAsync("Error: the log returned no inclusion proof").ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            var included = ProofVerifier.TryVerifyInclusion(Rfc6962.HashLeaf(entry.Body), (ulong)proof.LogIndex, (ulong)proof.TreeSize, proof.Hashes, proof.RootHash, out _);
            var (signed, how) = await CheckpointSignedAsync(client, trust, proof.Checkpoint, ct).ConfigureAwait(false);
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
                console.Out.WriteLine($"Inclusion: {(included ? "verified" : "FAILED")}\nCheckpoint: {(signed && committed ? "signed by the log and commits to the root; " + how : "FAILED: " + (signed ? "it does not commit to the proof's root" : how))}");
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
                return RunV2Async(console, flags, parse, url, (client, trust) => LogV2Commands.VerifyConsistencyAsync(console, client, trust,
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
            return RunAsync(console, flags, parse, url, async (client, trust) =>
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
            var (signed, how) = await CheckpointSignedAsync(client, trust, info.SignedTreeHead, ct).ConfigureAwait(false);
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
                console.Out.WriteLine($"Tree {size1} -> {info.TreeSize}: {(consistent ? "consistent" : "NOT CONSISTENT")}; checkpoint signature {(signed ? how : "NOT VERIFIED: " + how)}");
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

    /// <summary>
    /// Whether the checkpoint is signed by a log key of the trusted root (when there is one), else by the key the log
    /// itself serves (trust on first use: it proves only that the same server signed it).
    /// </summary>
    private static async Task<(bool Signed, string How)> CheckpointSignedAsync(RekorClient client, LogTrust? trust, string checkpoint, CancellationToken ct)
    {
        SignedCheckpoint parsed;
        try
        {
            parsed = SignedCheckpoint.Parse(checkpoint);
        }
        catch (WireFormatException e)
        {
            return (false, "the checkpoint does not parse: " + e.Message);
        }
        if (trust is not null)
        {
            foreach (var log in trust.Root.Tlogs)
            {
                if (log.PublicKey?.RawBytes is not { Length: > 0 } key)
                {
                    continue;
                }
                try
                {
                    if (parsed.VerifyRekorV1(new EcdsaNoteVerifier("rekor", key)))
                    {
                        return (true, $"verified with the trusted root's key of {log.BaseUrl} ({trust.Source})");
                    }
                }
                catch (WireFormatException)
                {
                    // not an ECDSA key: a Rekor v1 log signs with ECDSA
                }
            }
            return (false, $"not signed by any log key in the trusted root ({trust.Source}): is {client.BaseUrl} the log that trusted root lists?");
        }
        try
        {
            var served = GoPem.DecodePublicKey(await client.GetPublicKeyAsync(ct).ConfigureAwait(false));
            return parsed.VerifyRekorV1(new EcdsaNoteVerifier("rekor", served))
                ? (true, "verified with the key the log itself serves (not pinned: give --trusted-root, or psig initialize)")
                : (false, "not signed by the key the log serves");
        }
        catch (WireFormatException e)
        {
            return (false, "the log's public key does not parse: " + e.Message);
        }
    }

    private static void Write(CliConsole console, JsonNode node) => console.Out.WriteLine(node.ToJsonString(Indented));

    private static async Task<int> RunV2Async(CliConsole console, LogFlags flags, ParseResult parse, Uri url, Func<RekorV2Client, LogTrust?, Task<int>> action)
    {
        var trust = await flags.TrustAsync(parse, console, CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await action(new RekorV2Client(SigningServices.HttpClient, url), trust).ConfigureAwait(false);
        }
        catch (ServiceClientException e)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
    }

    private static async Task<int> RunAsync(CliConsole console, LogFlags flags, ParseResult parse, Uri url, Func<RekorClient, LogTrust?, Task<int>> action)
    {
        var trust = await flags.TrustAsync(parse, console, CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await action(new RekorClient(SigningServices.HttpClient, url), trust).ConfigureAwait(false);
        }
        catch (ServiceClientException e)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
    }
}

/// <summary>The trusted root log checkpoints are verified with, and where it came from.</summary>
internal sealed record LogTrust(Core.Trust.TrustedRoot Root, string Source);
