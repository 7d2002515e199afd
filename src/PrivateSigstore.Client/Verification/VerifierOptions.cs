namespace PrivateSigstore.Client.Verification;

/// <summary>
/// Deployment-wide verifier settings (sigstore-go <c>VerifierOption</c>s). Every threshold defaults to 1 and must
/// be at least 1: a verifier never silently accepts zero SCTs, log entries or timestamps. A bundle signed with a
/// long-lived key and no certificate skips the SCT threshold (there is no certificate to carry SCTs).
/// </summary>
public sealed record VerifierOptions
{
    /// <summary>Verified SCTs from distinct trusted CT logs a certificate needs.</summary>
    public int SignedCertificateTimestampThreshold { get; init; } = 1;

    /// <summary>Verified entries from distinct trusted transparency logs a bundle needs.</summary>
    public int TransparencyLogThreshold { get; init; } = 1;

    /// <summary>Verified observer timestamps (integrated times with a signed entry timestamp) a bundle needs.</summary>
    public int ObserverTimestampThreshold { get; init; } = 1;

    /// <summary>
    /// When set, every log entry's checkpoint must carry witness cosignatures meeting this policy (default: none, as
    /// the upstream clients). An entry without an inclusion proof then fails.
    /// </summary>
    public WitnessPolicy? WitnessPolicy { get; init; }

    /// <summary>The clock used for the record's verification time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a threshold below 1.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(SignedCertificateTimestampThreshold, 1, nameof(SignedCertificateTimestampThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(TransparencyLogThreshold, 1, nameof(TransparencyLogThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(ObserverTimestampThreshold, 1, nameof(ObserverTimestampThreshold));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
