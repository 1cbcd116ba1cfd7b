using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ElasticVit.IO;

namespace ElasticVit.Training;

/// <summary>
/// The on-disk container of checkpoints: magic, a JSON header, a binary payload and the SHA-256 of everything before
/// it, so no byte — header included — can change unnoticed. Writes are atomic (<see cref="AtomicFile"/>): the previous
/// good file is never replaced by an incomplete one. Files of the first format (a checksum of the payload only) are
/// still read.
/// </summary>
public static class CheckpointFile
{
    private static readonly byte[] Magic = "EVITCKP2"u8.ToArray();
    private static readonly byte[] PayloadOnlyMagic = "EVITCKP1"u8.ToArray();
    private const int HashBytes = 32;

    public static void Write(string path, JsonObject header, byte[] payload)
    {
        header["payload_bytes"] = payload.Length;
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var body = new byte[Magic.Length + 4 + headerBytes.Length + payload.Length];
        Magic.CopyTo(body, 0);
        BitConverter.GetBytes(headerBytes.Length).CopyTo(body, Magic.Length);
        headerBytes.CopyTo(body, Magic.Length + 4);
        payload.CopyTo(body, Magic.Length + 4 + headerBytes.Length);
        var hash = SHA256.HashData(body);
        AtomicFile.Write(path, s =>
        {
            s.Write(body);
            s.Write(hash);
        });
    }

    public static (JsonObject Header, byte[] Payload) Read(string path) => Parse(ReadBytes(path), path);

    /// <summary>A checkpoint file's bytes, unchecked (<see cref="Parse"/> checks them).</summary>
    public static byte[] ReadBytes(string path) =>
        File.Exists(path) ? InputFile.ReadBytes(path, MaxBytes, m => new CheckpointException(m)) : throw new CheckpointException($"{path}: checkpoint not found");

    /// <summary>The largest checkpoint read: one .NET array.</summary>
    public const long MaxBytes = 2L << 30;

    /// <summary>Checks and splits the bytes of a checkpoint read from <paramref name="path"/>.</summary>
    public static (JsonObject Header, byte[] Payload) Parse(byte[] bytes, string path)
    {
        var start = Magic.Length + 4;
        var current = bytes.AsSpan().StartsWith(Magic);
        if (bytes.Length < start || !(current || bytes.AsSpan().StartsWith(PayloadOnlyMagic)))
            throw new CheckpointException($"{path}: not an ElasticViT checkpoint (bad magic)");
        var end = bytes.Length;
        if (current)
        {
            if (bytes.Length < start + HashBytes) throw new CheckpointException($"{path}: truncated checkpoint");
            end -= HashBytes;
            if (!SHA256.HashData(bytes.AsSpan(0, end)).AsSpan().SequenceEqual(bytes.AsSpan(end)))
                throw new CheckpointException($"{path}: corrupted or truncated checkpoint (checksum mismatch)");
        }
        var headerLength = BitConverter.ToInt32(bytes, Magic.Length);
        if (headerLength <= 0 || headerLength > end - start) throw new CheckpointException($"{path}: truncated checkpoint header");
        var header = InputFile.Node(bytes.AsSpan(start, headerLength), $"{path} (header)", m => new CheckpointException(m)) as JsonObject
            ?? throw new CheckpointException($"{path}: checkpoint header is not a JSON object");
        var payload = bytes.AsSpan(start + headerLength, end - start - headerLength).ToArray();
        if (Field<long>(header, "payload_bytes", path) != payload.Length)
            throw new CheckpointException($"{path}: truncated checkpoint ({payload.Length} of {header["payload_bytes"]} payload bytes)");
        if (!current && Field<string>(header, "payload_sha256", path) != Convert.ToHexString(SHA256.HashData(payload)))
            throw new CheckpointException($"{path}: corrupted checkpoint (checksum mismatch)");
        return (header, payload);
    }

    /// <summary>A required header field of type <typeparamref name="T"/>; a missing or mistyped one is a <see cref="CheckpointException"/> naming it.</summary>
    public static T Field<T>(JsonObject header, string name, string path) where T : notnull
    {
        if (header[name] is not JsonValue value) throw new CheckpointException($"{path}: checkpoint header lacks '{name}'");
        return value.TryGetValue<T>(out var v) ? v
            : throw new CheckpointException($"{path}: checkpoint header field '{name}' is not {(typeof(T) == typeof(string) ? "a string" : typeof(T) == typeof(bool) ? "true or false" : "a number")}");
    }

    /// <summary>A required header object.</summary>
    public static JsonObject Object(JsonObject header, string name, string path) =>
        header[name] as JsonObject ?? throw new CheckpointException($"{path}: checkpoint header field '{name}' is missing or not an object");
}
