using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PrivateSigstore.Core;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>Random and mutated proposed entries: the only exception allowed out is WireFormatException (RekorEntryException).</summary>
public sealed class EntryPropertyTests
{
    private static readonly Lazy<byte[][]> Seeds = new(BuildSeeds);

    private static void OnlyEntryErrors(byte[] json, RekorEntryPolicy policy)
    {
        try
        {
            var entry = RekorEntries.Canonicalize(json, policy);
            Assert.Equal(32, entry.LeafHash.Length);
        }
        catch (RekorEntryException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Reason));
        }
    }

    [Fact]
    public void Random_bytes()
    {
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            OnlyEntryErrors(bytes, RekorEntryPolicy.Default);
            try
            {
                RekorEntries.ReadKind(bytes);
            }
            catch (RekorEntryException)
            {
            }
        }, iter: 3000);
    }

    [Fact]
    public void Random_text_in_the_entry_envelope()
    {
        var kinds = Pick("hashedrekord", "dsse", "intoto", "rekord", "x");
        var versions = Pick("0.0.1", "0.0.2", "1.0.0", "");
        var specs = Gen.String[Gen.Char["{}[]\":,0123456789abcdefnulrtsAZ=+/ \\"], 0, 120];
        Gen.Select(kinds, versions, specs).Sample((kind, version, spec) =>
        {
            var json = $"{{\"apiVersion\":\"{version}\",\"kind\":\"{kind}\",\"spec\":{spec}}}";
            OnlyEntryErrors(Encoding.UTF8.GetBytes(json), RekorEntryPolicy.Default);
            OnlyEntryErrors(Encoding.UTF8.GetBytes(json), RekorEntryPolicy.Search);
            try
            {
                RekorEntries.ReadKind(Encoding.UTF8.GetBytes(json));
            }
            catch (RekorEntryException)
            {
            }
        }, iter: 3000);
    }

    [Fact]
    public void Mutated_valid_entries()
    {
        var seeds = Seeds.Value;
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 4], Gen.Int[0, 3]).Sample((seed, edits, truncate) =>
        {
            var copy = seeds[seed].ToArray();
            foreach (var (index, value) in edits)
            {
                copy[index % copy.Length] = value;
            }

            var length = truncate == 0 ? copy.Length / 2 : copy.Length;
            OnlyEntryErrors(copy.AsSpan(0, length).ToArray(), RekorEntryPolicy.Default);
        }, iter: 1500);
    }

    [Fact]
    public void Valid_entries_with_one_json_value_replaced()
    {
        var seeds = Seeds.Value;
        var replacements = Gen.OneOf(
            Gen.Const((JsonNode?)null),
            Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
            Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            Gen.String[Gen.Char["A-Za-z0-9+/=-_ \n{}\":"], 0, 40].Select(s => (JsonNode?)JsonValue.Create(s)),
            Gen.Byte.Array[0, 64].Select(b => (JsonNode?)JsonValue.Create(Convert.ToBase64String(b))),
            Gen.Const<JsonNode?>(new JsonArray()),
            Gen.Const<JsonNode?>(new JsonObject()),
            Gen.Const<JsonNode?>(new JsonArray(JsonValue.Create("AAAA"), null, new JsonObject())));
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int[0, int.MaxValue], replacements, Gen.Bool).Sample((seed, pick, replacement, search) =>
        {
            var root = JsonNode.Parse(seeds[seed])!;
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = nodes[pick % nodes.Count];
            Replace(target, replacement?.DeepClone());
            OnlyEntryErrors(Encoding.UTF8.GetBytes(root.ToJsonString()), search ? RekorEntryPolicy.Search : RekorEntryPolicy.Default);
        }, iter: 1500);
    }

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        if (node.Parent is not null)
        {
            nodes.Add(node);
        }

        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static void Replace(JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject o:
                o[target.GetPropertyName()] = replacement;
                break;
            case JsonArray a:
                a[target.GetElementIndex()] = replacement;
                break;
            default:
                break;
        }
    }

    private static byte[][] BuildSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (var item in GoldenEntryTests.LoadCases())
        {
            seeds.Add(GoldenEntryTests.Golden.Load(item.GetProperty("name").GetString()!).Proposed);
        }

        // A certificate chain, so that chain verification sees mutated input too.
        var rootKey = TestSigner.Of(SignerKind.P384);
        var root = TestCertificates.Ca("CN=root", rootKey);
        var leafKey = TestSigner.Of(SignerKind.P256);
        var leaf = TestCertificates.Leaf(leafKey, ("CN=root", rootKey));
        var (digest, hash) = GeneratedEntryTests.Digest("sha256");
        seeds.Add(ProposedEntries.Bytes(ProposedEntries.HashedRekord(leafKey.SignDigest(digest, hash), TestCertificates.Pem(leaf, root), "sha256", Convert.ToHexStringLower(digest))));
        return [.. seeds];
    }
}
