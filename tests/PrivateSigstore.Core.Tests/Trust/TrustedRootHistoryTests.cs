using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.ProtoJson;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Core.Tests.Trust;

public sealed class TrustedRootHistoryTests
{
    private static readonly DateTimeOffset First = new(2026, 1, 10, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Rotation = new(2026, 6, 1, 12, 30, 15, TimeSpan.Zero);

    private sealed class Keys : IDisposable
    {
        public ECDsa Rekor { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        public ECDsa Ct { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        public byte[] RekorV2 { get; } = PrivateSigstore.Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(PrivateSigstore.Core.Crypto.Ed25519.PublicKeyFromSeed(RandomNumberGenerator.GetBytes(32)));
        public X509Certificate2 Ca { get; } = SelfSigned("CA Root");
        public X509Certificate2 Tsa { get; } = SelfSigned("TSA Root");

        public void Dispose()
        {
            Rekor.Dispose();
            Ct.Dispose();
            Ca.Dispose();
            Tsa.Dispose();
        }
    }

    private static X509Certificate2 SelfSigned(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}, O=Example", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(First.AddDays(-1), First.AddYears(5));
    }

    private static TrustedRoot Build(Keys k, DateTimeOffset start, int port = 3000) => TrustMaterialBuilder.TrustedRoot(
        [new TrustedAuthority($"http://127.0.0.1:{port + 1}", [k.Ca.RawData], start)],
        [
            new TrustedLog($"http://127.0.0.1:{port}", k.Rekor.ExportSubjectPublicKeyInfo(), start),
            new TrustedLog($"http://127.0.0.1:{port + 2}", k.RekorV2, start, CheckpointOrigin: "127.0.0.1"),
        ],
        [new TrustedLog($"http://127.0.0.1:{port + 3}", k.Ct.ExportSubjectPublicKeyInfo(), start)],
        [new TrustedAuthority($"http://127.0.0.1:{port + 4}", [k.Tsa.RawData], start)]);

    private static ProtoTimestamp At(DateTimeOffset t) => ProtoTimestamp.FromDateTimeOffset(t);

    [Fact]
    public void Without_a_previous_root_the_current_one_is_returned()
    {
        using var k = new Keys();
        var current = Build(k, First);
        Assert.Same(current, TrustedRootHistory.Merge(null, current, Rotation));
    }

    [Fact]
    public void An_unchanged_stack_merges_to_byte_identical_json_keeping_the_first_starts()
    {
        using var k = new Keys();
        var previous = Build(k, First);
        // Rebuilt later (the builder's start is "now" again): the first publication's start wins.
        var merged = TrustedRootHistory.Merge(previous, Build(k, Rotation), Rotation.AddDays(1));
        Assert.Equal(TrustedRootJson.Serialize(previous, indented: true), TrustedRootJson.Serialize(merged, indented: true));
        // And merging again is stable.
        var again = TrustedRootHistory.Merge(TrustedRootJson.Parse(TrustedRootJson.Serialize(merged)), Build(k, Rotation), Rotation.AddDays(2));
        Assert.Equal(TrustedRootJson.Serialize(previous), TrustedRootJson.Serialize(again));
    }

    [Fact]
    public void Moved_urls_are_updated_without_changing_validity()
    {
        using var k = new Keys();
        var merged = TrustedRootHistory.Merge(Build(k, First), Build(k, Rotation, port: 4000), Rotation);
        Assert.Equal("http://127.0.0.1:4000", Assert.Single(merged.Tlogs, t => t.PublicKey!.KeyDetails == PrivateSigstore.Core.Bundle.PublicKeyDetails.PkixEcdsaP256Sha256).BaseUrl);
        Assert.Equal(2, merged.Tlogs.Count);
        Assert.All(merged.Tlogs, t => Assert.Equal(At(First), t.PublicKey!.ValidFor!.Start));
        Assert.All(merged.Tlogs, t => Assert.Null(t.PublicKey!.ValidFor!.End));
        Assert.Equal("http://127.0.0.1:4001", Assert.Single(merged.CertificateAuthorities).Uri);
    }

    [Fact]
    public void A_rotated_key_or_chain_is_kept_with_an_end_and_its_successor_starts_at_the_rotation()
    {
        using var old = new Keys();
        using var fresh = new Keys();
        var previous = Build(old, First);
        // Every service rotated; the new entries are given no particular start (the builder's "now" is Rotation here).
        var merged = TrustedRootHistory.Merge(previous, Build(fresh, Rotation), Rotation.AddMilliseconds(750));

        Assert.Equal(4, merged.Tlogs.Count);
        Assert.Equal(2, merged.Ctlogs.Count);
        Assert.Equal(2, merged.CertificateAuthorities.Count);
        Assert.Equal(2, merged.TimestampAuthorities.Count);
        // Old first, in their order, ending at the rotation (whole seconds); new after, starting then.
        Assert.Equal(previous.Tlogs[0].LogId!.KeyId, merged.Tlogs[0].LogId!.KeyId);
        Assert.Equal(previous.Tlogs[1].LogId!.KeyId, merged.Tlogs[1].LogId!.KeyId);
        Assert.Equal(SHA256.HashData(fresh.Rekor.ExportSubjectPublicKeyInfo()), merged.Tlogs[2].LogId!.KeyId);
        Assert.NotNull(merged.Tlogs[3].CheckpointKeyId);
        foreach (var range in new[] { merged.Tlogs[0].PublicKey!.ValidFor!, merged.Tlogs[1].PublicKey!.ValidFor!, merged.Ctlogs[0].PublicKey!.ValidFor!, merged.CertificateAuthorities[0].ValidFor!, merged.TimestampAuthorities[0].ValidFor! })
        {
            Assert.Equal(At(First), range.Start);
            Assert.Equal(At(Rotation), range.End);
        }

        foreach (var range in new[] { merged.Tlogs[2].PublicKey!.ValidFor!, merged.Tlogs[3].PublicKey!.ValidFor!, merged.Ctlogs[1].PublicKey!.ValidFor!, merged.CertificateAuthorities[1].ValidFor!, merged.TimestampAuthorities[1].ValidFor! })
        {
            Assert.Equal(At(Rotation), range.Start);
            Assert.Null(range.End);
        }

        Assert.Equal(fresh.Ca.RawData, merged.CertificateAuthorities[1].CertChain!.Certificates[0].RawBytes);
        Assert.Equal(fresh.Tsa.RawData, merged.TimestampAuthorities[1].CertChain!.Certificates[0].RawBytes);

        // A second rotation of the Rekor key only: the first key keeps its first end, the second gets one, a third starts.
        using var third = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var later = Rotation.AddDays(30);
        var current = TrustMaterialBuilder.TrustedRoot(
            [new TrustedAuthority("http://127.0.0.1:3001", [fresh.Ca.RawData], later)],
            [new TrustedLog("http://127.0.0.1:3000", third.ExportSubjectPublicKeyInfo(), later), new TrustedLog("http://127.0.0.1:3002", fresh.RekorV2, later, CheckpointOrigin: "127.0.0.1")],
            [new TrustedLog("http://127.0.0.1:3003", fresh.Ct.ExportSubjectPublicKeyInfo(), later)],
            [new TrustedAuthority("http://127.0.0.1:3004", [fresh.Tsa.RawData], later)]);
        var twice = TrustedRootHistory.Merge(TrustedRootJson.Parse(TrustedRootJson.Serialize(merged)), current, later);
        Assert.Equal(5, twice.Tlogs.Count);
        Assert.Equal(At(Rotation), twice.Tlogs[0].PublicKey!.ValidFor!.End);
        Assert.Equal(At(Rotation), twice.Tlogs[2].PublicKey!.ValidFor!.Start);
        Assert.Equal(At(later), twice.Tlogs[2].PublicKey!.ValidFor!.End);
        Assert.Null(twice.Tlogs[3].PublicKey!.ValidFor!.End);
        Assert.Equal(At(later), twice.Tlogs[4].PublicKey!.ValidFor!.Start);
        Assert.Equal(2, twice.CertificateAuthorities.Count);
        Assert.Null(twice.CertificateAuthorities[1].ValidFor!.End);
    }

    [Fact]
    public void A_new_entry_keeps_a_given_start_and_an_entry_without_validity_starts_now()
    {
        using var k = new Keys();
        var previous = Build(k, First);
        using var extra = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var givenStart = First.AddDays(3);
        var current = Build(k, First) with
        {
            Ctlogs = [.. Build(k, First).Ctlogs, .. TrustMaterialBuilder.TrustedRoot([], [], [new TrustedLog("http://ct2", extra.ExportSubjectPublicKeyInfo(), givenStart)]).Ctlogs],
        };
        var merged = TrustedRootHistory.Merge(previous, current, Rotation);
        Assert.Equal(At(givenStart), merged.Ctlogs[1].PublicKey!.ValidFor!.Start);

        var bare = current with { Ctlogs = [current.Ctlogs[0], current.Ctlogs[1] with { PublicKey = current.Ctlogs[1].PublicKey! with { ValidFor = null } }] };
        Assert.Equal(At(Rotation), TrustedRootHistory.Merge(previous, bare, Rotation).Ctlogs[1].PublicKey!.ValidFor!.Start);
    }
}
