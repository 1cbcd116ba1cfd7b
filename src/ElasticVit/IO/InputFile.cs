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
    public static string ReadText(string path, long maxBytes, Func<string, Exception> error) =>
        new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(StripBom(ReadBytes(path, maxBytes, error)));

    /// <summary>
    /// The bytes of <paramref name="path"/>: a regular file of at most <paramref name="maxBytes"/> (checked before reading,
    /// and again while reading, for a file that grows meanwhile).
    /// </summary>
    public static byte[] ReadBytes(string path, long maxBytes, Func<string, Exception> error)
    {
        RequireAtMost(path, maxBytes, error);
        maxBytes = Math.Min(maxBytes, Array.MaxLength - 1);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            using var buffer = new MemoryStream((int)Math.Min(stream.Length, maxBytes));
            var chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                if (buffer.Length + read > maxBytes) throw error($"{path}: more than the {maxBytes:N0} bytes such a file may have");
                buffer.Write(chunk, 0, read);
            }
            return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw error($"{path}: cannot read ({e.Message})"); }
    }

    private static ReadOnlySpan<byte> StripBom(byte[] bytes) => bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsSpan(3) : bytes;

    /// <summary>
    /// Refuses <paramref name="path"/> when it is not a regular file (a device such as /dev/zero never ends, a named pipe
    /// blocks until someone writes to it) or larger than <paramref name="maxBytes"/>, before anything opens it.
    /// </summary>
    public static void RequireAtMost(string path, long maxBytes, Func<string, Exception> error)
    {
        if (Directory.Exists(path)) throw error($"{path}: is a directory, not a file");
        if (!File.Exists(path)) throw error($"{path}: not found");
        if (FileKind.Of(path) is { } kind && kind != "regular file") throw error($"{path}: is a {kind}, not a regular file");
        long length;
        try { length = new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw error($"{path}: cannot read ({e.Message})"); }
        if (length > maxBytes) throw error($"{path}: {length:N0} bytes, more than the {maxBytes:N0} such a file may have");
    }

    /// <summary>
    /// Parses <paramref name="json"/> into a document whose root is an object; invalid JSON, duplicate keys, deep nesting
    /// and any other root are <paramref name="error"/>s.
    /// </summary>
    public static JsonDocument ObjectDocument(string json, string source, Func<string, Exception> error)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, Options); }
        catch (JsonException e) { throw error($"{source}: not valid JSON ({FirstLine(e.Message)})"); }
        catch (ArgumentException e) { throw error($"{source}: not valid text ({FirstLine(e.Message)})"); }   // e.g. a lone surrogate
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        doc.Dispose();
        throw error($"{source}: expected a JSON object");
    }

    /// <summary>Parses <paramref name="json"/> into a node tree, with the checks of <see cref="ObjectDocument"/> but any root.</summary>
    public static JsonNode? Node(ReadOnlySpan<byte> utf8Json, string source, Func<string, Exception> error)
    {
        try { return JsonNode.Parse(utf8Json, documentOptions: Options); }
        catch (JsonException e) { throw error($"{source}: not valid JSON ({FirstLine(e.Message)})"); }
    }

    public static JsonNode? Node(string json, string source, Func<string, Exception> error) => Node(Encoding.UTF8.GetBytes(json), source, error);

    private static string FirstLine(string message) => message.Split('\n')[0];
}
