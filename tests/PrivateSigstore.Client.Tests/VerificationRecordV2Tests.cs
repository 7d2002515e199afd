using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Verification;

namespace PrivateSigstore.Client.Tests;

/// <summary>The governance record (v0.2) extends v0.1 without changing v0.1's JSON, and reads back.</summary>
public sealed class VerificationRecordV2Tests
{
    [Fact]
    public void A_v0_1_record_keeps_its_fields_and_a_v0_2_record_round_trips()
    {
        var time = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
        var v1 = new VerificationRecord { Verdict = "verified", VerificationTime = time, Timestamps = [time], ArtifactDigest = "sha256:00" };
        using (var json = JsonDocument.Parse(v1.ToJson()))
        {
            Assert.Equal(VerificationRecord.MediaTypeV1, json.RootElement.GetProperty("mediaType").GetString());
            Assert.False(json.RootElement.TryGetProperty("timestamps", out _));
            Assert.False(json.RootElement.TryGetProperty("artifact", out _));
        }

        var v2 = v1 with
        {
            MediaType = VerificationRecord.MediaTypeV2,
            Artifact = new RecordArtifact("model", "/models/tiny", "sha256:11"),
            Decision = "allowed",
            GatePolicy = new RecordPolicy("models", "/etc/psig/policy.yaml", "sha256:22"),
            TrustedRoot = new RecordTrustedRoot("--trusted-root x", "/x.json", "sha256:33"),
            Approver = new RecordApprover("host", "psig 1.0.0"),
            Bundle = JsonNode.Parse("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"""),
            Links = [new RecordLink("https://slsa.dev/provenance/v1", "sha256:44", "a.sigstore.json", "verified")],
            BreakGlassReason = null,
        };
        var back = VerificationRecord.Parse(v2.ToJson());
        Assert.Equal(VerificationRecord.MediaTypeV2, back.MediaType);
        Assert.Equal([time], back.Timestamps);
        Assert.Equal(v2.Artifact, back.Artifact);
        Assert.Equal(v2.GatePolicy, back.GatePolicy);
        Assert.Equal(v2.Links, back.Links);
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", (string?)back.Bundle!["mediaType"]);
        Assert.True(back.IsVerified);

        Assert.Throws<JsonException>(() => VerificationRecord.Parse("""{"mediaType":"application/json"}"""));
    }
}
