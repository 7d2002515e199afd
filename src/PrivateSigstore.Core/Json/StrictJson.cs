using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Core.Json;

/// <summary>
/// <see cref="JsonNode"/> parsing for JSON from outside (requests, log and registry responses, signed payloads, files).
/// By default <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/> accepts a member named twice
/// (<c>{"a":1,"a":2}</c>) and then throws <see cref="ArgumentException"/> from the first lookup on that object, far from
/// the parser's error handling (found by fuzzing). A document that says two things under one name is ambiguous, so
/// these refuse it when parsing, as a <see cref="JsonException"/> that names the member.
/// </summary>
public static class StrictJson
{
    /// <summary>Document options that refuse duplicate members, nested at most <paramref name="maxDepth"/> deep.</summary>
    public static JsonDocumentOptions Options(int maxDepth = 64) => new() { MaxDepth = maxDepth, AllowDuplicateProperties = false };

    /// <summary>Parses UTF-8 JSON. <exception cref="JsonException">Malformed, too deep, or a member named twice.</exception></summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8Json) => JsonNode.Parse(utf8Json, documentOptions: Options());

    /// <summary>Parses JSON text. <exception cref="JsonException">Malformed, too deep, or a member named twice.</exception></summary>
    public static JsonNode? Parse(string json) => JsonNode.Parse(json, documentOptions: Options());

    /// <summary>Parses a UTF-8 JSON stream. <exception cref="JsonException">Malformed, too deep, or a member named twice.</exception></summary>
    public static Task<JsonNode?> ParseAsync(Stream utf8Json, CancellationToken cancellationToken) =>
        JsonNode.ParseAsync(utf8Json, documentOptions: Options(), cancellationToken: cancellationToken);
}
