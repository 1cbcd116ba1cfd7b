using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Sampling;

/// <summary>Drives a sampler as the trainer does, with a deterministic stand-in for the supernet's scores.</summary>
internal static class SamplerRun
{
    /// <summary>A fixed pseudo-score in [−2, −1) per subnet (FNV-1a of the key), so runs are reproducible.</summary>
    public static double[] Score(IReadOnlyList<Subnet> subnets) => subnets.Select(s =>
    {
        var h = 14695981039346656037UL;
        foreach (var c in s.Key) h = (h ^ c) * 1099511628211UL;
        return -1 - h % 1000 / 1000.0;
    }).ToArray();

    /// <summary>Runs steps <paramref name="from"/> … from + count − 1 of a run with the given epoch length.</summary>
    public static List<SamplerStep> Run(ITrainingSampler sampler, int from, int count, int batchesPerEpoch = 8, int totalEpochs = 1000,
        Func<IReadOnlyList<Subnet>, double[]>? scorer = null)
    {
        var steps = new List<SamplerStep>();
        for (var t = from; t < from + count; t++)
        {
            sampler.OnBatch(new TrainingProgress(t / batchesPerEpoch, t % batchesPerEpoch, batchesPerEpoch, totalEpochs), scorer ?? Score);
            steps.Add(sampler.NextStep());
        }
        return steps;
    }

    public static string Describe(SamplerStep step) =>
        $"{step.LevelIndex}@{step.LevelFlopsM}: " + string.Join(", ", step.Subnets.Select(s => $"{s.Role}{(s.FromBank ? "*" : "")} {s.Subnet.Key}"));
}
