using System.Text.Json.Nodes;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Tests.Data;
using ElasticVit.Training;

namespace ElasticVit.Tests.Search;

[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public class SupernetFitnessTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    [Fact]
    public void Fitness_IsHeldOutTop1InUnitInterval_AndDeterministic_WithAnyNumberOfWorkers()
    {
        using var run = TrainedRun.Open(tiny.Path, threads: 1);
        var rng = new Random(3);
        var subnets = Enumerable.Range(0, 3).Select(_ => RandomSubnets.Draw(run.Space, rng)).Append(run.Space.MaxSubnet).ToList();
        var options = new FitnessOptions { ImagesPerClass = 5, CalibrationBatches = 2 };

        double[] first, again, fresh;
        (double, double) report, freshReport;
        using (var fitness = new SupernetFitness(run, options))
        {
            Assert.Equal(50, fitness.FitnessImages);
            Assert.Equal(128, fitness.CalibrationImages);
            Assert.True(fitness.UsesOnnxRuntime);
            first = fitness.Evaluate(subnets);
            again = fitness.Evaluate(subnets.AsEnumerable().Reverse().ToList()).Reverse().ToArray();
            Assert.Equal(8, fitness.Evaluations);
            report = fitness.Report(subnets[0]);
            var (heldOut, test) = report;
            Assert.InRange(heldOut, 0, 1);
            Assert.InRange(test, 0, 1);
            Assert.Equal(8, fitness.Evaluations);
            Assert.True(fitness.EvaluationsPerMinute > 0);
        }
        using (var fitness = new SupernetFitness(run, options with { Workers = 3 }))
        {
            fresh = fitness.Evaluate(subnets);
            freshReport = fitness.Report(subnets[0]);
        }

        double[] torchScores;
        using (var fitness = new SupernetFitness(run, options with { Engine = FitnessEngine.Torch }))
        {
            Assert.False(fitness.UsesOnnxRuntime);
            torchScores = fitness.Evaluate(subnets);
        }

        // On CPU the default scores in ONNX Runtime; the supernet's own forward agrees up to a rare float-rounding flip.
        Assert.All(first.Zip(torchScores), p => Assert.True(Math.Abs(p.First - p.Second) <= 1.0 / 50 + 1e-12, $"ORT {p.First} vs torch {p.Second}"));
        Assert.All(first, f => Assert.InRange(f, 0, 1));
        Assert.All(first, f => Assert.Equal(Math.Round(f * 50), f * 50, 9));   // a share of the 50 images
        Assert.Equal(first, again);
        Assert.Equal(first, fresh);
        Assert.Equal(report, freshReport);
    }

    [Fact]
    public void FirstPerClass_TakesTheFirstImagesOfEveryClass_InOrder()
    {
        var images = DataFixtures.Synthetic(count: 33, classes: 10, channels: 1, height: 2, width: 2);
        var subset = SupernetFitness.FirstPerClass(images, 3);
        Assert.Equal(30, subset.Count);
        Assert.All(subset.ClassCounts(), c => Assert.Equal(3, c));
        Assert.Equal(images.Image(0).ToArray(), subset.Image(0).ToArray());
        Assert.Equal(images.Image(29).ToArray(), subset.Image(29).ToArray());
        Assert.Equal(33, SupernetFitness.FirstPerClass(images, 100).Count);
    }

    [Fact]
    public void BankSubnets_ReadsTheMemoryBanksOfACasPasCheckpoint()
    {
        var space = TestSpaces.Tiny;
        string[] keys = ["r24-s8x1k3-C1:16x1e3k3-T1:32x1m2v2", "r28-s16x2k3-C1:24x2e6k5-T1:48x2m4v4", "r32-s16x2k3-C1:24x2e6k5-T1:48x2m4v4"];
        var header = JsonNode.Parse($$$"""
            {"sampler_state": {"sampler": "cas-pas", "banks": [
              {"level_flops_m": 1, "entries": [{"key": "{{{keys[1]}}}", "score": -0.4}, {"key": "{{{keys[0]}}}", "score": -0.2}]},
              {"level_flops_m": 2, "entries": [{"key": "{{{keys[2]}}}", "score": -0.3}, {"key": "{{{keys[1]}}}", "score": -0.5}]}]}}
            """)!.AsObject();
        // Round-robin over the levels, best (highest) score first within each; duplicates once.
        Assert.Equal([keys[0], keys[2], keys[1]], TrainedRun.BankSubnets(header, space, "ckpt").Select(s => s.Key));
        Assert.Empty(TrainedRun.BankSubnets(JsonNode.Parse("""{"sampler_state": {"sampler": "uniform"}}""")!.AsObject(), space, "ckpt"));
        header["sampler_state"]!["banks"]![0]!["entries"]![1]!["key"] = "r99-nonsense";
        Assert.Throws<CheckpointException>(() => TrainedRun.BankSubnets(header, space, "ckpt"));
    }

    [Fact]
    public void TrainedCasPasRun_ExposesItsBankSubnets_WithinTheSpace()
    {
        using var run = TrainedRun.Open(tiny.Path, threads: 1);
        foreach (var s in run.MemoryBankSubnets) run.Space.Validate(s);
    }
}
