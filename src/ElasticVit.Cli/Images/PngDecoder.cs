using ElasticVit.Data;
using System.Buffers.Binary;
using System.IO.Compression;

namespace ElasticVit.Cli.Images;

/// <summary>
/// A small PNG reader for the <c>predict</c> command: 8-bit, non-interlaced gray, gray+alpha, RGB, RGBA and palette
/// images (palette entries become RGB). Anything else fails with a one-line <see cref="DataException"/>.
/// </summary>
public static class PngDecoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The largest PNG file read (a 8192² RGBA image compresses to far less).</summary>
    public const long MaxFileBytes = 256L << 20;

    public static DecodedImage Read(string path) => Decode(IO.InputFile.ReadBytes(path, MaxFileBytes, m => new DataException(m)), path);

    public static DecodedImage Decode(byte[] png, string source)
    {
        if (!png.AsSpan().StartsWith(Signature)) throw Fail(source, "not a PNG file");
        int width = 0, height = 0, colorType = -1;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        var pos = Signature.Length;
        while (true)
        {
            if (pos + 12 > png.Length) throw Fail(source, "truncated (no IEND chunk)");
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (length < 0 || pos + 12L + length > png.Length) throw Fail(source, $"truncated in chunk {type}");
            var data = png.AsSpan(pos + 8, length);
            pos += 12 + length;
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw Fail(source, "bad IHDR chunk");
                    (width, height) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]));
                    colorType = data[9];
                    if (data[8] != 8) throw Fail(source, $"{data[8]}-bit PNG is not supported (8-bit only)");
                    if (data[12] != 0) throw Fail(source, "interlaced PNG is not supported");
                    if (colorType is not (0 or 2 or 3 or 4 or 6)) throw Fail(source, $"unknown PNG color type {colorType}");
                    if (width <= 0 || height <= 0 || (long)width * height > 1 << 26) throw Fail(source, $"unsupported size {width}×{height}");
                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    if (colorType < 0) throw Fail(source, "no IHDR chunk");
                    if (colorType == 3 && palette is null) throw Fail(source, "palette image without PLTE chunk");
                    var samples = colorType switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, _ => 1 };
                    var pixels = Unfilter(Inflate(idat, (long)height * (width * samples + 1), source), width, height, samples, source);
                    return colorType == 3 ? Expand(pixels, palette!, width, height, source) : new DecodedImage(width, height, samples, pixels);
            }
        }
    }

    /// <summary>The image data, decompressed up to the <paramref name="expected"/> bytes the header implies: a stream that
    /// inflates to more (a decompression bomb) is refused without holding more than that in memory.</summary>
    private static byte[] Inflate(MemoryStream compressed, long expected, string source)
    {
        compressed.Position = 0;
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            var raw = new byte[expected];
            var filled = 0;
            for (int n; filled < raw.Length && (n = z.Read(raw, filled, raw.Length - filled)) > 0;) filled += n;
            if (filled == raw.Length && z.ReadByte() >= 0) throw Fail(source, $"image data inflates to more than the {expected:N0} bytes its size implies");
            return filled == raw.Length ? raw : raw[..filled];
        }
        catch (InvalidDataException e)
        {
            throw Fail(source, $"corrupt image data ({e.Message})");
        }
    }

    /// <summary>Undoes the per-row filters (None, Sub, Up, Average, Paeth) of the PNG specification.</summary>
    private static byte[] Unfilter(byte[] raw, int width, int height, int bpp, string source)
    {
        var stride = width * bpp;
        if (raw.Length < (long)height * (stride + 1)) throw Fail(source, "image data is shorter than the image");
        var pixels = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var src = raw.AsSpan(y * (stride + 1) + 1, stride);
            var row = pixels.AsSpan(y * stride, stride);
            Span<byte> up = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (var x = 0; x < stride; x++)
            {
                int a = x >= bpp ? row[x - bpp] : 0, b = up[x], c = x >= bpp ? up[x - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw Fail(source, $"bad filter type {filter} in row {y}"),
                };
                row[x] = (byte)(src[x] + predictor);
            }
        }
        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static DecodedImage Expand(byte[] indices, byte[] palette, int width, int height, string source)
    {
        var rgb = new byte[indices.Length * 3];
        for (var i = 0; i < indices.Length; i++)
        {
            var entry = indices[i] * 3;
            if (entry + 3 > palette.Length) throw Fail(source, $"palette index {indices[i]} outside the palette");
            palette.AsSpan(entry, 3).CopyTo(rgb.AsSpan(i * 3));
        }
        return new DecodedImage(width, height, 3, rgb);
    }

    private static DataException Fail(string source, string problem) => new($"{source}: {problem}");
}
