using ElasticVit.Data;
using TorchSharp;
using static ElasticVit.Tests.Data.DataFixtures;

namespace ElasticVit.Tests.Data;

public sealed class BatchLoaderTests
{
    private static readonly LabeledImages Rgb = Synthetic(50, classes: 5, channels: 3, height: 6, width: 5);
    private static readonly Normalization Norm = Normalization.Compute(Rgb);

    private static float Normalised(byte p, int c) => (p / 255f - Norm.Mean[c]) / Norm.Std[c];

    [Fact]
    public void Evaluation_ServesEveryImageInOrder_Normalised_WithAPartialLastBatch()
    {
        var loader = new BatchLoader(Rgb, Norm, LoaderOptions.Evaluation(batchSize: 16));

        var batches = loader.HostBatches(epoch: 0).ToList();

        Assert.Equal(4, loader.BatchesPerEpoch);
        Assert.Equal([16, 16, 16, 2], batches.Select(b => b.Size));
        Assert.Equal(Rgb.Labels.Select(l => (long)l), batches.SelectMany(b => b.Labels));
        var floats = batches.SelectMany(b => b.Images).ToArray();
        int k = 0;
        for (int i = 0; i < Rgb.Count; i++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 30; p++)
                    Assert.Equal(Normalised(Rgb.Image(i)[c * 30 + p], c), floats[k++], 5);
    }

    [Fact]
    public void NormalisedTrainingData_HasZeroMeanUnitStd()
    {
        var floats = new BatchLoader(Rgb, Norm, LoaderOptions.Evaluation(50)).PrepareBatch(0, 0).Images;

        for (int c = 0; c < 3; c++)
        {
            var channel = Enumerable.Range(0, 50).SelectMany(i => floats.AsSpan(i * 90 + c * 30, 30).ToArray()).ToArray();
            double mean = channel.Average(v => (double)v);
            Assert.Equal(0, mean, 4);
            Assert.Equal(1, Math.Sqrt(channel.Average(v => (v - mean) * (v - mean))), 4);
        }
    }

    [Fact]
    public void Training_ShufflesByEpoch_SameSeedSameOrder_DropsPartialBatch()
    {
        var options = LoaderOptions.Training(16, seed: 3, Augmentation.None);
        var loader = new BatchLoader(Rgb, Norm, options);
        var twin = new BatchLoader(Rgb, Norm, options);

        Assert.Equal(3, loader.BatchesPerEpoch);
        Assert.Equal(Enumerable.Range(0, 50), loader.EpochOrder(0).Order());
        Assert.NotEqual(Enumerable.Range(0, 50), loader.EpochOrder(0));
        Assert.NotEqual(loader.EpochOrder(0), loader.EpochOrder(1));
        Assert.Equal(loader.EpochOrder(1), twin.EpochOrder(1));
        Assert.NotEqual(loader.EpochOrder(1), new BatchLoader(Rgb, Norm, options with { Seed = 4 }).EpochOrder(1));
        var batch = loader.PrepareBatch(1, 2);
        Assert.Equal(loader.EpochOrder(1)[32..48].Select(i => (long)Rgb.Labels[i]), batch.Labels);
    }

    [Fact]
    public void ResumedEpoch_YieldsExactlyTheBatchesOfAFullPass()
    {
        var loader = new BatchLoader(Rgb, Norm, LoaderOptions.Training(8, seed: 11, new Augmentation(2, true)));

        var full = loader.HostBatches(epoch: 4).ToList();
        var resumed = new BatchLoader(Rgb, Norm, loader.Options).HostBatches(epoch: 4, startBatch: 3).ToList();

        Assert.Equal(full.Count - 3, resumed.Count);
        for (int i = 0; i < resumed.Count; i++)
        {
            Assert.Equal(full[i + 3].Index, resumed[i].Index);
            Assert.Equal(full[i + 3].Labels, resumed[i].Labels);
            Assert.Equal(full[i + 3].Images, resumed[i].Images);
        }
    }

    [Fact]
    public void Augmentation_GivesShiftedAndMirroredCopies_ThatVaryAcrossEpochs()
    {
        var one = Synthetic(1, 1, channels: 2, height: 5, width: 4);
        var norm = Normalization.None(2);
        var loader = new BatchLoader(one, norm, LoaderOptions.Training(1, seed: 0, new Augmentation(1, true)));
        var candidates = new List<float[]>();
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
                foreach (bool flip in new[] { false, true })
                    candidates.Add(Reference(one, dy, dx, flip));

        var seen = new HashSet<int>();
        for (int epoch = 0; epoch < 60; epoch++)
        {
            var images = loader.PrepareBatch(epoch, 0).Images;
            int match = candidates.FindIndex(c => c.SequenceEqual(images));
            Assert.True(match >= 0, $"epoch {epoch}: not a pad-1 crop / flip of the image");
            seen.Add(match);
        }

        Assert.True(seen.Count >= 12, $"only {seen.Count} of 18 crops/flips in 60 draws");
        Assert.Contains(seen, m => m % 2 == 1); // some flipped

        // Pixel (y, x) of the output is source (y + dy, x' + dx) with x' mirrored when flipped; 0 outside.
        static float[] Reference(LabeledImages set, int dy, int dx, bool flip)
        {
            var result = new float[2 * 5 * 4];
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < 5; y++)
                    for (int x = 0; x < 4; x++)
                    {
                        int sy = y + dy, sx = (flip ? 3 - x : x) + dx;
                        bool inside = sy is >= 0 and < 5 && sx is >= 0 and < 4;
                        result[c * 20 + y * 4 + x] = inside ? Pixel(0, c, sy, sx) / 255f : 0f;
                    }
            return result;
        }
    }

    [Fact]
    public void FlipOff_NeverMirrors_PadZero_IsIdentity()
    {
        var one = Synthetic(1, 1, 1, 3, 3);
        var plain = new BatchLoader(one, Normalization.None(1), LoaderOptions.Evaluation(1)).PrepareBatch(0, 0).Images;
        var noAugment = new BatchLoader(one, Normalization.None(1), LoaderOptions.Training(1, 0, new Augmentation(0, false)));

        Assert.All(Enumerable.Range(0, 20), e => Assert.Equal(plain, noAugment.PrepareBatch(e, 0).Images));
    }

    [Fact]
    public void Epoch_YieldsFloatAndInt64Tensors_DisposingEachPairWhenTheNextIsRequested()
    {
        var loader = new BatchLoader(Rgb, Norm, LoaderOptions.Training(16, seed: 2, Augmentation.Cifar));
        var expected = loader.HostBatches(0).ToList();
        var seen = new List<(torch.Tensor Images, torch.Tensor Labels)>();
        int b = 0;

        foreach (var (images, labels) in loader.Epoch(0))
        {
            Assert.Equal([16L, 3, 6, 5], images.shape);
            Assert.Equal(torch.ScalarType.Float32, images.dtype);
            Assert.Equal(torch.ScalarType.Int64, labels.dtype);
            Assert.Equal(expected[b].Images, images.data<float>().ToArray());
            Assert.Equal(expected[b].Labels, labels.data<long>().ToArray());
            Assert.All(seen, t => Assert.True(t.Images.IsInvalid && t.Labels.IsInvalid));
            seen.Add((images, labels));
            b++;
        }

        Assert.Equal(3, b);
        Assert.True(seen[^1].Images.IsInvalid);
    }

    [Fact]
    public void ToTensors_BelongToTheCallersDisposeScope()
    {
        var batch = new BatchLoader(Rgb, Norm, LoaderOptions.Evaluation(8)).PrepareBatch(0, 0);
        torch.Tensor images, labels;

        using (torch.NewDisposeScope())
        {
            (images, labels) = batch.ToTensors();
            Assert.Equal(batch.Images, images.data<float>().ToArray());
        }

        Assert.True(images.IsInvalid && labels.IsInvalid);
    }

    [Fact]
    public void StoppingEarly_EndsTheProducer_AndANewPassStartsAfresh()
    {
        var big = Synthetic(4000, 10, 1, 28, 28);
        var loader = new BatchLoader(big, Normalization.Compute(big), LoaderOptions.Training(4, 1, Augmentation.FashionMnist) with { Prefetch = 2 });

        var first = loader.HostBatches(0).First();
        var again = loader.HostBatches(0).Take(2).ToList();

        Assert.Equal(first.Images, again[0].Images);
        Assert.Equal(1, again[1].Index);
    }

    [Fact]
    public void InvalidStartBatch_AndTooFewImagesForOneBatch_Throw()
    {
        var loader = new BatchLoader(Rgb, Norm, LoaderOptions.Training(16, 0, Augmentation.None));

        Assert.Throws<ArgumentOutOfRangeException>(() => loader.HostBatches(0, startBatch: 4));
        Assert.Empty(loader.HostBatches(0, startBatch: 3));
        Assert.Throws<ArgumentException>(() => new BatchLoader(Rgb, Norm, LoaderOptions.Training(64, 0, Augmentation.None)));
    }
}
