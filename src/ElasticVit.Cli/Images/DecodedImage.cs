namespace ElasticVit.Cli.Images;

/// <summary>An 8-bit image, pixels interleaved row-major [Height, Width, Channels]; channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.</summary>
public sealed record DecodedImage(int Width, int Height, int Channels, byte[] Pixels)
{
    /// <summary>
    /// Planar floats [C, H, W] in [0, 1] for a model with <paramref name="channels"/> (1 or 3) input channels:
    /// alpha is dropped, gray is repeated into RGB, RGB becomes gray by ITU-R BT.601 luma.
    /// </summary>
    public float[] ToPlanar(int channels)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "models take 1 or 3 channels");
        var plane = Width * Height;
        var result = new float[channels * plane];
        var color = Channels >= 3;
        for (var i = 0; i < plane; i++)
        {
            var p = i * Channels;
            float r = Pixels[p] / 255f, g = color ? Pixels[p + 1] / 255f : r, b = color ? Pixels[p + 2] / 255f : r;
            if (channels == 1) result[i] = color ? 0.299f * r + 0.587f * g + 0.114f * b : r;
            else (result[i], result[plane + i], result[2 * plane + i]) = (r, g, b);
        }
        return result;
    }
}
