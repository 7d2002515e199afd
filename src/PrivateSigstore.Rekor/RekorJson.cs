using System.Text.Encodings.Web;
using System.Text.Json;

namespace PrivateSigstore.Rekor;

/// <summary>JSON writing as upstream Rekor emits it: no escaping of '+', non-ASCII or '/' beyond what JSON needs.</summary>
internal static class RekorJson
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
