namespace PrivateSigstore.Client.Verification;

/// <summary>The step of bundle verification that rejected a bundle (sigstore-go <c>verify.Verify</c> order).</summary>
public enum VerificationStep
{
    /// <summary>The bundle breaks a format rule (media type, oneofs, required fields).</summary>
    BundleFormat,

    /// <summary>The policy cannot be applied to this bundle (e.g. a key policy for a certificate bundle).</summary>
    Policy,

    /// <summary>A transparency log entry is malformed, from no trusted log, or too few entries verified.</summary>
    TransparencyLog,

    /// <summary>The signed entry timestamp (inclusion promise) does not verify.</summary>
    InclusionPromise,

    /// <summary>The inclusion proof does not lead to the checkpoint's root.</summary>
    InclusionProof,

    /// <summary>The checkpoint is malformed, not signed by the log, or does not match the proof.</summary>
    Checkpoint,

    /// <summary>The log entry's canonical body does not match the bundle (signature, key, digest).</summary>
    EntryBodyMismatch,

    /// <summary>Too few verified observer timestamps.</summary>
    Timestamps,

    /// <summary>The leaf certificate does not chain to a trusted CA valid at the signing time.</summary>
    CertificateChain,

    /// <summary>Too few signed certificate timestamps verify against trusted CT logs.</summary>
    CertificateTransparency,

    /// <summary>The artifact (or its digest) does not match what was signed.</summary>
    ArtifactDigest,

    /// <summary>The signature (or DSSE envelope signature) does not verify with the signer's key.</summary>
    Signature,

    /// <summary>The certificate identity (SAN, issuer) does not match the policy.</summary>
    Identity,
}

/// <summary>Bundle verification failed at <see cref="Step"/>; <see cref="Exception.Message"/> says why.</summary>
public sealed class VerificationException : Exception
{
    /// <summary>Creates the exception for <paramref name="step"/> with a reason.</summary>
    public VerificationException(VerificationStep step, string reason, Exception? inner = null)
        : base($"{StepName(step)}: {reason}", inner)
    {
        Step = step;
        Reason = reason;
    }

    /// <summary>Creates an exception for <see cref="VerificationStep.BundleFormat"/>.</summary>
    public VerificationException() : this(VerificationStep.BundleFormat, "verification failed") { }

    /// <summary>Creates an exception for <see cref="VerificationStep.BundleFormat"/>.</summary>
    public VerificationException(string message) : this(VerificationStep.BundleFormat, message) { }

    /// <summary>Creates an exception for <see cref="VerificationStep.BundleFormat"/>.</summary>
    public VerificationException(string message, Exception innerException) : this(VerificationStep.BundleFormat, message, innerException) { }

    /// <summary>The step that failed.</summary>
    public VerificationStep Step { get; }

    /// <summary>Why, without the step prefix.</summary>
    public string Reason { get; }

    /// <summary>The kebab-case name of a step, as records and the CLI print it.</summary>
    public static string StepName(VerificationStep step) => step switch
    {
        VerificationStep.BundleFormat => "bundle-format",
        VerificationStep.Policy => "policy",
        VerificationStep.TransparencyLog => "transparency-log",
        VerificationStep.InclusionPromise => "inclusion-promise",
        VerificationStep.InclusionProof => "inclusion-proof",
        VerificationStep.Checkpoint => "checkpoint",
        VerificationStep.EntryBodyMismatch => "entry-body-mismatch",
        VerificationStep.Timestamps => "timestamps",
        VerificationStep.CertificateChain => "certificate-chain",
        VerificationStep.CertificateTransparency => "certificate-transparency",
        VerificationStep.ArtifactDigest => "artifact-digest",
        VerificationStep.Signature => "signature",
        VerificationStep.Identity => "identity",
        _ => step.ToString(),
    };
}
