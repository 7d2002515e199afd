using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Client.Rekor;

/// <summary>A Rekor log a signer records signatures in (v1: <see cref="RekorV1Writer"/>, v2: <see cref="RekorV2Client"/>).</summary>
public interface ITransparencyLogWriter
{
    /// <summary>The log's major API version (1 or 2).</summary>
    int MajorApiVersion { get; }

    /// <summary>The log's base URL.</summary>
    Uri BaseUrl { get; }

    /// <summary>
    /// Records a message signature: <paramref name="digest"/> (of <paramref name="algorithm"/>) of the artifact and the
    /// signature over it, with the signer's key or certificate. Returns the entry in bundle form.
    /// </summary>
    /// <exception cref="ServiceClientException">The log refused the entry or answered something unusable.</exception>
    Task<TransparencyLogEntry> LogMessageSignatureAsync(SignerMaterial signer, HashAlgorithm algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default);

    /// <summary>Records a signed DSSE envelope (one signature, by <paramref name="signer"/>). Returns the entry in bundle form.</summary>
    /// <exception cref="ServiceClientException">The log refused the entry or answered something unusable.</exception>
    Task<TransparencyLogEntry> LogDsseAsync(SignerMaterial signer, DsseEnvelope envelope, CancellationToken cancellationToken = default);
}
