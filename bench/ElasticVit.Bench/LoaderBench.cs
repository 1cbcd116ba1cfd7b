using System.Diagnostics;
using ElasticVit.Data;

namespace ElasticVit.Bench;

/// <summary>
/// Images per second of <see cref="BatchLoader"/> on Fashion-MNIST's training set minus the
/// held-out split, with the default augmentation: batches prepared on one thread (no prefetch),
/// through the background queue as arrays, and as tensors the consumer creates and disposes (no model).
/// </summary>
public static class LoaderBench
{
    public static int Run(string[] args)
    {
        string? dataDir = BenchArgs.Option(args, "--data");
        int batch = int.Parse(BenchArgs.Option(args, "--batch") ?? "64");
        int epochs = int.Parse(BenchArgs.Option(args, "--epochs") ?? "3");

        var clock = Stopwatch.StartNew();
        var full = FashionMnist.LoadTrain(dataDir);
        var split = HeldOutSplit.Carve(full, HeldOutSplit.DefaultPerClass(full), seed: 0);
        var norm = Normalization.Compute(split.Train);
        Console.WriteLine($"loaded {full.Count} images, {split.Train.Count} after the held-out split, in {clock.ElapsedMilliseconds} ms");

        string load = BenchArgs.Load();
        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {load}, {epochs} timed epochs after one warm-up");
        Console.WriteLine("| loader | batch | images/s (median epoch) | range | ms/batch |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        var loader = new BatchLoader(split.Train, norm, LoaderOptions.Training(batch, seed: 0, Augmentation.FashionMnist));
        Measure(loader, epochs, "PrepareBatch on the caller's thread", e => Enumerable.Range(0, loader.BatchesPerEpoch).Select(b => loader.PrepareBatch(e, b).Size));
        Measure(loader, epochs, "HostBatches (background thread, arrays)", e => loader.HostBatches(e).Select(b => b.Size));
        Measure(loader, epochs, "Epoch (background thread, tensors)", e => loader.Epoch(e).Select(t => (int)t.Images.shape[0]));
        return 0;
    }

    /// <summary>One warm-up epoch, then <paramref name="epochs"/> timed ones; the median resists a busy machine.</summary>
    private static void Measure(BatchLoader loader, int epochs, string what, Func<int, IEnumerable<int>> epoch)
    {
        foreach (int _ in epoch(-1)) { }
        var rates = new List<double>();
        for (int e = 0; e < epochs; e++)
        {
            long images = 0;
            var clock = Stopwatch.StartNew();
            foreach (int size in epoch(e)) images += size;
            rates.Add(images / clock.Elapsed.TotalSeconds);
        }
        rates.Sort();
        double median = rates[rates.Count / 2];
        Console.WriteLine($"| {what} | {loader.Options.BatchSize} | {median:N0} | {rates[0]:N0} – {rates[^1]:N0} | {loader.Options.BatchSize / median * 1e3:F3} |");
    }
}
