using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ElasticVit.Training;

/// <summary>
/// The on-disk container of checkpoints: magic, a JSON header (with the SHA-256 of the payload) and a binary payload.
/// Writes are atomic: temp file in the same folder, flushed to disk, then renamed over the target, so the previous good
/// file is never replaced by an incomplete one.
/// </summary>
public static class CheckpointFile
{
    private static readonly byte[] Magic = "EVITCKP1"u8.ToArray();

    public static void Write(string path, JsonObject header, byte[] payload)
    {
        header["payload_sha256"] = Convert.ToHexString(SHA256.HashData(payload));
        header["payload_bytes"] = payload.Length;
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(Magic);
            fs.Write(BitConverter.GetBytes(headerBytes.Length));
            fs.Write(headerBytes);
            fs.Write(payload);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static (JsonObject Header, byte[] Payload) Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint not found");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException($"{path}: not an ElasticViT checkpoint (bad magic)");
        var headerLength = BitConverter.ToInt32(bytes, Magic.Length);
        var start = Magic.Length + 4;
        if (headerLength <= 0 || start + headerLength > bytes.Length) throw new CheckpointException($"{path}: truncated checkpoint header");
        JsonObject header;
        try { header = JsonNode.Parse(bytes.AsSpan(start, headerLength))!.AsObject(); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new CheckpointException($"{path}: corrupted checkpoint header");
        }
        var payload = bytes.AsSpan(start + headerLength).ToArray();
        if ((long?)header["payload_bytes"] != payload.Length)
            throw new CheckpointException($"{path}: truncated checkpoint ({payload.Length} of {header["payload_bytes"]} payload bytes)");
        if ((string?)header["payload_sha256"] != Convert.ToHexString(SHA256.HashData(payload)))
            throw new CheckpointException($"{path}: corrupted checkpoint (checksum mismatch)");
        return (header, payload);
    }
}
