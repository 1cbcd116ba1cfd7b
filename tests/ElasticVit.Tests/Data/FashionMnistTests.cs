using ElasticVit.Data;
using static ElasticVit.Tests.Data.DataFixtures;

namespace ElasticVit.Tests.Data;

public sealed class FashionMnistTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_ReadsIdxPixelsRowMajor_AndLabels(bool gzip)
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, train: 12, test: 5, rows: 3, cols: 4, gzip);

        var (train, test) = FashionMnist.Load(dir.Path);

        Assert.Equal((12, 1, 3, 4), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(5, test.Count);
        Assert.Equal("Ankle boot", train.ClassNames[9]);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i % 10), train.Labels);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(Pixel(7, 0, y, x), train.Image(7)[y * 4 + x]);
    }

    [Fact]
    public void BadMagic_ThrowsDataException_NamingFileAndMagic()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, 4, 2);
        string images = dir.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, Gzip(IdxImages(4, 3, 4, magic: Idx.LabelsMagic)));

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTrain(dir.Path));

        Assert.StartsWith(images + ": bad magic 2049", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TruncatedPixels_ThrowsDataException_SayingTruncated()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, 4, 2);
        string images = dir.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, Gzip(IdxImages(4, 3, 4)[..^5]));

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTrain(dir.Path));

        Assert.Equal($"{images}: truncated: header says 4x3x4 (48 bytes) but 43 bytes follow", e.Message);
    }

    [Fact]
    public void TruncatedGzipStream_ThrowsDataException_NamingFile()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, 40, 2, rows: 28, cols: 28);
        string images = dir.File("train-images-idx3-ubyte.gz");
        byte[] gz = File.ReadAllBytes(images);
        File.WriteAllBytes(images, gz[..(gz.Length / 2)]);

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTrain(dir.Path));

        Assert.StartsWith(images + ": truncated or corrupt gzip data", e.Message);
    }

    [Fact]
    public void HeaderOnlyHalfPresent_ThrowsDataException()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, 4, 2, gzip: false);
        string labels = dir.File("train-labels-idx1-ubyte");
        File.WriteAllBytes(labels, IdxLabels([1, 2])[..6]);

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTrain(dir.Path));

        Assert.StartsWith(labels + ": truncated", e.Message);
    }

    [Fact]
    public void LabelCountMismatch_ThrowsDataException_NamingBothFiles()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, 4, 2);
        string labels = dir.File("train-labels-idx1-ubyte.gz");
        File.WriteAllBytes(labels, Gzip(IdxLabels([1, 2, 3])));

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTrain(dir.Path));

        Assert.StartsWith(labels + ": count mismatch: 3 labels but ", e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz has 4 images", e.Message);
    }

    [Fact]
    public void LabelOutOfRange_ThrowsDataException()
    {
        using var dir = new TempDir();
        WriteFashionMnist(dir.Path, 3, 2);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte.gz"), Gzip(IdxLabels([1, 10, 3])));

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTrain(dir.Path));

        Assert.Contains("label 10 of item 1", e.Message);
    }

    [Fact]
    public void MissingFile_ThrowsDataException_NamingIt()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<DataException>(() => FashionMnist.LoadTest(dir.Path));

        Assert.StartsWith(dir.File("t10k-images-idx3-ubyte") + ": not found", e.Message);
    }

    [FashionMnistFact]
    public void RealDataset_HasOfficialSizesAndBalancedClasses()
    {
        var (train, test) = FashionMnist.Load();

        Assert.Equal((60000, 10000), (train.Count, test.Count));
        Assert.Equal((1, 28, 28), (train.Channels, train.Height, train.Width));
        Assert.All(train.ClassCounts(), n => Assert.Equal(6000, n));
        Assert.All(test.ClassCounts(), n => Assert.Equal(1000, n));
        Assert.Equal(9, train.Labels[0]); // the first training item is an ankle boot
        Assert.Equal(0, train.Image(0)[0]); // backgrounds are black
    }
}

/// <summary>A fact that is skipped, saying why, when Debian's Fashion-MNIST is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DefaultDirectory, "train-images-idx3-ubyte.gz")))
            Skip = $"Fashion-MNIST not found in {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist, or run scripts/setup.sh)";
    }
}
