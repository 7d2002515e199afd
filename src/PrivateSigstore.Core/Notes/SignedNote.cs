using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// A C2SP signed note (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, and
/// one or more signature lines <c>— &lt;key name&gt; &lt;base64(4-byte key ID || signature)&gt;</c>, with
/// U+2014 EM DASH. Parsing follows Go's <c>golang.org/x/mod/sumdb/note.Open</c>; signing follows
/// <c>note.Sign</c>.
/// </summary>
/// <remarks>
/// Instances are immutable and always valid: the text is well-formed, ends in <c>\n</c> and holds
/// no control character but <c>\n</c>; there is at least one signature; every key name is valid.
/// Duplicate signature lines are kept as written; <see cref="Verify"/> checks only the first one
/// per known key, as Go does.
/// </remarks>
public sealed class SignedNote
{
    /// <summary>Largest serialized note accepted, in bytes (1 MiB).</summary>
    public const int MaxNoteBytes = 1 << 20;

    /// <summary>Most signature lines accepted (Go's note.Open stops at 100; C2SP requires at least 16).</summary>
    public const int MaxSignatures = 100;

    /// <summary>Longest signature line accepted, in bytes, including the em dash and newline (room for post-quantum signatures).</summary>
    public const int MaxSignatureLineBytes = 16 * 1024;

    private static readonly byte[] SignaturePrefix = "\u2014 "u8.ToArray();

    private readonly byte[] _text;
    private readonly NoteSignature[] _signatures;

    /// <summary>
    /// Creates a note from its text and signatures. Throws <see cref="WireFormatException"/> if the
    /// text is not valid note text (see the class remarks), there are no or too many signatures, a
    /// key name is invalid, a signature is empty, or the serialized note would exceed <see cref="MaxNoteBytes"/>.
    /// </summary>
    public SignedNote(string text, IEnumerable<NoteSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        _text = EncodeText(text);
        _signatures = [.. signatures];
        Text = text;
        if (_signatures.Length == 0)
        {
            // c2sp.org/signed-note: "followed by one or more signature lines".
            throw new WireFormatException("signed note: no signature lines");
        }

        if (_signatures.Length > MaxSignatures)
        {
            throw new WireFormatException($"signed note: more than {MaxSignatures} signatures");
        }

        var size = _text.Length + 1;
        foreach (var signature in _signatures)
        {
            ArgumentNullException.ThrowIfNull(signature, nameof(signatures));
            if (!IsValidKeyName(signature.Name))
            {
                throw new WireFormatException($"signed note: invalid key name \"{signature.Name}\"");
            }

            if (signature.Signature is not { Length: > 0 })
            {
                throw new WireFormatException($"signed note: empty signature from {signature.Name}");
            }

            size += Encoding.UTF8.GetByteCount(SignatureLine(signature));
        }

        if (size > MaxNoteBytes)
        {
            throw new WireFormatException($"signed note: larger than {MaxNoteBytes} bytes");
        }
    }

    /// <summary>The note text, including its final newline and excluding the blank separator line.</summary>
    public string Text { get; }

    /// <summary>The note text as the exact UTF-8 bytes that signatures cover.</summary>
    public ReadOnlyMemory<byte> TextUtf8 => _text;

    /// <summary>The signature lines in the order written.</summary>
    public IReadOnlyList<NoteSignature> Signatures => _signatures;

    /// <summary>
    /// Reports whether <paramref name="name"/> is a valid key name: non-empty, well-formed UTF-16,
    /// without Unicode white space or '+' (Go's <c>note.isValidName</c>).
    /// </summary>
    public static bool IsValidKeyName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('+', StringComparison.Ordinal))
        {
            return false;
        }

        var index = 0;
        while (index < name.Length)
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(index), out var rune, out var consumed) != System.Buffers.OperationStatus.Done
                || Rune.IsWhiteSpace(rune))
            {
                return false;
            }

            index += consumed;
        }

        return true;
    }

    /// <summary>Parses a signed note given as a string. Same contract as <see cref="Parse(ReadOnlySpan{byte})"/>; a string with lone surrogates is rejected.</summary>
    public static SignedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (note.Length > MaxNoteBytes)
        {
            throw new WireFormatException($"signed note: larger than {MaxNoteBytes} bytes");
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.Encoding.GetBytes(note);
        }
        catch (EncoderFallbackException e)
        {
            throw new WireFormatException("signed note: not valid UTF-16 (lone surrogate)", e);
        }

        return Parse(bytes);
    }

    /// <summary>
    /// Parses a serialized signed note (UTF-8). Does not verify signatures. Throws
    /// <see cref="WireFormatException"/> with a reason when the note is larger than
    /// <see cref="MaxNoteBytes"/>, is not valid UTF-8, holds a control character other than
    /// newline, has no blank line before the signatures, has no signature, more than
    /// <see cref="MaxSignatures"/>, or a signature line that does not start with an em dash and a
    /// space, has an invalid key name, is too long, or carries invalid base64 or fewer than 5 bytes.
    /// </summary>
    public static SignedNote Parse(ReadOnlySpan<byte> note)
    {
        if (note.Length > MaxNoteBytes)
        {
            throw new WireFormatException($"signed note: larger than {MaxNoteBytes} bytes");
        }

        // note.Open: valid UTF-8 with no ASCII control characters other than newline.
        RequireNoteCharacters(note);

        // note.Open: the signatures follow the last blank line ("\n\n").
        var split = note.LastIndexOf("\n\n"u8);
        if (split < 0)
        {
            throw new WireFormatException("signed note: no blank line before the signatures");
        }

        var text = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.IsEmpty)
        {
            throw new WireFormatException("signed note: no signature lines");
        }

        if (block[^1] != (byte)'\n')
        {
            throw new WireFormatException("signed note: last signature line does not end in a newline");
        }

        var signatures = new List<NoteSignature>();
        while (!block.IsEmpty)
        {
            var end = block.IndexOf((byte)'\n');
            var line = block[..end];
            block = block[(end + 1)..];
            if (signatures.Count == MaxSignatures)
            {
                throw new WireFormatException($"signed note: more than {MaxSignatures} signatures");
            }

            signatures.Add(ParseSignatureLine(line));
        }

        return new SignedNote(Encoding.UTF8.GetString(text), signatures);
    }

    /// <summary>
    /// Signs <paramref name="text"/> with each signer, in order (Go's <c>note.Sign</c> on a note with
    /// no signatures). Throws <see cref="WireFormatException"/> if the text is not valid note text,
    /// and <see cref="ArgumentException"/> if no signer is given, a signer's name is invalid or a
    /// signer returns no bytes.
    /// </summary>
    public static SignedNote Sign(string text, params INoteSigner[] signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Length == 0)
        {
            throw new ArgumentException("at least one signer is required", nameof(signers));
        }

        var message = EncodeText(text);
        var signatures = new List<NoteSignature>(signers.Length);
        foreach (var signer in signers)
        {
            ArgumentNullException.ThrowIfNull(signer, nameof(signers));
            if (!IsValidKeyName(signer.Name))
            {
                throw new ArgumentException($"invalid signer name \"{signer.Name}\"", nameof(signers));
            }

            var signature = signer.Sign(message);
            if (signature is not { Length: > 0 })
            {
                throw new ArgumentException($"signer {signer.Name} returned an empty signature", nameof(signers));
            }

            signatures.Add(new NoteSignature(signer.Name, signer.KeyHash, signature));
        }

        return new SignedNote(text, signatures);
    }

    /// <summary>
    /// Verifies the note against trusted keys, as Go's <c>note.Open</c> and c2sp.org/signed-note
    /// require: signature lines whose name and key ID do not both match a verifier are ignored; the
    /// first line from each known key must verify (later lines from the same key are ignored); at
    /// least one known key must have signed. Returns the verifiers whose signatures verified, in
    /// signature order. Throws <see cref="NoteVerificationException"/> if a known key's signature
    /// fails, no known key signed, or a signature matches two verifiers with the same name and key
    /// ID (an ambiguous trust configuration, reported only when such a signature is present, as Go does).
    /// </summary>
    public IReadOnlyList<INoteVerifier> Verify(IEnumerable<INoteVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(verifiers);
        var known = verifiers.ToLookup(static v => (v?.Name, v?.KeyHash));
        if (known.Contains((null, null)))
        {
            throw new ArgumentException("null verifier", nameof(verifiers));
        }

        var verified = new List<INoteVerifier>();
        var seen = new HashSet<(string, uint)>();
        foreach (var signature in _signatures)
        {
            // c2sp.org/signed-note: ignore signatures from unknown keys (name and key ID must both match).
            var candidates = known[(signature.Name, signature.KeyHash)].ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            if (candidates.Count > 1)
            {
                throw new NoteVerificationException($"signed note: ambiguous key {signature.Name}+{signature.KeyHash:x8}");
            }

            // note.Open: a known key is checked once; repeated lines from it are dropped.
            if (!seen.Add((signature.Name, signature.KeyHash)))
            {
                continue;
            }

            // c2sp.org/signed-note: a known key's signature MUST verify.
            if (!candidates[0].Verify(_text, signature.Signature))
            {
                throw new NoteVerificationException($"signed note: invalid signature for key {signature.Name}+{signature.KeyHash:x8}");
            }

            verified.Add(candidates[0]);
        }

        if (verified.Count == 0)
        {
            throw new NoteVerificationException("signed note: no signature from a known key");
        }

        return verified;
    }

    /// <summary>Returns the serialized note: text, blank line, signature lines, each ended by <c>\n</c>.</summary>
    public string Serialize()
    {
        var note = new StringBuilder(Text).Append('\n');
        foreach (var signature in _signatures)
        {
            note.Append(SignatureLine(signature));
        }

        return note.ToString();
    }

    /// <summary>Returns the serialized note as UTF-8 bytes.</summary>
    public byte[] SerializeToUtf8() => Encoding.UTF8.GetBytes(Serialize());

    /// <summary>Returns <see cref="Serialize"/>.</summary>
    public override string ToString() => Serialize();

    private static string SignatureLine(NoteSignature signature)
    {
        var raw = new byte[4 + signature.Signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(raw, signature.KeyHash);
        signature.Signature.CopyTo(raw, 4);
        return "\u2014 " + signature.Name + " " + Convert.ToBase64String(raw) + "\n";
    }

    private static NoteSignature ParseSignatureLine(ReadOnlySpan<byte> line)
    {
        if (line.Length + 1 > MaxSignatureLineBytes)
        {
            throw new WireFormatException($"signed note: signature line longer than {MaxSignatureLineBytes} bytes");
        }

        if (!line.StartsWith(SignaturePrefix))
        {
            var reason = line.StartsWith("-"u8) || line.StartsWith("\u2013"u8)
                ? "signature line starts with a hyphen or en dash instead of an em dash (U+2014)"
                : "signature line does not start with an em dash (U+2014) and a space";
            throw new WireFormatException("signed note: " + reason);
        }

        var rest = Encoding.UTF8.GetString(line[SignaturePrefix.Length..]);
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? rest : rest[..space];
        var base64 = space < 0 ? "" : rest[(space + 1)..];
        if (!IsValidKeyName(name))
        {
            throw new WireFormatException($"signed note: invalid key name \"{name}\"");
        }

        if (base64.Length == 0 || !StrictBase64.TryDecode(base64, out var raw))
        {
            throw new WireFormatException($"signed note: signature from {name} is not standard base64");
        }

        if (raw.Length < 5)
        {
            throw new WireFormatException($"signed note: signature from {name} is shorter than 5 bytes (key ID and signature)");
        }

        return new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(raw), raw[4..]);
    }

    private static byte[] EncodeText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new WireFormatException("signed note: text does not end in a newline");
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.Encoding.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new WireFormatException("signed note: text is not valid UTF-16 (lone surrogate)", e);
        }

        if (bytes.Length > MaxNoteBytes)
        {
            throw new WireFormatException($"signed note: text larger than {MaxNoteBytes} bytes");
        }

        RequireNoteCharacters(bytes);
        return bytes;
    }

    private static void RequireNoteCharacters(ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(utf8, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                throw new WireFormatException("signed note: not valid UTF-8");
            }

            if (rune.Value < 0x20 && rune.Value != '\n')
            {
                throw new WireFormatException(string.Create(CultureInfo.InvariantCulture, $"signed note: control character U+{rune.Value:X4}"));
            }

            utf8 = utf8[consumed..];
        }
    }
}
