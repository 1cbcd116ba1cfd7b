using System.Buffers.Binary;
using System.IO.Compression;

namespace ElasticVit.Data;

/// <summary>Whole-file reads with transparent gzip and errors turned into <see cref="DataException"/>.</summary>
internal static class DataFiles
{
    /// <summary>The path of <paramref name="name"/> in <paramref name="directory"/>, preferring a ".gz" copy.</summary>
    public static string Find(string directory, string name)
    {
        string plain = Path.Combine(directory, name);
        string gz = plain + ".gz";
        if (File.Exists(gz)) return gz;
        if (File.Exists(plain)) return plain;
        throw DataException.For(plain, Directory.Exists(directory) ? "not found (nor a .gz copy)" : "directory not found");
    }

    /// <summary>The largest dataset file read, before or after decompression (Fashion-MNIST's largest: 47 MB; a CIFAR batch: 31 MB).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>The file's bytes, decompressed if it starts with the gzip magic.</summary>
    public static byte[] ReadAll(string path) => ReadAll(path, MaxBytes);

    /// <inheritdoc cref="ReadAll(string)"/>
    public static byte[] ReadAll(string path, long maxBytes)
    {
        try
        {
            byte[] raw = IO.InputFile.ReadBytes(path, maxBytes, m => new DataException(m));
            if (raw.Length < 18 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 4);
            var chunk = new byte[1 << 16];
            int read;
            while ((read = gz.Read(chunk)) > 0)
            {
                // A small file can inflate to anything: stop at the limit instead of when memory runs out.
                if (output.Length + read > maxBytes) throw DataException.For(path, $"decompresses to more than the {maxBytes:N0} bytes a dataset file may have");
                output.Write(chunk, 0, read);
            }
            // GZipStream returns a cut-off stream's prefix without complaint; the trailer's size field
            // (the last member's length mod 2^32) then rarely matches. "Smaller than" keeps multi-member files valid.
            uint trailerSize = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4));
            if (output.Length < trailerSize)
                throw DataException.For(path, $"truncated or corrupt gzip data ({output.Length} bytes decompressed, the trailer records {trailerSize})");
            return output.ToArray();
        }
        catch (FileNotFoundException e) { throw DataException.For(path, "not found", e); }
        catch (DirectoryNotFoundException e) { throw DataException.For(path, "directory not found", e); }
        catch (InvalidDataException e) { throw DataException.For(path, $"corrupt or truncated gzip data ({OneLine(e.Message)})", e); }
        catch (IOException e) { throw DataException.For(path, $"cannot be read ({OneLine(e.Message)})", e); }
        catch (UnauthorizedAccessException e) { throw DataException.For(path, "permission denied", e); }
    }

    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>Non-empty trimmed lines of a text file (class-name lists).</summary>
    public static string[] ReadNames(string path) =>
        System.Text.Encoding.UTF8.GetString(ReadAll(path))
            .Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
}
