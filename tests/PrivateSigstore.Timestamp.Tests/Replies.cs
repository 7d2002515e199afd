using System.Diagnostics;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>Checks replies the way a client would: the BCL's Rfc3161 types, an X509Chain to the root, and openssl ts.</summary>
internal static class Replies
{
    public static HashAlgorithmName Hash(string name) => name switch
    {
        "sha384" => HashAlgorithmName.SHA384,
        "sha512" => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    public static byte[] HashData(string name, byte[] data) => name switch
    {
        "sha384" => SHA384.HashData(data),
        "sha512" => SHA512.HashData(data),
        _ => SHA256.HashData(data),
    };

    /// <summary>The PKIStatus of a TimeStampResp and its token (ContentInfo) bytes.</summary>
    public static (int Status, byte[] Token) Split(byte[] reply)
    {
        var response = new AsnReader(reply, AsnEncodingRules.DER).ReadSequence();
        var status = (int)response.ReadSequence().ReadInteger();
        var token = response.ReadEncodedValue().ToArray();
        Assert.False(response.HasData);
        return (status, token);
    }

    /// <summary>
    /// Processes <paramref name="reply"/> with <see cref="Rfc3161TimestampRequest.ProcessResponse"/> (status granted,
    /// imprint, nonce and policy matched) and verifies its signature against the leaf, and the leaf's chain to the root
    /// with the timeStamping usage. Returns the token.
    /// </summary>
    public static Rfc3161TimestampToken Verify(Rfc3161TimestampRequest request, byte[] reply, X509Certificate2[] chain)
    {
        var token = request.ProcessResponse(reply, out var consumed);
        Assert.Equal(reply.Length, consumed);
        Assert.True(token.VerifySignatureForHash(request.GetMessageHash().Span, request.HashAlgorithmId, out var signer, [chain[0]]), "token signature");
        Assert.Equal(chain[0].RawData, signer!.RawData);
        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.CustomTrustStore.Add(chain[^1]);
        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.8"));
        x509.ChainPolicy.VerificationTime = token.TokenInfo.Timestamp.UtcDateTime;
        Assert.True(x509.Build(chain[0]), string.Join("; ", x509.ChainStatus.Select(s => s.StatusInformation)));
        return token;
    }

    public static Rfc3161TimestampRequest Request(string hash, byte[] data, bool certReq, BigInteger? nonce, string? policy = null) =>
        Rfc3161TimestampRequest.CreateFromHash(
            HashData(hash, data),
            Hash(hash),
            policy is null ? null : new Oid(policy),
            nonce is { } n ? n.ToByteArray(isUnsigned: false, isBigEndian: true) : null,
            requestSignerCertificates: certReq);

    /// <summary>Runs openssl with <paramref name="args"/> in <paramref name="directory"/>; returns (exit code, stdout + stderr).</summary>
    public static (int Exit, string Output) OpenSsl(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
