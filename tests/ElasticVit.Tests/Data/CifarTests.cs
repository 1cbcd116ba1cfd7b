using ElasticVit.Data;
using static ElasticVit.Tests.Data.DataFixtures;

namespace ElasticVit.Tests.Data;

public sealed class CifarTests
{
    private static readonly string[] Names10 = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"];

    /// <summary>Five training batches of 3 images (images 0..14) and a test batch of 2; image i has label i % 10.</summary>
    private static void WriteCifar10(string dir, bool meta = true)
    {
        Directory.CreateDirectory(dir);
        for (int b = 0; b < 5; b++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b + 1}.bin"), CifarRecords(3, i => [(byte)((3 * b + i) % 10)], firstImage: 3 * b));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), CifarRecords(2, i => [(byte)(9 - i)], firstImage: 100));
        if (meta) File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), string.Join('\n', Names10) + "\n\n");
    }

    [Fact]
    public void Cifar10_ReadsAllBatches_ChannelsFirst_WithMetaNames()
    {
        using var dir = new TempDir();
        WriteCifar10(dir.Path);

        var (train, test) = Cifar.LoadCifar10(dir.Path);

        Assert.Equal((15, 3, 32, 32), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(Names10, train.ClassNames);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => i % 10), train.Labels);
        Assert.Equal([9, 8], test.Labels);
        var image = train.Image(7);
        Assert.Equal(Pixel(7, 2, 5, 9), image[2 * 1024 + 5 * 32 + 9]); // blue plane, row 5, column 9
        Assert.Equal(Pixel(101, 0, 31, 31), test.Image(1)[1023]);
    }

    [Fact]
    public void Cifar10_WithoutMeta_UsesStandardNames_AndFindsNestedFolder()
    {
        using var dir = new TempDir();
        WriteCifar10(dir.File("cifar-10-batches-bin"), meta: false);

        var (train, _) = Cifar.LoadCifar10(dir.Path);

        Assert.Equal("airplane", train.ClassNames[0]);
        Assert.Equal("truck", train.ClassNames[9]);
    }

    [Fact]
    public void Cifar10_TruncatedBatch_ThrowsDataException_NamingFile()
    {
        using var dir = new TempDir();
        WriteCifar10(dir.Path);
        string batch = dir.File("data_batch_3.bin");
        File.WriteAllBytes(batch, File.ReadAllBytes(batch)[..^100]);

        var e = Assert.Throws<DataException>(() => Cifar.LoadCifar10(dir.Path));

        Assert.Equal($"{batch}: truncated: 9119 bytes is 2 whole 3073-byte records plus 2973 bytes", e.Message);
    }

    [Fact]
    public void Cifar10_MissingBatch_ThrowsDataException_NamingIt()
    {
        using var dir = new TempDir();
        WriteCifar10(dir.Path);
        File.Delete(dir.File("data_batch_5.bin"));

        var e = Assert.Throws<DataException>(() => Cifar.LoadCifar10(dir.Path));

        Assert.StartsWith(dir.File("data_batch_5.bin") + ": not found", e.Message);
    }

    [Fact]
    public void Cifar10_LabelOutOfRange_ThrowsDataException()
    {
        using var dir = new TempDir();
        WriteCifar10(dir.Path);
        File.WriteAllBytes(dir.File("test_batch.bin"), CifarRecords(2, i => [(byte)(i == 1 ? 12 : 0)]));

        var e = Assert.Throws<DataException>(() => Cifar.LoadCifar10(dir.Path));

        Assert.Contains("test_batch.bin: label 12 of record 1", e.Message);
    }

    [Fact]
    public void Cifar10_MetaWithWrongNameCount_ThrowsDataException()
    {
        using var dir = new TempDir();
        WriteCifar10(dir.Path);
        File.WriteAllText(dir.File("batches.meta.txt"), "cat\ndog\n");

        var e = Assert.Throws<DataException>(() => Cifar.LoadCifar10(dir.Path));

        Assert.Equal($"{dir.File("batches.meta.txt")}: 2 class names, expected 10", e.Message);
    }

    [Theory]
    [InlineData(false, 100)]
    [InlineData(true, 20)]
    public void Cifar100_ReadsFineOrCoarseLabels(bool coarse, int classes)
    {
        using var dir = new TempDir();
        string root = dir.File("cifar-100-binary");
        Directory.CreateDirectory(root);
        // Record i: coarse label i % 20, fine label 99 - i.
        File.WriteAllBytes(Path.Combine(root, "train.bin"), CifarRecords(4, i => [(byte)(i % 20), (byte)(99 - i)]));
        File.WriteAllBytes(Path.Combine(root, "test.bin"), CifarRecords(2, i => [(byte)(19 - i), (byte)i], firstImage: 50));
        File.WriteAllLines(Path.Combine(root, "fine_label_names.txt"), Enumerable.Range(0, 100).Select(i => $"fine{i}"));
        File.WriteAllLines(Path.Combine(root, "coarse_label_names.txt"), Enumerable.Range(0, 20).Select(i => $"coarse{i}"));

        var (train, test) = Cifar.LoadCifar100(dir.Path, coarse);

        Assert.Equal(classes, train.ClassCount);
        Assert.Equal(coarse ? [0, 1, 2, 3] : [99, 98, 97, 96], train.Labels);
        Assert.Equal(coarse ? [19, 18] : [0, 1], test.Labels);
        Assert.Equal(Pixel(3, 1, 0, 0), train.Image(3)[1024]); // the second label byte is not taken as a pixel
        Assert.Equal(Pixel(51, 2, 31, 31), test.Image(1)[3071]);
    }

    [Fact]
    public void Cifar100_RecordSizeOf10_ThrowsDataException()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train.bin"), CifarRecords(2, _ => [0])); // CIFAR-10 records
        File.WriteAllBytes(dir.File("test.bin"), CifarRecords(1, _ => [0, 0]));
        File.WriteAllLines(dir.File("fine_label_names.txt"), Enumerable.Range(0, 100).Select(i => $"f{i}"));

        var e = Assert.Throws<DataException>(() => Cifar.LoadCifar100(dir.Path));

        Assert.StartsWith(dir.File("train.bin") + ": truncated", e.Message);
    }
}
