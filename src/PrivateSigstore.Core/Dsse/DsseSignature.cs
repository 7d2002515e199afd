namespace PrivateSigstore.Core.Dsse;

/// <summary>
/// One signature of a DSSE envelope (<c>io.intoto.Signature</c>): the raw signature bytes over
/// <see cref="DsseEnvelope.PreAuthenticationEncoding"/> of the envelope, and an optional, unauthenticated
/// hint naming the key. A null <see cref="KeyId"/> means the field was absent; the DSSE spec treats absent
/// and empty alike.
/// </summary>
/// <param name="Sig">The signature bytes exactly as the signing algorithm produced them.</param>
/// <param name="KeyId">The unauthenticated key hint, or null when absent.</param>
public sealed record DsseSignature(byte[] Sig, string? KeyId);
