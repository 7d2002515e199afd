using System.Diagnostics.Metrics;

namespace PrivateSigstore.Identity;

/// <summary>OpenTelemetry metrics of the provider (meter "PrivateSigstore.Identity").</summary>
internal sealed class IdentityMetrics
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.Identity";

    private readonly Counter<long> _tokens;
    private readonly Counter<long> _signIns;

    public IdentityMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _tokens = meter.CreateCounter<long>("privatesigstore.identity.token.responses", "{response}", "Token responses issued, by grant type");
        _signIns = meter.CreateCounter<long>("privatesigstore.identity.sign_ins", "{attempt}", "Password sign-ins, by outcome");
    }

    public void TokenIssued(string grantType) => _tokens.Add(1, new KeyValuePair<string, object?>("grant_type", grantType));

    public void SignIn(SignInOutcome outcome) => _signIns.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString()));
}
