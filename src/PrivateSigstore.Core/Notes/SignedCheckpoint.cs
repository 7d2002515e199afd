namespace PrivateSigstore.Core.Notes;

/// <summary>
/// A checkpoint together with its signed note: what Rekor v1 returns as <c>signedTreeHead</c> /
/// <c>inclusionProof.checkpoint</c>, what Rekor v2 serves at <c>/checkpoint</c>, and what bundles
/// carry as <c>checkpoint.envelope</c>.
/// </summary>
public sealed class SignedCheckpoint
{
    /// <summary>
    /// Wraps a signed note whose text is a checkpoint. Throws <see cref="WireFormatException"/> if
    /// the note text is not a valid checkpoint (see <see cref="Checkpoint.Parse"/>).
    /// </summary>
    public SignedCheckpoint(SignedNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        Note = note;
        Checkpoint = Checkpoint.Parse(note.Text);
    }

    /// <summary>The signed note (text and signature lines).</summary>
    public SignedNote Note { get; }

    /// <summary>The parsed checkpoint (the note text).</summary>
    public Checkpoint Checkpoint { get; }

    /// <summary>Parses a serialized signed checkpoint without verifying it. Throws <see cref="WireFormatException"/> as <see cref="SignedNote.Parse(string)"/> and <see cref="Checkpoint.Parse"/> do.</summary>
    public static SignedCheckpoint Parse(string signedCheckpoint) => new(SignedNote.Parse(signedCheckpoint));

    /// <summary>Parses a serialized signed checkpoint (UTF-8) without verifying it.</summary>
    public static SignedCheckpoint Parse(ReadOnlySpan<byte> signedCheckpoint) => new(SignedNote.Parse(signedCheckpoint));

    /// <summary>Signs <paramref name="checkpoint"/> with each signer (see <see cref="SignedNote.Sign"/>).</summary>
    public static SignedCheckpoint Sign(Checkpoint checkpoint, params INoteSigner[] signers)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new(SignedNote.Sign(checkpoint.ToNoteText(), signers));
    }

    /// <summary>
    /// Verifies the note with the C2SP rules of <see cref="SignedNote.Verify"/> and, when
    /// <paramref name="expectedOrigin"/> is given, that the checkpoint's origin equals it (sigstore-go
    /// requires origin = the verifier's name for Rekor v2). Returns the verifiers that verified;
    /// throws <see cref="NoteVerificationException"/> on failure.
    /// </summary>
    public IReadOnlyList<INoteVerifier> Verify(IEnumerable<INoteVerifier> verifiers, string? expectedOrigin = null)
    {
        if (expectedOrigin is not null && !string.Equals(expectedOrigin, Checkpoint.Origin, StringComparison.Ordinal))
        {
            throw new NoteVerificationException($"checkpoint: origin \"{Checkpoint.Origin}\" is not the expected \"{expectedOrigin}\"");
        }

        return Note.Verify(verifiers);
    }

    /// <summary>
    /// The Rekor v1 verifier's rule (rekor <c>pkg/util/signed_note.go SignedNote.Verify</c>, used by
    /// <c>VerifyCheckpointSignature</c> and so by sigstore-go for v1 checkpoints): true only if there
    /// is at least one signature and every signature line carries <paramref name="logKey"/>'s key
    /// hint and verifies with it. Key names are not compared, and an extra signature from any other
    /// key makes it false, so a v1 log must sign with its key alone. Never throws for bad signatures.
    /// </summary>
    public bool VerifyRekorV1(INoteVerifier logKey)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        foreach (var signature in Note.Signatures)
        {
            if (signature.KeyHash != logKey.KeyHash || !logKey.Verify(Note.TextUtf8.Span, signature.Signature))
            {
                return false;
            }
        }

        return Note.Signatures.Count > 0;
    }

    /// <summary>Returns the serialized signed note.</summary>
    public string Serialize() => Note.Serialize();

    /// <summary>Returns <see cref="Serialize"/>.</summary>
    public override string ToString() => Serialize();
}
