using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElasticVit.IO;

/// <summary>
/// How the files the program is given are read: a size limit checked before reading; for JSON no duplicate keys (which
/// one would win is a guess), at most 64 levels of nesting, comments allowed. Failures are exceptions of the caller's
/// own user-error type (made by <c>error</c>), naming the file.
/// </summary>
public static class InputFile
{
    public static readonly JsonDocumentOptions Options = new()
    {
        AllowDuplicateProperties = false, MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>The text of <paramref name="path"/>, refused before reading when larger than <paramref name="maxBytes"/>.</summary>
    public static string ReadText(string path, long maxBytes, Func<string, Exception> error)
    {
        RequireAtMost(path, maxBytes, error);
        try { return File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw error($"{path}: cannot read ({e.Message})"); }
    }

    /// <summary>Refuses <paramref name="path"/> when it is larger than <paramref name="maxBytes"/>, before anything reads it.</summary>
    public static void RequireAtMost(string path, long maxBytes, Func<string, Exception> error)
    {
        long length;
        try { length = new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw error($"{path}: cannot read ({e.Message})"); }
        if (length > maxBytes) throw error($"{path}: {length:N0} bytes, more than the {maxBytes:N0} such a file may have");
    }

    /// <summary>Parses <paramref name="json"/> into a document; invalid JSON, duplicate keys and deep nesting are <paramref name="error"/>s.</summary>
    public static JsonDocument Document(string json, string source, Func<string, Exception> error)
    {
        try { return JsonDocument.Parse(json, Options); }
        catch (JsonException e) { throw error($"{source}: not valid JSON ({FirstLine(e.Message)})"); }
        catch (ArgumentException e) { throw error($"{source}: not valid text ({FirstLine(e.Message)})"); }   // e.g. a lone surrogate
    }

    /// <summary>Parses <paramref name="json"/> into a node tree, with the checks of <see cref="Document"/>.</summary>
    public static JsonNode? Node(ReadOnlySpan<byte> utf8Json, string source, Func<string, Exception> error)
    {
        try { return JsonNode.Parse(utf8Json, documentOptions: Options); }
        catch (JsonException e) { throw error($"{source}: not valid JSON ({FirstLine(e.Message)})"); }
    }

    public static JsonNode? Node(string json, string source, Func<string, Exception> error) => Node(Encoding.UTF8.GetBytes(json), source, error);

    private static string FirstLine(string message) => message.Split('\n')[0];
}
