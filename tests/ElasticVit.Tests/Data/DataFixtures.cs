using System.Buffers.Binary;
using System.IO.Compression;
using ElasticVit.Data;
using SkiaSharp;

namespace ElasticVit.Tests.Data;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "evit-data-" + Guid.NewGuid().ToString("N"));

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Writers for the real on-disk formats, and small synthetic image sets.</summary>
internal static class DataFixtures
{
    /// <summary>Image i has pixel (c, y, x) = (i * 37 + c * 11 + y * 5 + x * 3) mod 256: every position distinct enough to catch layout bugs.</summary>
    public static byte Pixel(int i, int c, int y, int x) => (byte)((i * 37 + c * 11 + y * 5 + x * 3) % 256);

    public static LabeledImages Synthetic(int count, int classes, int channels, int height, int width)
    {
        var pixels = new byte[count * channels * height * width];
        int k = 0;
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        pixels[k++] = Pixel(i, c, y, x);
        var labels = Enumerable.Range(0, count).Select(i => i % classes).ToArray();
        var names = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        return new LabeledImages(pixels, labels, names, channels, height, width);
    }

    public static byte[] IdxImages(int count, int rows, int cols, int magic = Idx.ImagesMagic)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 0, k = 16; i < count; i++)
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < cols; x++)
                    bytes[k++] = Pixel(i, 0, y, x);
        return bytes;
    }

    public static byte[] IdxLabels(IReadOnlyList<byte> labels, int magic = Idx.LabelsMagic)
    {
        var bytes = new byte[8 + labels.Count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Count);
        for (int i = 0; i < labels.Count; i++) bytes[8 + i] = labels[i];
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }

    /// <summary>Fashion-MNIST-named IDX files (gzipped unless told) with <paramref name="train"/> and <paramref name="test"/> images of rows x cols.</summary>
    public static void WriteFashionMnist(string dir, int train, int test, int rows = 3, int cols = 4, bool gzip = true)
    {
        foreach (var (prefix, n) in new[] { ("train", train), ("t10k", test) })
        {
            string ext = gzip ? ".gz" : "";
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte{ext}"), Maybe(IdxImages(n, rows, cols), gzip));
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{ext}"), Maybe(IdxLabels(labels), gzip));
        }
        static byte[] Maybe(byte[] b, bool gz) => gz ? Gzip(b) : b;
    }

    /// <summary>CIFAR records: label bytes then 3x32x32 pixels, image i filled with <see cref="Pixel"/>.</summary>
    public static byte[] CifarRecords(int count, Func<int, byte[]> labelsOf, int firstImage = 0)
    {
        using var output = new MemoryStream();
        for (int i = 0; i < count; i++)
        {
            output.Write(labelsOf(i));
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        output.WriteByte(Pixel(firstImage + i, c, y, x));
        }
        return output.ToArray();
    }

    /// <summary>An RGB PNG (or JPEG) whose pixel (y, x) is <paramref name="color"/>(y, x).</summary>
    public static void WriteImage(string path, int width, int height, Func<int, int, SKColor> color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(y, x));
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>A grayscale (Gray8) PNG whose pixel (y, x) is <paramref name="value"/>(y, x).</summary>
    public static void WriteGrayPng(string path, int width, int height, Func<int, int, byte> value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var span = bitmap.GetPixelSpan();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                span[y * bitmap.RowBytes + x] = value(y, x);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
