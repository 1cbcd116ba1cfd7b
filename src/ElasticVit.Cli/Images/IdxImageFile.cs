using System.Buffers.Binary;
using System.IO.Compression;

namespace ElasticVit.Cli.Images;

/// <summary>
/// Reads an IDX image file as used by (Fashion-)MNIST — big-endian magic 2051, then N, rows, cols, then N·rows·cols
/// unsigned bytes — gzipped or not.
/// </summary>
public static class IdxImageFile
{
    public const int Magic = 2051;

    /// <summary>The first <paramref name="limit"/> images (all when null) as gray <see cref="DecodedImage"/>s.</summary>
    public static IReadOnlyList<DecodedImage> Read(string path, int? limit = null)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var raw = new MemoryStream();
                gz.CopyTo(raw);
                bytes = raw.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})");
            }
        }
        if (bytes.Length < 16) throw new InvalidDataException($"{path}: truncated: {bytes.Length} bytes, too short for an IDX images header");
        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != Magic) throw new InvalidDataException($"{path}: bad magic {magic}, expected {Magic} (IDX images)");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)), rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)),
            cols = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        if (count < 0 || rows <= 0 || cols <= 0) throw new InvalidDataException($"{path}: bad dimensions {count}×{rows}×{cols}");
        var plane = rows * cols;
        if (bytes.Length - 16L < (long)count * plane)
            throw new InvalidDataException($"{path}: truncated: header says {count}×{rows}×{cols} but {bytes.Length - 16} bytes follow");
        var n = Math.Min(count, limit ?? count);
        return Enumerable.Range(0, n).Select(i => new DecodedImage(cols, rows, 1, bytes.AsSpan(16 + i * plane, plane).ToArray())).ToArray();
    }
}
