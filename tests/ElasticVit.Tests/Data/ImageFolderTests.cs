using ElasticVit.Data;
using SkiaSharp;
using static ElasticVit.Tests.Data.DataFixtures;

namespace ElasticVit.Tests.Data;

public sealed class ImageFolderTests
{
    private static SKColor Color(int i, int y, int x) => new(Pixel(i, 0, y, x), Pixel(i, 1, y, x), Pixel(i, 2, y, x));

    [Fact]
    public void TrainTestLayout_ReadsRgbPngsExactly_ClassesInOrdinalOrder()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("train", "zebra", "a.png"), 5, 4, (y, x) => Color(0, y, x));
        WriteImage(dir.File("train", "Ant", "b.png"), 5, 4, (y, x) => Color(1, y, x));
        WriteImage(dir.File("train", "Ant", "a.PNG"), 5, 4, (y, x) => Color(2, y, x));
        File.WriteAllText(dir.File("train", "Ant", "notes.txt"), "ignored");
        WriteImage(dir.File("test", "zebra", "c.png"), 5, 4, (y, x) => Color(3, y, x));

        var (train, test) = ImageFolder.Load(dir.Path);

        Assert.Equal(["Ant", "zebra"], train.ClassNames);
        Assert.Equal((3, 3, 4, 5), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal([0, 0, 1], train.Labels);
        Assert.Equal([1], test.Labels);
        // Files in ordinal path order: Ant/a.PNG (image 2), Ant/b.png (image 1), zebra/a.png (image 0).
        foreach (var (index, image) in new[] { (0, 2), (1, 1), (2, 0) })
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 4; y++)
                    for (int x = 0; x < 5; x++)
                        Assert.Equal(Pixel(image, c, y, x), train.Image(index)[c * 20 + y * 5 + x]);
    }

    [Fact]
    public void GrayscalePngs_LoadAsOneChannel()
    {
        using var dir = new TempDir();
        WriteGrayPng(dir.File("train", "a", "1.png"), 3, 2, (y, x) => (byte)(40 * y + 7 * x));
        WriteGrayPng(dir.File("test", "a", "2.png"), 3, 2, (y, x) => 200);

        var (train, test) = ImageFolder.Load(dir.Path);

        Assert.Equal(1, train.Channels);
        Assert.Equal([0, 7, 14, 40, 47, 54], train.Image(0).ToArray());
        Assert.Equal(200, test.Image(0)[5]);
    }

    [Fact]
    public void ChannelsOption_ConvertsRgbToLuma()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("train", "a", "1.png"), 2, 1, (_, x) => x == 0 ? new SKColor(255, 0, 0) : new SKColor(0, 0, 255));
        Directory.CreateDirectory(dir.File("test"));

        var (train, test) = ImageFolder.Load(dir.Path, new ImageFolderOptions { Channels = 1 });

        Assert.Equal([76, 29], train.Image(0).ToArray()); // 0.299 * 255, 0.114 * 255
        Assert.Equal(0, test.Count);
    }

    [Fact]
    public void DefaultSize_IsTheMostCommon_OthersAreResized()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("train", "a", "1.png"), 6, 4, (_, _) => new SKColor(10, 20, 30));
        WriteImage(dir.File("train", "a", "2.png"), 6, 4, (_, _) => new SKColor(10, 20, 30));
        WriteImage(dir.File("train", "b", "3.png"), 12, 8, (_, _) => new SKColor(90, 80, 70));
        WriteImage(dir.File("test", "b", "4.jpg"), 20, 10, (_, _) => new SKColor(90, 80, 70), SKEncodedImageFormat.Jpeg);

        var (train, test) = ImageFolder.Load(dir.Path);
        var (bigger, _) = ImageFolder.Load(dir.Path, new ImageFolderOptions { Size = (16, 16) });

        Assert.Equal((4, 6), (train.Height, train.Width));
        Assert.All(train.Image(2)[..24].ToArray(), v => Assert.Equal(90, v)); // a flat colour stays flat when resized
        Assert.All(test.Image(0)[48..].ToArray(), v => Assert.InRange(v, 67, 73)); // JPEG blue plane, lossy
        Assert.Equal((16, 16), (bigger.Height, bigger.Width));
    }

    [Fact]
    public void SingleRoot_SplitsEachClassBySeed_Deterministically()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 10; i++)
        {
            WriteImage(dir.File("cats", $"{i}.png"), 2, 2, (_, _) => new SKColor((byte)i, 0, 0));
            WriteImage(dir.File("dogs", $"{i}.png"), 2, 2, (_, _) => new SKColor((byte)(100 + i), 0, 0));
        }
        var options = new ImageFolderOptions { TestFraction = 0.3, Seed = 5 };

        var first = ImageFolder.Load(dir.Path, options);
        var again = ImageFolder.Load(dir.Path, options);
        var otherSeed = ImageFolder.Load(dir.Path, options with { Seed = 6 });

        Assert.Equal([7, 7], first.Train.ClassCounts());
        Assert.Equal([3, 3], first.Test.ClassCounts());
        var redOf = (LabeledImages s) => Enumerable.Range(0, s.Count).Select(i => s.Image(i)[0]).ToArray();
        Assert.Empty(redOf(first.Train).Intersect(redOf(first.Test)));
        Assert.Equal(redOf(first.Test), redOf(again.Test));
        Assert.NotEqual(redOf(first.Test), redOf(otherSeed.Test));
    }

    [Fact]
    public void UndecodableImage_ThrowsDataException_NamingFile()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("train", "a", "1.png"), 2, 2, (_, _) => SKColors.Red);
        File.WriteAllText(dir.File("train", "a", "2.png"), "not a png");
        Directory.CreateDirectory(dir.File("test"));

        var e = Assert.Throws<DataException>(() => ImageFolder.Load(dir.Path));

        Assert.StartsWith(dir.File("train", "a", "2.png") + ": undecodable image", e.Message);
    }

    [Fact]
    public void TruncatedPng_ThrowsDataException_NamingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("train", "a", "1.png");
        WriteImage(path, 64, 64, (y, x) => Color(0, y, x));
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^200]);
        Directory.CreateDirectory(dir.File("test"));

        var e = Assert.Throws<DataException>(() => ImageFolder.Load(dir.Path));

        Assert.StartsWith(path + ": undecodable image", e.Message);
    }

    [Fact]
    public void TestClassUnknownToTrain_ThrowsDataException()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("train", "a", "1.png"), 2, 2, (_, _) => SKColors.Red);
        WriteImage(dir.File("test", "b", "1.png"), 2, 2, (_, _) => SKColors.Red);

        var e = Assert.Throws<DataException>(() => ImageFolder.Load(dir.Path));

        Assert.Equal($"{dir.File("test", "b")}: class folder has no counterpart in train/", e.Message);
    }

    [Fact]
    public void EmptyClassFolder_ThrowsDataException()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("a", "1.png"), 2, 2, (_, _) => SKColors.Red);
        Directory.CreateDirectory(dir.File("b"));

        var e = Assert.Throws<DataException>(() => ImageFolder.Load(dir.Path));

        Assert.Equal($"{dir.File("b")}: class folder has no .png/.jpg/.jpeg images", e.Message);
    }
}
