namespace ElasticVit.Data;

/// <summary>
/// CIFAR-10 and CIFAR-100 in their "binary version": fixed-size records of label byte(s)
/// followed by 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32x32), i.e. already [C, H, W].
/// </summary>
public static class Cifar
{
    public const int Size = 32;
    private const int PixelBytes = 3 * Size * Size;

    public static IReadOnlyList<string> Cifar10ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// Loads data_batch_1..5.bin and test_batch.bin from <paramref name="directory"/> (or its
    /// cifar-10-batches-bin subfolder). Class names come from batches.meta.txt when present.
    /// </summary>
    public static TrainTest LoadCifar10(string directory)
    {
        string dir = Resolve(directory, "cifar-10-batches-bin", "test_batch.bin");
        string meta = Path.Combine(dir, "batches.meta.txt");
        var names = File.Exists(meta) ? CheckedNames(meta, 10) : Cifar10ClassNames;
        var train = Enumerable.Range(1, 5).Select(i => ReadBatch(DataFiles.Find(dir, $"data_batch_{i}.bin"), names, labelBytes: 1, labelAt: 0, 10)).ToList();
        return new(LabeledImages.Concat(train), ReadBatch(DataFiles.Find(dir, "test_batch.bin"), names, 1, 0, 10));
    }

    /// <summary>
    /// Loads train.bin and test.bin from <paramref name="directory"/> (or its cifar-100-binary
    /// subfolder) with the 100 fine labels (fine_label_names.txt) or the 20 coarse ones (coarse_label_names.txt).
    /// </summary>
    public static TrainTest LoadCifar100(string directory, bool coarseLabels = false)
    {
        string dir = Resolve(directory, "cifar-100-binary", "test.bin");
        int classes = coarseLabels ? 20 : 100;
        var names = CheckedNames(DataFiles.Find(dir, coarseLabels ? "coarse_label_names.txt" : "fine_label_names.txt"), classes);
        int labelAt = coarseLabels ? 0 : 1;
        return new(
            ReadBatch(DataFiles.Find(dir, "train.bin"), names, labelBytes: 2, labelAt, classes),
            ReadBatch(DataFiles.Find(dir, "test.bin"), names, 2, labelAt, classes));
    }

    private static string Resolve(string directory, string subfolder, string marker)
    {
        string nested = Path.Combine(directory, subfolder);
        return !File.Exists(Path.Combine(directory, marker)) && Directory.Exists(nested) ? nested : directory;
    }

    private static string[] CheckedNames(string path, int count)
    {
        var names = DataFiles.ReadNames(path);
        if (names.Length != count) throw DataException.For(path, $"{names.Length} class names, expected {count}");
        return names;
    }

    /// <summary>One batch file; <paramref name="labelAt"/> picks which of the record's label bytes is the label.</summary>
    private static LabeledImages ReadBatch(string path, IReadOnlyList<string> names, int labelBytes, int labelAt, int classes)
    {
        byte[] bytes = DataFiles.ReadAll(path);
        int record = labelBytes + PixelBytes;
        if (bytes.Length == 0) throw DataException.For(path, "empty file");
        if (bytes.Length % record != 0)
            throw DataException.For(path, $"truncated: {bytes.Length} bytes is {bytes.Length / record} whole {record}-byte records plus {bytes.Length % record} bytes");
        int n = bytes.Length / record;
        var pixels = new byte[(long)n * PixelBytes];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            var rec = bytes.AsSpan(i * record, record);
            labels[i] = rec[labelAt];
            if (labels[i] >= classes) throw DataException.For(path, $"label {labels[i]} of record {i} is not below the class count {classes}");
            rec[labelBytes..].CopyTo(pixels.AsSpan(i * PixelBytes, PixelBytes));
        }
        return new LabeledImages(pixels, labels, names, 3, Size, Size);
    }
}
