using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Witness.Tests;

/// <summary>A small in-memory log: leaves, RFC 6962 roots and consistency proofs from Core, checkpoints signed with a note signer.</summary>
internal sealed class TestLog
{
    private readonly List<byte[]> _leaves = [];

    public TestLog(string origin, INoteSigner signer, string verifierKey)
    {
        Origin = origin;
        Signer = signer;
        VerifierKey = verifierKey;
    }

    public string Origin { get; }

    public INoteSigner Signer { get; }

    public string VerifierKey { get; }

    public ulong Size => (ulong)_leaves.Count;

    /// <summary>An Ed25519 log whose key name is its origin (as Rekor v2 / tlog-tiles logs).</summary>
    public static TestLog Ed25519(string origin)
    {
        var signer = new Ed25519NoteSigner(origin, RandomNumberGenerator.GetBytes(32));
        return new TestLog(origin, signer, signer.Verifier.VerifierKey);
    }

    /// <summary>An ECDSA P-256 log (Rekor v1, CT log), key type 0x02.</summary>
    public static TestLog Ecdsa(string origin, string keyName)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new EcdsaNoteSigner(keyName, key);
        return new TestLog(origin, signer, NoteVerifierKeys.FormatEcdsa(keyName, key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>A log with the same key and origin and the same first <paramref name="shared"/> leaves, then its own.</summary>
    public TestLog Fork(int shared)
    {
        var fork = new TestLog(Origin, Signer, VerifierKey);
        fork._leaves.AddRange(_leaves.Take(shared));
        return fork;
    }

    public TestLog Append(int count, string tag = "leaf")
    {
        for (var i = 0; i < count; i++)
        {
            _leaves.Add(Rfc6962.HashLeaf(Encoding.UTF8.GetBytes($"{tag} {_leaves.Count} {Origin}")));
        }

        return this;
    }

    public byte[] Root(ulong size) => size == 0 ? Rfc6962.EmptyRoot.ToArray() : MerkleTree.RootFromLeafHashes(_leaves.Take((int)size).ToList());

    public SignedCheckpoint Checkpoint(ulong? size = null, params INoteSigner[] signers)
    {
        var n = size ?? Size;
        return SignedCheckpoint.Sign(new Checkpoint(Origin, n, Root(n)), signers.Length == 0 ? [Signer] : signers);
    }

    public byte[][] Proof(ulong oldSize, ulong newSize) =>
        oldSize == 0 || oldSize == newSize ? [] : ProofBuilder.ConsistencyProof(oldSize, newSize, Node);

    /// <summary>The add-checkpoint body: old size line, proof lines, blank line, checkpoint.</summary>
    public string Request(ulong oldSize, ulong? size = null)
    {
        var n = size ?? Size;
        return Body(oldSize, Proof(oldSize, n), Checkpoint(n).Serialize());
    }

    public static string Body(ulong oldSize, IEnumerable<byte[]> proof, string checkpoint)
    {
        var body = new StringBuilder().Append("old ").Append(oldSize).Append('\n');
        foreach (var hash in proof) body.Append(Convert.ToBase64String(hash)).Append('\n');
        return body.Append('\n').Append(checkpoint).ToString();
    }

    private byte[] Node(NodeId id) => MerkleTree.RootFromLeafHashes(_leaves.Skip((int)id.Begin).Take((int)id.LeafCount).ToList());
}
