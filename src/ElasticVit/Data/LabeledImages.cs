namespace ElasticVit.Data;

/// <summary>
/// An in-memory image classification set: <see cref="Count"/> images stored as bytes in
/// [N, C, H, W] order, one label per image, and the class names the labels index.
/// </summary>
public sealed class LabeledImages
{
    public LabeledImages(byte[] pixels, int[] labels, IReadOnlyList<string> classNames, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (classNames.Count == 0) throw new ArgumentException("at least one class is needed", nameof(classNames));
        if (pixels.LongLength != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels.LongLength} pixels do not make {labels.Length} images of {channels}x{height}x{width}", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside [0, {classNames.Count})", nameof(labels));
        }
        Pixels = pixels;
        Labels = labels;
        ClassNames = classNames;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>[N, C, H, W], values 0..255.</summary>
    public byte[] Pixels { get; }
    public int[] Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    public int Count => Labels.Length;
    public int ClassCount => ClassNames.Count;
    /// <summary>Bytes per image: C * H * W.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The pixels of image <paramref name="index"/>, [C, H, W].</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    /// <summary>Number of images of each class, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>A copy holding the images at <paramref name="indices"/>, in that order.</summary>
    public LabeledImages Subset(ReadOnlySpan<int> indices)
    {
        int size = ImageSize;
        var pixels = new byte[(long)indices.Length * size];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = Labels[indices[i]];
        }
        return new LabeledImages(pixels, labels, ClassNames, Channels, Height, Width);
    }

    /// <summary>Joins sets of the same shape and classes, in order.</summary>
    public static LabeledImages Concat(IReadOnlyList<LabeledImages> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("nothing to concatenate", nameof(parts));
        var first = parts[0];
        foreach (var p in parts)
        {
            if (p.Channels != first.Channels || p.Height != first.Height || p.Width != first.Width || !p.ClassNames.SequenceEqual(first.ClassNames))
                throw new ArgumentException("parts differ in image shape or classes", nameof(parts));
        }
        var pixels = new byte[parts.Sum(p => p.Pixels.LongLength)];
        var labels = new int[parts.Sum(p => p.Count)];
        long at = 0;
        int n = 0;
        foreach (var p in parts)
        {
            p.Pixels.CopyTo(pixels, at);
            p.Labels.CopyTo(labels, n);
            at += p.Pixels.LongLength;
            n += p.Count;
        }
        return new LabeledImages(pixels, labels, first.ClassNames, first.Channels, first.Height, first.Width);
    }
}

/// <summary>A dataset's official training and test sets.</summary>
public sealed record TrainTest(LabeledImages Train, LabeledImages Test);
