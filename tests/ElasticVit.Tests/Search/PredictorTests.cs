using ElasticVit.Sampling;
using ElasticVit.Search;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Search;

public class PredictorTests
{
    [Fact]
    public void Spearman_UsesAverageRanksForTies()
    {
        Assert.Equal([1.5, 3, 1.5, 4], Spearman.Ranks([2, 5, 2, 9]));
        Assert.Equal(1, Spearman.Of([1, 2, 3, 4], [10, 20, 30, 1000]), 12);
        Assert.Equal(-1, Spearman.Of([1, 2, 3, 4], [4, 3, 2, 1]), 12);
        Assert.Equal(0.8, Spearman.Of([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 12);
        Assert.True(double.IsNaN(Spearman.Of([1, 2, 3], [7, 7, 7])));
        Assert.True(double.IsNaN(Spearman.Of([1], [2])));
    }

    [Fact]
    public void AccuracyPredictor_LearnsALinearFunctionOfTheEncoding()
    {
        var space = TestSpaces.Fmnist;
        var rng = new Random(11);
        static double Target(Subnet s) =>
            0.5 * s.Resolution + 3 * s.Stages[1].Depth - 0.1 * s.Stages[5].Width + 2 * s.Stages[4].MlpRatio - s.Stem.Kernel;
        var train = Enumerable.Range(0, 300).Select(_ => RandomSubnets.Draw(space, rng)).ToArray();
        var test = Enumerable.Range(0, 200).Select(_ => RandomSubnets.Draw(space, rng)).ToArray();

        var predictor = AccuracyPredictor.Fit(space, train, train.Select(Target).ToArray(), lambda: 1e-3);

        var predicted = test.Select(predictor.Predict).ToArray();
        var actual = test.Select(Target).ToArray();
        Assert.True(Spearman.Of(predicted, actual) > 0.999, $"Spearman {Spearman.Of(predicted, actual)}");
        Assert.All(predicted.Zip(actual), p => Assert.Equal(p.Second, p.First, 0.01));
    }

    [Fact]
    public void FitnessCache_EvaluatesEveryKeyOnce_AndCountsHits()
    {
        var space = TestSpaces.Fmnist;
        var calls = new List<string>();
        var cache = new FitnessCache(new DelegateEvaluator(batch =>
        {
            calls.AddRange(batch.Select(s => s.Key));
            return batch.Select(s => (double)s.Resolution).ToArray();
        }));
        var (a, b) = (space.MinSubnet, space.MaxSubnet);

        Assert.Equal([24.0, 24, 32], cache.Evaluate([a, a, b]));
        Assert.Equal([32.0, 24], cache.Evaluate([b, a]));
        Assert.Equal([a.Key, b.Key], calls);
        Assert.Equal((2, 3, 2), (cache.Evaluations, cache.Hits, cache.Count));
        Assert.True(cache.TryGet(b, out var fitness) && fitness == 32);

        var broken = new FitnessCache(DelegateEvaluator.PerSubnet(_ => double.NaN));
        Assert.Contains("not a finite number", Assert.Throws<SearchException>(() => broken.Evaluate([a])).Message);
    }
}
