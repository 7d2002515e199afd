using System.Globalization;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// Which witnesses must have cosigned a log's checkpoint (C2SP tlog-cosignature v1, Ed25519) before a bundle is
/// accepted. The file format is the Sigsum/Tessera policy format, with witness keys as C2SP verifier keys:
/// <code>
/// # comments and blank lines are ignored; log lines are accepted and ignored (the logs come from the trusted root)
/// witness NAME VKEY [URL]             VKEY = &lt;key name&gt;+&lt;key id&gt;+&lt;base64(0x04 || Ed25519 key)&gt;
/// group NAME N|any|all MEMBER...      members: witnesses or groups defined above
/// quorum NAME|none                    exactly once
/// </code>
/// </summary>
public sealed class WitnessPolicy
{
    private readonly Dictionary<string, (string KeyName, byte[] PublicKey)> _witnesses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Threshold, string[] Members)> _groups = new(StringComparer.Ordinal);
    private string? _quorum;

    /// <summary>How far in the future a cosignature's time may be (clock skew).</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(10);

    /// <summary>The quorum's name (<c>none</c>: no cosignature needed).</summary>
    public string Quorum => _quorum!;

    /// <summary>Parses a policy; <see cref="WireFormatException"/> names the line and what is wrong.</summary>
    public static WitnessPolicy Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var policy = new WitnessPolicy();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            WireFormatException Bad(string why) => new($"{source}:{number}: {why}");
            switch (f[0])
            {
                case "log":
                    break;
                case "witness" when f.Length is 3 or 4:
                    if (policy.Defined(f[1])) throw Bad($"'{f[1]}' is defined twice");
                    try
                    {
                        policy._witnesses[f[1]] = Cosignature.ParseVerifierKey(f[2]);
                    }
                    catch (WireFormatException e)
                    {
                        throw Bad(e.Message);
                    }
                    break;
                case "group" when f.Length >= 4:
                    if (policy.Defined(f[1])) throw Bad($"'{f[1]}' is defined twice");
                    var members = f[3..];
                    foreach (var m in members)
                    {
                        if (!policy.Defined(m)) throw Bad($"'{m}' is not a witness or group defined above");
                    }
                    if (members.Distinct(StringComparer.Ordinal).Count() != members.Length) throw Bad("a member is listed twice");
                    var threshold = f[2] switch
                    {
                        "any" => 1,
                        "all" => members.Length,
                        _ when int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k >= 1 && k <= members.Length => k,
                        _ => throw Bad($"threshold '{f[2]}' must be any, all or a number from 1 to {members.Length}"),
                    };
                    policy._groups[f[1]] = (threshold, members);
                    break;
                case "quorum" when f.Length == 2:
                    if (policy._quorum is not null) throw Bad("quorum is set twice");
                    if (f[1] != "none" && !policy.Defined(f[1])) throw Bad($"'{f[1]}' is not a witness or group defined above");
                    policy._quorum = f[1];
                    break;
                default:
                    throw Bad($"expected 'witness NAME VKEY [URL]', 'group NAME N|any|all MEMBER...', 'quorum NAME|none' or 'log ...', not '{line}'");
            }
        }
        if (policy._quorum is null) throw new WireFormatException($"{source}: no quorum line");
        return policy;
    }

    private bool Defined(string name) => name != "none" && (_witnesses.ContainsKey(name) || _groups.ContainsKey(name));

    /// <summary>The policy's witnesses whose cosignature on <paramref name="checkpoint"/> verifies.</summary>
    public IReadOnlySet<string> Cosigners(SignedNote checkpoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, (keyName, key)) in _witnesses)
        {
            foreach (var signature in checkpoint.Signatures)
            {
                if (Cosignature.Verify(signature, keyName, key, checkpoint.Text, out var time)
                    && DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(time, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds())) <= now + MaxFutureSkew)
                {
                    found.Add(name);
                    break;
                }
            }
        }
        return found;
    }

    private bool Satisfied(string name, IReadOnlySet<string> cosigners) =>
        name == "none" || cosigners.Contains(name)
        || (_groups.TryGetValue(name, out var g) && g.Members.Count(m => Satisfied(m, cosigners)) >= g.Threshold);

    /// <summary>Null when the checkpoint's cosignatures meet the quorum; otherwise why not.</summary>
    public string? Check(SignedNote checkpoint, DateTimeOffset now)
    {
        var cosigners = Cosigners(checkpoint, now);
        if (Satisfied(Quorum, cosigners)) return null;
        return cosigners.Count == 0
            ? $"the checkpoint carries no valid cosignature of the policy's witnesses (quorum '{Quorum}' not met)"
            : $"the checkpoint is cosigned by {string.Join(", ", cosigners.Order(StringComparer.Ordinal))}, which does not meet quorum '{Quorum}'";
    }
}
