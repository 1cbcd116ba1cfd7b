using System.Runtime.ExceptionServices;

namespace ElasticVit.Data;

/// <summary>How <see cref="ImageFolder.Load"/> shapes the images it reads.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Target height and width; null takes the most common size among the training images.</summary>
    public (int Height, int Width)? Size { get; init; }

    /// <summary>1 (grayscale) or 3 (RGB); null is 1 when every image is stored as grayscale, else 3.</summary>
    public int? Channels { get; init; }

    /// <summary>Share of each class set aside as the test set when the root has no train/ and test/ folders.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Seed of that test split.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Class-per-folder image datasets: root/train/&lt;class&gt;/* and root/test/&lt;class&gt;/*, or
/// root/&lt;class&gt;/* split into train and test per class by a seeded shuffle. Classes are the
/// training folder names in ordinal order; PNG and JPEG files are read (recursively, in ordinal
/// path order), resized bilinearly to one size, and alpha is dropped.
/// </summary>
public static class ImageFolder
{
    public static TrainTest Load(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Channels is not (null or 1 or 3)) throw new ArgumentException("Channels must be 1 or 3", nameof(options));
        if (options.Size is { } s && (s.Height <= 0 || s.Width <= 0)) throw new ArgumentException("Size must be positive", nameof(options));
        if (options.TestFraction is < 0 or >= 1) throw new ArgumentException("TestFraction must be in [0, 1)", nameof(options));
        if (!Directory.Exists(root)) throw DataException.For(root, "directory not found");

        string trainDir = Path.Combine(root, "train"), testDir = Path.Combine(root, "test");
        string[] classes;
        List<(string Path, int Label)> train, test;
        if (Directory.Exists(trainDir))
        {
            if (!Directory.Exists(testDir)) throw DataException.For(testDir, "not found, but train/ exists beside it");
            classes = ClassFolders(trainDir);
            train = ListImages(trainDir, classes, requireEach: true);
            foreach (string extra in ClassFolders(testDir, allowNone: true).Except(classes, StringComparer.Ordinal))
                throw DataException.For(Path.Combine(testDir, extra), "class folder has no counterpart in train/");
            test = ListImages(testDir, classes, requireEach: false);
        }
        else
        {
            classes = ClassFolders(root);
            (train, test) = SplitPerClass(ListImages(root, classes, requireEach: true), options);
        }

        try
        {
            var headers = train.Concat(test).Select(f => Probe(f.Path)).ToArray();
            var (height, width) = options.Size ?? MostCommonSize(headers.AsSpan(0, train.Count));
            int channels = options.Channels ?? (headers.All(h => h.Gray) ? 1 : 3);
            return new(Decode(train, classes, channels, height, width), Decode(test, classes, channels, height, width));
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            throw DataException.For(root, $"cannot decode images: SkiaSharp's native library did not load ({DataFiles.OneLine(e.Message)})", e);
        }
    }

    private static string[] ClassFolders(string dir, bool allowNone = false)
    {
        var names = Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        if (names.Length == 0 && !allowNone) throw DataException.For(dir, "no class folders");
        return names;
    }

    private static List<(string, int)> ListImages(string dir, string[] classes, bool requireEach)
    {
        var items = new List<(string, int)>();
        for (int label = 0; label < classes.Length; label++)
        {
            string classDir = Path.Combine(dir, classes[label]);
            if (!Directory.Exists(classDir)) continue;
            var files = Directory.EnumerateFiles(classDir, "*", SearchOption.AllDirectories)
                .Where(ImageFile.HasImageExtension)
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0 && requireEach) throw DataException.For(classDir, "class folder has no .png/.jpg/.jpeg images");
            items.AddRange(files.Select(f => (f, label)));
        }
        return items;
    }

    /// <summary>Moves round(fraction * n) images of each class to the test set (at least one stays in train).</summary>
    private static (List<(string, int)>, List<(string, int)>) SplitPerClass(List<(string Path, int Label)> all, ImageFolderOptions options)
    {
        var rng = SplitMix64.For(options.Seed, (long)RandomStream.FolderTestSplit);
        var train = new List<(string, int)>();
        var test = new List<(string, int)>();
        foreach (var group in all.GroupBy(f => f.Label))
        {
            var files = group.ToArray();
            var order = Enumerable.Range(0, files.Length).ToArray();
            rng.Shuffle(order);
            int testCount = Math.Min((int)Math.Round(options.TestFraction * files.Length), files.Length - 1);
            var isTest = order.Take(testCount).ToHashSet();
            for (int i = 0; i < files.Length; i++) (isTest.Contains(i) ? test : train).Add(files[i]);
        }
        return (train, test);
    }

    private readonly record struct Header(int Height, int Width, bool Gray);

    private static Header Probe(string path)
    {
        var (height, width, gray) = ImageFile.Probe(path);
        return new(height, width, gray);
    }

    /// <summary>Most frequent (height, width); ties go to the smaller height, then width.</summary>
    private static (int, int) MostCommonSize(ReadOnlySpan<Header> headers)
    {
        var counts = new Dictionary<(int, int), int>();
        foreach (var h in headers) counts[(h.Height, h.Width)] = counts.GetValueOrDefault((h.Height, h.Width)) + 1;
        return counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First().Key;
    }

    private static LabeledImages Decode(List<(string Path, int Label)> files, string[] classes, int channels, int height, int width)
    {
        int size = channels * height * width;
        var pixels = new byte[(long)files.Count * size];
        var errors = new Exception?[files.Count];
        Parallel.For(0, files.Count, i =>
        {
            try { ImageFile.DecodeInto(files[i].Path, pixels.AsSpan(i * size, size), channels, height, width); }
            catch (Exception e) { errors[i] = e; }
        });
        // Report the first failure in file order, whichever thread hit it first.
        if (errors.FirstOrDefault(e => e is not null) is { } error) ExceptionDispatchInfo.Throw(error);
        return new LabeledImages(pixels, files.Select(f => f.Label).ToArray(), classes, channels, height, width);
    }
}
