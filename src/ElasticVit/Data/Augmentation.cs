namespace ElasticVit.Data;

/// <summary>
/// Training-time augmentation: zero-pad by <see cref="Pad"/> pixels and crop back to the original
/// size at a random offset, then mirror left-right with probability 1/2 when <see cref="HorizontalFlip"/> is set.
/// </summary>
public sealed record Augmentation(int Pad, bool HorizontalFlip)
{
    public static Augmentation None { get; } = new(0, false);

    /// <summary>Pad 2 and flip for Fashion-MNIST's 28x28 images.</summary>
    public static Augmentation FashionMnist { get; } = new(2, true);

    /// <summary>Pad 4 and flip, the usual CIFAR recipe for 32x32 images.</summary>
    public static Augmentation Cifar { get; } = new(4, true);

    /// <summary>For other image sizes: pad an eighth of the side (4 at 32 pixels) and flip.</summary>
    public static Augmentation ForSize(int height, int width) => new(Math.Max(1, Math.Min(height, width) / 8), true);

    public bool IsNone => Pad == 0 && !HorizontalFlip;
}

/// <summary>Writes one byte image as normalised floats, optionally shifted (pad + crop) and mirrored.</summary>
internal sealed class PixelWriter
{
    private readonly float[] _lut; // [C, 256]: normalised value of each byte per channel
    private readonly int _channels, _height, _width;

    public PixelWriter(Normalization norm, int channels, int height, int width)
    {
        if (norm.Channels != channels) throw new ArgumentException($"normalisation has {norm.Channels} channels, images have {channels}");
        (_channels, _height, _width) = (channels, height, width);
        _lut = new float[channels * 256];
        for (int c = 0; c < channels; c++)
            for (int v = 0; v < 256; v++)
                _lut[c * 256 + v] = (v / 255f - norm.Mean[c]) / norm.Std[c];
    }

    /// <summary>Output pixel (y, x) is padded-source pixel (y + shiftY, x' + shiftX), x' = mirrored x if flip; outside is 0.</summary>
    public void Write(ReadOnlySpan<byte> src, Span<float> dst, int shiftY, int shiftX, bool flip)
    {
        int h = _height, w = _width;
        for (int c = 0; c < _channels; c++)
        {
            var lut = _lut.AsSpan(c * 256, 256);
            var plane = src.Slice(c * h * w, h * w);
            var outPlane = dst.Slice(c * h * w, h * w);
            float zero = lut[0];
            for (int y = 0; y < h; y++)
            {
                int sy = y + shiftY;
                var outRow = outPlane.Slice(y * w, w);
                if ((uint)sy >= (uint)h)
                {
                    outRow.Fill(zero);
                    continue;
                }
                var row = plane.Slice(sy * w, w);
                for (int x = 0; x < w; x++)
                {
                    int sx = (flip ? w - 1 - x : x) + shiftX;
                    outRow[x] = (uint)sx < (uint)w ? lut[row[sx]] : zero;
                }
            }
        }
    }
}
