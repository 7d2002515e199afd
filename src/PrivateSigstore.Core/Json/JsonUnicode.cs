using System.Text.Json;

namespace PrivateSigstore.Core.Json;

/// <summary>
/// System.Text.Json checks the structure of a document when it parses it, but decodes a string (or member name) only
/// when it is read: a string that is not valid UTF-8, or holds a lone escaped surrogate (<c>"\ud800"</c>), then throws
/// <see cref="InvalidOperationException"/> from <c>GetString</c>, deep inside a parser. Parsers of outside bytes check
/// the whole text up front with <see cref="FindInvalidString"/> and refuse it with their own error.
/// </summary>
public static class JsonUnicode
{
    /// <summary>
    /// Why a string or member name of <paramref name="json"/> is not valid Unicode, or null when every one decodes.
    /// Syntax errors and nesting deeper than <paramref name="maxDepth"/> are not reported here: the parser reports them.
    /// </summary>
    public static string? FindInvalidString(ReadOnlySpan<byte> json, int maxDepth = 64)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            MaxDepth = maxDepth,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            AllowMultipleValues = true,
        });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    _ = reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"the string at offset {reader.TokenStartIndex} is not valid Unicode ({e.Message})";
        }

        return null;
    }
}
