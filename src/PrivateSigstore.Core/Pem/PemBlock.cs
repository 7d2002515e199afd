namespace PrivateSigstore.Core.Pem;

/// <summary>
/// One PEM block: the label between <c>-----BEGIN </c> and <c>-----</c> (e.g. <c>CERTIFICATE</c>,
/// <c>PUBLIC KEY</c>) and the decoded DER bytes. PEM headers (RFC 1421 <c>Key: value</c> lines) are
/// not represented: <see cref="GoPem"/> rejects blocks that carry them.
/// </summary>
/// <param name="Type">The block label, exactly as written after <c>BEGIN</c>.</param>
/// <param name="Bytes">The base64-decoded contents.</param>
public sealed record PemBlock(string Type, byte[] Bytes);
