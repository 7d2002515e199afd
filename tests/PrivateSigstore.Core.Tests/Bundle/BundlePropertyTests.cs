using CsCheck;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using SigstoreBundle = PrivateSigstore.Core.Bundle.Bundle;

namespace PrivateSigstore.Core.Tests.Bundle;

/// <summary>Random bundles survive serialize → parse → serialize unchanged.</summary>
public sealed class BundlePropertyTests
{
    // Any Unicode scalar value: ASCII (with control characters, quotes and backslashes), BMP, and astral planes.
    private static readonly Gen<string> Text = Gen.Frequency(
            (4, Gen.Char[(char)0, (char)0x7f].Select(c => c.ToString())),
            (2, Gen.Int[0x80, 0xd7ff].Select(c => char.ConvertFromUtf32(c))),
            (1, Gen.Int[0xe000, 0xffff].Select(c => char.ConvertFromUtf32(c))),
            (1, Gen.Int[0x10000, 0x10ffff].Select(c => char.ConvertFromUtf32(c))))
        .Array[0, 12].Select(string.Concat);

    private static readonly Gen<byte[]> Bytes = Gen.Byte.Array[0, 40];

    private static readonly Gen<TransparencyLogEntry> Entry =
        Gen.Select(Gen.Long, Gen.Long, Bytes, Text, Text, Bytes.Array[0, 4], Gen.Bool, Gen.Bool)
            .Select((index, time, body, kind, envelope, hashes, promise, proof) => new TransparencyLogEntry
            {
                LogIndex = index,
                LogId = new LogId { KeyId = body },
                KindVersion = new KindVersion { Kind = kind, Version = "0.0.1" },
                IntegratedTime = time,
                InclusionPromise = promise ? new InclusionPromise { SignedEntryTimestamp = body } : null,
                InclusionProof = proof
                    ? new TlogInclusionProof
                    {
                        LogIndex = time,
                        RootHash = body,
                        TreeSize = index,
                        Hashes = hashes,
                        Checkpoint = new CheckpointEnvelope { Envelope = envelope },
                    }
                    : null,
                CanonicalizedBody = body,
            });

    private static readonly Gen<SigstoreBundle> RandomBundle =
        Gen.Select(Text, Entry.Array[0, 3], Bytes, Text, Gen.Int[0, 2], Gen.Bool, Gen.Enum<HashAlgorithm>())
            .Select((mediaType, entries, bytes, text, keyKind, dsse, algorithm) => new SigstoreBundle
            {
                MediaType = mediaType,
                VerificationMaterial = new VerificationMaterial
                {
                    PublicKey = keyKind == 0 ? new PublicKeyIdentifier { Hint = text } : null,
                    X509CertificateChain = keyKind == 1 ? new X509CertificateChain { Certificates = [new DerCertificate { RawBytes = bytes }] } : null,
                    Certificate = keyKind == 2 ? new DerCertificate { RawBytes = bytes } : null,
                    TlogEntries = entries,
                    TimestampVerificationData = new TimestampVerificationData { Rfc3161Timestamps = [new Rfc3161SignedTimestamp { SignedTimestamp = bytes }] },
                },
                MessageSignature = dsse ? null : new MessageSignature { MessageDigest = new HashOutput { Algorithm = algorithm, Digest = bytes }, Signature = bytes },
                DsseEnvelope = dsse ? new DsseEnvelope(text, bytes, [new DsseSignature(bytes, text)]) : null,
            });

    [Fact]
    public void Serialize_parse_serialize_is_stable() =>
        RandomBundle.Sample(bundle =>
        {
            var json = BundleJson.Serialize(bundle);
            return BundleJson.Serialize(BundleJson.Parse(json)) == json
                   && BundleJson.Serialize(BundleJson.Parse(BundleJson.Serialize(bundle, indented: true))) == json;
        });

    [Fact]
    public void Parsed_values_equal_the_written_ones() =>
        Gen.Select(Text, Gen.Long, Bytes).Sample((text, number, bytes) =>
        {
            var bundle = new SigstoreBundle
            {
                MediaType = text,
                VerificationMaterial = new VerificationMaterial
                {
                    TlogEntries = [new TransparencyLogEntry { LogIndex = number, CanonicalizedBody = bytes, KindVersion = new KindVersion { Kind = text } }],
                },
            };

            var parsed = BundleJson.Parse(BundleJson.Serialize(bundle));

            var entry = parsed.VerificationMaterial!.TlogEntries[0];
            return parsed.MediaType == text && entry.LogIndex == number && entry.CanonicalizedBody.AsSpan().SequenceEqual(bytes)
                   && entry.KindVersion!.Kind == text;
        });
}
