using SkiaSharp;

namespace ElasticVit.Data;

/// <summary>
/// One PNG or JPEG file as the networks see it, decoded by SkiaSharp: resized bilinearly to the network's size, alpha
/// dropped, gray by ITU-R BT.601 luma when the network takes one channel. Training (<see cref="ImageFolder"/>) and
/// <c>predict</c> both read images here, so a deployed model sees its inputs exactly as it saw its training images.
/// </summary>
public static class ImageFile
{
    /// <summary>The extensions read, lower case.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The largest image file read (an 8192 × 8192 RGBA PNG compresses to far less).</summary>
    public const long MaxFileBytes = 256L << 20;

    public static bool HasImageExtension(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Height, width and whether the file stores gray pixels, from its header alone.</summary>
    public static (int Height, int Width, bool Gray) Probe(string path)
    {
        using var codec = OpenCodec(path);
        return (codec.Info.Height, codec.Info.Width, codec.Info.ColorType == SKColorType.Gray8);
    }

    /// <summary>The image as planar bytes [channels, height, width].</summary>
    public static byte[] Decode(string path, int channels, int height, int width)
    {
        var pixels = new byte[channels * height * width];
        DecodeInto(path, pixels, channels, height, width);
        return pixels;
    }

    /// <summary>Decodes one file to RGBA, resizes it and writes [C, H, W] bytes into <paramref name="dest"/>.</summary>
    public static void DecodeInto(string path, Span<byte> dest, int channels, int height, int width)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 or 3 channels");
        using var codec = OpenCodec(path);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success) throw DataException.For(path, $"undecodable image ({result})");

        using var resized = info.Width == width && info.Height == height ? null
            : decoded.Resize(info.WithSize(width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
              ?? throw DataException.For(path, $"cannot be resized to {width}x{height}");
        var bitmap = resized ?? decoded;
        if (bitmap.RowBytes != width * 4) throw new InvalidOperationException("unexpected row padding in a decoded bitmap");
        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();

        int plane = height * width;
        for (int p = 0; p < plane; p++)
        {
            byte r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
            if (channels == 1)
            {
                dest[p] = (byte)((r * 299 + g * 587 + b * 114 + 500) / 1000); // ITU-R 601 luma, as PIL's convert("L")
            }
            else
            {
                dest[p] = r;
                dest[plane + p] = g;
                dest[2 * plane + p] = b;
            }
        }
    }

    private static SKCodec OpenCodec(string path)
    {
        IO.InputFile.RequireAtMost(path, MaxFileBytes, m => new DataException(m));
        SKCodec? codec;
        try { codec = SKCodec.Create(path); }
        catch (IOException e) { throw DataException.For(path, $"cannot be read ({DataFiles.OneLine(e.Message)})", e); }
        return codec ?? throw DataException.For(path, "undecodable image (not a PNG or JPEG SkiaSharp can read)");
    }
}
