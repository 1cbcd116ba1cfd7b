using ElasticVit.Data;

namespace ElasticVit.Cli.Images;

/// <summary>The images of an IDX file as used by (Fashion-)MNIST, read by the library's <see cref="Idx"/> reader.</summary>
public static class IdxImageFile
{
    /// <summary>The first <paramref name="limit"/> images (all when null) as gray <see cref="DecodedImage"/>s.</summary>
    public static IReadOnlyList<DecodedImage> Read(string path, int? limit = null)
    {
        var (pixels, count, rows, cols) = Idx.ReadImages(path);
        var plane = rows * cols;
        var n = Math.Min(count, limit ?? count);
        return Enumerable.Range(0, n).Select(i => new DecodedImage(cols, rows, 1, pixels.AsSpan(i * plane, plane).ToArray())).ToArray();
    }
}
