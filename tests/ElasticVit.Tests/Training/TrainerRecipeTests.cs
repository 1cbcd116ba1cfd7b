using System.Text.Json.Nodes;
using ElasticVit.Spaces;
using ElasticVit.Training;

namespace ElasticVit.Tests.Training;

/// <summary>The recipe options of a training run, seen in its metrics (a few real steps on a small subset).</summary>
[Collection(TorchRandomState.Name)]
public class TrainerRecipeTests
{
    [Fact]
    public void Max_first_trains_the_max_subnet_alone_then_the_sampler_draws_its_level_subnets()
    {
        var dir = Directory.CreateTempSubdirectory("evit-recipe-").FullName;
        try
        {
            var options = new TrainOptions
            {
                Steps = 4, BatchSize = 8, TrainLimit = 200, HeldOutPerClass = 5, ProbeEvery = 1, CheckpointEvery = 100, Threads = 1,
                Sampler = "cas-pas", LevelSubnets = 2, MaxFirstFraction = 0.5,
            };
            using (var trainer = new Trainer(options, new RunDirectory(dir), resume: false)) trainer.Run();
            var steps = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();
            var max = SpaceLoader.Load(options.Space).MaxSubnet.Key;
            Assert.Equal(4, steps.Length);
            foreach (var step in steps[..2])
                Assert.Equal([max], step["subnet_keys"]!.AsArray().Select(k => (string)k!));
            foreach (var step in steps[2..])
                Assert.Equal(["level", "level", "level_min"], step["subnet_roles"]!.AsArray().Select(r => (string)r!));
            Assert.All(steps, s => Assert.True(double.IsFinite((double)s["loss_total"]!)));
            Assert.All(steps[..2], s => Assert.Null(s["grad_cosine"]));      // one subnet: nothing to compare
            Assert.All(steps[2..], s => Assert.NotNull(s["grad_cosine"]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Without_inplace_distillation_the_level_min_subnet_learns_from_the_labels()
    {
        // The first step starts from the same weights either way: the level subnet's loss is the same, the min subnet's
        // is a divergence from a near-identical prediction (small) with distillation and a cross-entropy near ln 10 without.
        double[] FirstStepLosses(bool distill)
        {
            var dir = Directory.CreateTempSubdirectory("evit-distill-").FullName;
            try
            {
                var options = new TrainOptions
                {
                    Steps = 1, BatchSize = 8, TrainLimit = 200, HeldOutPerClass = 5, ProbeEvery = 0, CheckpointEvery = 100, Threads = 1,
                    Sampler = "cas-pas", LevelSubnets = 1, MaxFirstFraction = 0, InplaceDistillation = distill,
                };
                using (var trainer = new Trainer(options, new RunDirectory(dir), resume: false)) trainer.Run();
                var step = JsonNode.Parse(File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))[0])!;
                Assert.Equal(["level", "level_min"], step["subnet_roles"]!.AsArray().Select(r => (string)r!));
                return step["subnet_losses"]!.AsArray().Select(l => (double)l!).ToArray();
            }
            finally { Directory.Delete(dir, recursive: true); }
        }

        var distilled = FirstStepLosses(distill: true);
        var labelled = FirstStepLosses(distill: false);
        Assert.Equal(distilled[0], labelled[0], 5);
        Assert.True(distilled[1] < 0.5, $"distilled min loss {distilled[1]}");
        Assert.True(labelled[1] > 1.5, $"label loss of the min subnet {labelled[1]} (ln 10 = 2.30 at the start)");
    }

    [Fact]
    public void A_short_run_of_the_default_recipe_on_a_subset_learns_well_above_chance()
    {
        // Seeded and deterministic (two shards, fixed data order): the floor guards the recipe, not the machine's speed.
        var dir = Directory.CreateTempSubdirectory("evit-floor-").FullName;
        try
        {
            var space = Path.Combine(dir, "tiny.json");
            File.WriteAllText(space, ElasticVit.Tests.Search.TestSpaces.TinyJson);
            var options = new TrainOptions
            {
                Space = space, Steps = 240, BatchSize = 32, TrainLimit = 4000, HeldOutPerClass = 100, ProbeEvery = 0,
                CheckpointEvery = 1000, Threads = 2, Seed = 1,
            };
            var run = Path.Combine(dir, "run");
            using (var trainer = new Trainer(options, new RunDirectory(run), resume: false)) trainer.Run();
            using var trained = TrainedRun.Open(run);
            using var evaluator = trained.Evaluator(calibrationBatches: 8);
            foreach (var subnet in new[] { trained.Space.MinSubnet, trained.Space.MaxSubnet })
            {
                evaluator.Recalibrate(subnet);
                var accuracy = evaluator.Accuracy("heldout");
                // Seen over seeds 1–5: 52–60 % (chance: 10 %); a broken loss, schedule or gradient path stays near chance.
                // Another CPU's rounding is in effect another seed: at 120 steps one seed of five fell to 32 %.
                Assert.True(accuracy > 0.35, $"{subnet.Key}: held-out top-1 {accuracy:P1} after 240 steps (chance: 10 %)");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
