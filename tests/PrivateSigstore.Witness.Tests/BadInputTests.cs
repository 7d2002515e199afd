using System.Net;
using System.Security.Cryptography;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Witness.Tests;

public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TestLog _log = TestLog.Ed25519("log.test.local/bad").Append(5);
    private WitnessHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var (options, _) = WitnessHost.NewOptions(_log);
        options.MaxRequestBytes = 8 * 1024;
        _host = await WitnessHost.StartAsync(options);
        Assert.Equal(HttpStatusCode.OK, (await _host.AddAsync(_log.Request(0))).Status);
        _log.Append(4);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private async Task Refused(string body, HttpStatusCode status, string reason)
    {
        var answer = await _host.AddAsync(body);
        Assert.Equal(status, answer.Status);
        Assert.Contains(reason, answer.Body, StringComparison.Ordinal);
        Assert.Equal("text/plain", answer.ContentType);
    }

    private string Checkpoint => _log.Checkpoint(9).Serialize();

    [Fact]
    public async Task Malformed_bodies_are_400()
    {
        var proof = _log.Proof(5, 9);
        await Refused("", HttpStatusCode.BadRequest, "old size line");
        await Refused("new 5\n\n" + Checkpoint, HttpStatusCode.BadRequest, "old size line");
        await Refused("old 05\n\n" + Checkpoint, HttpStatusCode.BadRequest, "canonical decimal");
        await Refused("old -5\n\n" + Checkpoint, HttpStatusCode.BadRequest, "canonical decimal");
        await Refused("old 18446744073709551616\n\n" + Checkpoint, HttpStatusCode.BadRequest, "canonical decimal");
        await Refused(TestLog.Body(5, Enumerable.Repeat(proof[0], 64), Checkpoint), HttpStatusCode.BadRequest, "more than 63 consistency proof lines");
        await Refused("old 5\nnot base64!\n\n" + Checkpoint, HttpStatusCode.BadRequest, "line 1 is not standard base64");
        await Refused("old 5\n" + Convert.ToBase64String(new byte[31]) + "\n\n" + Checkpoint, HttpStatusCode.BadRequest, "not a 32-byte hash");
        await Refused("old 5\n" + Convert.ToBase64String(proof[0]), HttpStatusCode.BadRequest, "no blank line");
        await Refused("old 5\n\nlog.test.local/bad\nnine\nAAAA\n\n\u2014 x AAAAAAAA\n", HttpStatusCode.BadRequest, "checkpoint is malformed");
        await Refused("old 5\n\n" + Checkpoint.Replace("\u2014", "-", StringComparison.Ordinal), HttpStatusCode.BadRequest, "checkpoint is malformed");
        await Refused(TestLog.Body(10, [], Checkpoint), HttpStatusCode.BadRequest, "larger than the checkpoint size");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        await Refused(TestLog.Body(5, Enumerable.Repeat(new byte[32], 63), Checkpoint) + new string('x', 8 * 1024), HttpStatusCode.RequestEntityTooLarge, "Witness:MaxRequestBytes");
    }

    [Fact]
    public async Task An_unknown_origin_is_404()
    {
        var stranger = TestLog.Ed25519("stranger.test.local").Append(2);
        await Refused(stranger.Request(0), HttpStatusCode.NotFound, "unknown log origin \"stranger.test.local\"");
    }

    [Fact]
    public async Task A_bad_log_signature_is_403()
    {
        // Signed by another key of the same name: an unknown key, so no signature from a known key.
        var impostor = new Ed25519NoteSigner(_log.Origin, RandomNumberGenerator.GetBytes(32));
        await Refused(TestLog.Body(5, _log.Proof(5, 9), _log.Checkpoint(9, impostor).Serialize()), HttpStatusCode.Forbidden, "no signature from a known key");

        // The known key's line, over another text: the signature fails.
        var real = _log.Checkpoint(9);
        var forged = new SignedNote(new Checkpoint(_log.Origin, 9, _log.Root(8)).ToNoteText(), real.Note.Signatures);
        await Refused(TestLog.Body(5, [], forged.Serialize()), HttpStatusCode.Forbidden, "invalid signature");
    }

    [Fact]
    public async Task Inconsistent_submissions_are_422()
    {
        // A proof that does not verify.
        var proof = _log.Proof(5, 9);
        proof[0] = RandomNumberGenerator.GetBytes(32);
        await Refused(TestLog.Body(5, proof, Checkpoint), HttpStatusCode.UnprocessableEntity, "does not verify");

        // A proof of the wrong length.
        await Refused(TestLog.Body(5, [], Checkpoint), HttpStatusCode.UnprocessableEntity, "does not verify");

        // Same size with a proof.
        await Refused(TestLog.Body(5, [new byte[32]], _log.Checkpoint(5).Serialize()), HttpStatusCode.UnprocessableEntity, "must be empty");

        // A fresh log: old 0 with a proof; size 0 with a root other than the empty tree's.
        var fresh = TestLog.Ed25519("log.test.local/fresh").Append(3);
        var (options, _) = WitnessHost.NewOptions(fresh);
        await using var host = await WitnessHost.StartAsync(options);
        var withProof = await host.AddAsync(TestLog.Body(0, [new byte[32]], fresh.Checkpoint().Serialize()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, withProof.Status);
        Assert.Contains("old size is 0", withProof.Body, StringComparison.Ordinal);
        var badEmpty = SignedCheckpoint.Sign(new Checkpoint(fresh.Origin, 0, fresh.Root(1)), fresh.Signer).Serialize();
        var empty = await host.AddAsync(TestLog.Body(0, [], badEmpty));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.Status);
        Assert.Contains("empty tree", empty.Body, StringComparison.Ordinal);
        var goodEmpty = SignedCheckpoint.Sign(new Checkpoint(fresh.Origin, 0, Rfc6962.EmptyRoot.ToArray()), fresh.Signer).Serialize();
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(TestLog.Body(0, [], goodEmpty))).Status);
    }
}
