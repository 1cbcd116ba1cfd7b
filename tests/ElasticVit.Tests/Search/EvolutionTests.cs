using ElasticVit.Latency;
using ElasticVit.Search;
using ElasticVit.Spaces;
using Xunit.Abstractions;

namespace ElasticVit.Tests.Search;

public class EvolutionTests(ITestOutputHelper output)
{
    private static readonly SearchSpace Tiny = TestSpaces.Tiny;
    private static readonly SearchSpace Fmnist = TestSpaces.Fmnist;
    private static readonly EvolutionOptions Small = new() { Population = 32, Generations = 12 };

    private static ILatencyPredictor NoLut(string path) => throw new InvalidOperationException(path);

    /// <summary>Grows with FLOPs (so the budget binds) plus a bonus for five specific choices.</summary>
    private static double Preference(Subnet s)
    {
        var (c, t) = (s.Stages[0], s.Stages[1]);
        var matches = (s.Resolution == 28 ? 1 : 0) + (c.Kernel == 5 ? 1 : 0) + (c.Expansion == 4 ? 1 : 0) + (t.MlpRatio == 2 ? 1 : 0) + (t.VScale == 4 ? 1 : 0);
        return TestSpaces.FlopsM(Tiny, s) / 10 + 0.3 * matches;
    }

    /// <summary>An evaluator that fails the test if asked for a subnet that is invalid, over budget or already evaluated.</summary>
    private static DelegateEvaluator Guarded(SearchSpace space, Func<Subnet, bool> allowed, Func<Subnet, double> fitness, HashSet<string>? seen = null)
    {
        seen ??= [];
        return DelegateEvaluator.PerSubnet(s =>
        {
            space.Validate(s);
            Assert.True(allowed(s), $"evaluated {s.Key}, which breaks the budget");
            Assert.True(seen.Add(s.Key), $"evaluated {s.Key} twice");
            return fitness(s);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Search_FindsTheBruteForceOptimum_OnATinySpace(int seed)
    {
        var budgets = BudgetSet.Parse("flops:4", Tiny, NoLut);
        var feasible = TestSpaces.AllTiny().Where(budgets.Allows).OrderByDescending(Preference).ToList();
        Assert.True(Preference(feasible[0]) > Preference(feasible[1]), "the optimum must be unique");
        Assert.True(TestSpaces.AllTiny().Count() > 3 * feasible.Count / 2, "the budget must bind");

        var cache = new FitnessCache(Guarded(Tiny, budgets.Allows, Preference));
        var result = Evolution.Run(Tiny, budgets, cache, Small with { Seed = seed });

        output.WriteLine($"{feasible.Count} feasible, {result.Stats.Evaluations} evaluated, best {result.Best.Subnet.Key}");
        Assert.Equal(feasible[0], result.Best.Subnet);
        Assert.Equal(Preference(feasible[0]), result.Best.Fitness);
    }

    [Fact]
    public void Search_GetsCloseToTheBudget_WhenFitnessIsFlops()
    {
        var budgets = BudgetSet.Parse("flops:15", Fmnist, NoLut);
        var cache = new FitnessCache(Guarded(Fmnist, budgets.Allows, s => TestSpaces.FlopsM(Fmnist, s)));
        var result = Evolution.Run(Fmnist, budgets, cache, EvolutionOptions.Quick);
        output.WriteLine($"best {result.Best.Fitness} after {result.Stats.Evaluations} evaluations; {string.Join(" ", result.Stats.BestPerGeneration.Select(b => b.ToString("F3")))}");
        Assert.InRange(result.Best.Fitness, 14.9, 15);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Search_NeverEvaluatesOrReturnsASubnetOverBudget(bool usePredictor)
    {
        var lut = new FakeLatency(Fmnist);
        var budgets = BudgetSet.Parse("flops:14,params:1.2,latency:fake.json:2.2", Fmnist, _ => lut);
        var rng = new Random(0);
        var noise = new Dictionary<string, double>();
        double Fitness(Subnet s) => TestSpaces.FlopsM(Fmnist, s) + 3 * s.Stages[3].Depth + (noise.TryGetValue(s.Key, out var n) ? n : noise[s.Key] = rng.NextDouble());

        var cache = new FitnessCache(Guarded(Fmnist, budgets.Allows, Fitness));
        var result = Evolution.Run(Fmnist, budgets, cache, EvolutionOptions.Quick with { UsePredictor = usePredictor });

        Assert.All(result.Population, p => Assert.True(budgets.Allows(p.Subnet)));
        Assert.True(result.Stats.Rejections > 0);
        Assert.True(result.Stats.Evaluations <= 64 + 10 * 32);
        Assert.Equal(result.Stats.Evaluations, cache.Evaluations);
        output.WriteLine($"{result.Stats.Evaluations} evaluated, {result.Stats.CacheHits} hits, {result.Stats.Rejections} rejected, {result.Stats.Duplicates} duplicates; predictor ρ {result.Stats.PredictorSpearman:F3} per generation {string.Join(" ", result.Stats.PredictorSpearmanPerGeneration.Select(r => r.ToString("F2")))}");
        if (usePredictor)
        {
            Assert.Equal(10, result.Stats.PredictorSpearmanPerGeneration.Count);
            Assert.True(result.Stats.PredictorSpearman > 0.3, $"predictor Spearman {result.Stats.PredictorSpearman}");
        }
        else Assert.True(double.IsNaN(result.Stats.PredictorSpearman));
    }

    [Fact]
    public void SameSeed_GivesTheSameResult()
    {
        var budgets = BudgetSet.Parse("flops:12", Fmnist, NoLut);
        var rng = new Random(42);
        var fitness = new Dictionary<string, double>();
        var evaluator = DelegateEvaluator.PerSubnet(s => fitness.TryGetValue(s.Key, out var f) ? f : fitness[s.Key] = rng.NextDouble() + s.Stages[5].Depth);

        EvolutionResult Run(int seed) => Evolution.Run(Fmnist, budgets, new FitnessCache(evaluator), EvolutionOptions.Quick with { Seed = seed, UsePredictor = true });
        var (a, b, c) = (Run(7), Run(7), Run(8));

        Assert.Equal(a.Best, b.Best);
        Assert.Equal(a.Population, b.Population);
        Assert.Equal((a.Stats.Evaluations, a.Stats.Rejections, a.Stats.Duplicates), (b.Stats.Evaluations, b.Stats.Rejections, b.Stats.Duplicates));
        Assert.Equal(a.Stats.BestPerGeneration, b.Stats.BestPerGeneration);
        Assert.Equal(a.Stats.PredictorSpearmanPerGeneration, b.Stats.PredictorSpearmanPerGeneration);
        Assert.NotEqual(a.Population.Select(p => p.Subnet), c.Population.Select(p => p.Subnet));
    }

    [Fact]
    public void TightBudget_StillFillsThePopulation_WithDistinctFeasibleSubnets()
    {
        var limit = TestSpaces.FlopsM(Fmnist, Fmnist.MinSubnet) * 1.15;
        var budgets = new BudgetSet([new FlopsBudget(Fmnist, limit)]);
        var cache = new FitnessCache(Guarded(Fmnist, budgets.Allows, s => TestSpaces.FlopsM(Fmnist, s)));
        var result = Evolution.Run(Fmnist, budgets, cache, EvolutionOptions.Quick with { Generations = 2 });
        Assert.Equal(64, result.Population.Count);
        Assert.Equal(64, result.Population.Select(p => p.Subnet.Key).Distinct().Count());
    }

    [Fact]
    public void BudgetMetOnlyByTheMinSubnet_ReturnsIt_WithoutLoopingForever()
    {
        var budgets = new BudgetSet([new FlopsBudget(Fmnist, TestSpaces.FlopsM(Fmnist, Fmnist.MinSubnet))]);
        var result = Evolution.Run(Fmnist, budgets, new FitnessCache(DelegateEvaluator.PerSubnet(_ => 1)), Small);
        Assert.Equal(Fmnist.MinSubnet, Assert.Single(result.Population).Subnet);
        Assert.Equal(1, result.Stats.Evaluations);
    }

    [Fact]
    public void Seeds_JoinTheInitialPopulation_OnlyWhenWithinBudget()
    {
        var budgets = BudgetSet.Parse("flops:12", Fmnist, NoLut);
        var (small, large) = (Fmnist.Resolve("min"), Fmnist.MaxSubnet);
        var batches = new List<IReadOnlyList<Subnet>>();
        var evaluator = new DelegateEvaluator(batch =>
        {
            batches.Add(batch);
            Assert.All(batch, s => Assert.True(budgets.Allows(s)));
            return batch.Select(s => 0.0).ToArray();
        });
        Evolution.Run(Fmnist, budgets, new FitnessCache(evaluator), Small with { Generations = 1 }, seeds: [large, small]);
        Assert.Equal(small, batches[0][0]);
    }

    [Fact]
    public void Seeds_FillAtMostTheirShareOfTheInitialPopulation()
    {
        var budgets = BudgetSet.Parse("flops:30", Fmnist, NoLut);
        var rng = new Random(5);
        var seeds = Enumerable.Range(0, 200).Select(_ => ElasticVit.Sampling.RandomSubnets.Draw(Fmnist, rng)).Where(budgets.Allows).DistinctBy(s => s.Key).Take(40).ToList();
        IReadOnlyList<Subnet>? initial = null;
        var evaluator = new DelegateEvaluator(batch => { initial ??= batch; return batch.Select(s => 0.0).ToArray(); });
        Evolution.Run(Fmnist, budgets, new FitnessCache(evaluator), Small with { Generations = 0 }, seeds);
        Assert.Equal(Small.Population, initial!.Count);
        Assert.Equal(seeds.Take(Small.Population / 2), initial.Take(Small.Population / 2));
        Assert.DoesNotContain(seeds[Small.Population / 2], initial);
    }

    [Fact]
    public void Progress_IsReportedForEveryGeneration_WithTheBestSoFar()
    {
        var budgets = BudgetSet.Parse("flops:12", Fmnist, NoLut);
        var reports = new List<GenerationProgress>();
        var result = Evolution.Run(Fmnist, budgets, new FitnessCache(DelegateEvaluator.PerSubnet(s => TestSpaces.FlopsM(Fmnist, s))), Small, progress: reports.Add);
        Assert.Equal(Enumerable.Range(0, Small.Generations + 1), reports.Select(r => r.Generation));
        Assert.Equal(result.Stats.BestPerGeneration, reports.Select(r => r.Best.Fitness));
        Assert.Equal(result.Stats.BestPerGeneration.Order(), result.Stats.BestPerGeneration);
        Assert.Equal(result.Best, reports[^1].Best);
    }
}
