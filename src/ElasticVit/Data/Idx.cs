using System.Buffers.Binary;

namespace ElasticVit.Data;

/// <summary>
/// The IDX format of (Fashion-)MNIST: a big-endian header (magic, then one int32 per dimension)
/// followed by unsigned bytes. Images are magic 2051 with dimensions [N, rows, cols]; labels are
/// magic 2049 with [N]. Files may be gzipped.
/// </summary>
public static class Idx
{
    public const int ImagesMagic = 2051;
    public const int LabelsMagic = 2049;

    /// <summary>The largest image side read (a header claiming more is refused before anything is allocated for it).</summary>
    public const int MaxSide = 4096;

    /// <summary>An IDX image file's pixels [N, rows, cols] (gzipped or not), without labels: for classifying its images.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        var (pixels, dims) = ReadArray(path, ImagesMagic, 3, "images");
        return (pixels, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads an image file and a label file into grayscale <see cref="LabeledImages"/>.</summary>
    public static LabeledImages Read(string imagesPath, string labelsPath, IReadOnlyList<string> classNames)
    {
        var (pixels, dims) = ReadArray(imagesPath, ImagesMagic, 3, "images");
        var (labelBytes, labelDims) = ReadArray(labelsPath, LabelsMagic, 1, "labels");
        if (labelDims[0] != dims[0])
            throw DataException.For(labelsPath, $"count mismatch: {labelDims[0]} labels but {imagesPath} has {dims[0]} images");
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= classNames.Count)
                throw DataException.For(labelsPath, $"label {labels[i]} of item {i} is not below the class count {classNames.Count}");
        }
        return new LabeledImages(pixels, labels, classNames, 1, dims[1], dims[2]);
    }

    /// <summary>The payload and dimensions of an unsigned-byte IDX file, checked against the expected magic and rank.</summary>
    private static (byte[] Data, int[] Dims) ReadArray(string path, int magic, int rank, string what)
    {
        byte[] bytes = DataFiles.ReadAll(path);
        int headerSize = 4 + 4 * rank;
        if (bytes.Length < 4) throw DataException.For(path, $"truncated: {bytes.Length} bytes, too short for an IDX header");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic) throw DataException.For(path, $"bad magic {found} (0x{found:X8}), expected {magic} for IDX {what}");
        if (bytes.Length < headerSize) throw DataException.For(path, $"truncated: {bytes.Length} bytes, the IDX {what} header needs {headerSize}");

        var dims = new int[rank];
        long expected = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] <= 0) throw DataException.For(path, d == 0 ? $"holds no {what} (count {dims[d]})" : $"bad dimension {d}: {dims[d]}");
            if (d > 0 && dims[d] > MaxSide) throw DataException.For(path, $"dimension {d} is {dims[d]}, more than the {MaxSide} this reader accepts");
            expected *= dims[d];
        }
        long actual = bytes.Length - headerSize;
        string shape = string.Join('x', dims);
        if (actual < expected) throw DataException.For(path, $"truncated: header says {shape} ({expected} bytes) but {actual} bytes follow");
        if (actual > expected) throw DataException.For(path, $"{actual - expected} unexpected bytes after the {shape} {what}");
        return (bytes[headerSize..], dims);
    }
}
