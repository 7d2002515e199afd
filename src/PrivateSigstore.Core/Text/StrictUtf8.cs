using System.Text;

namespace PrivateSigstore.Core.Text;

/// <summary>UTF-8 without a byte-order mark that throws on lone surrogates instead of writing U+FFFD.</summary>
internal static class StrictUtf8
{
    /// <summary>The shared encoding instance (thread-safe).</summary>
    public static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
