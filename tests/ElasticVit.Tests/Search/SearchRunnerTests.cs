using ElasticVit.Search;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Search;

public class SearchRunnerTests
{
    private static readonly SearchSpace Fmnist = TestSpaces.Fmnist;
    private static readonly EvolutionOptions Small = new() { Population = 32, Generations = 5 };

    private static BudgetSet[] Alternatives(FakeLatency lut) =>
        new[] { "flops:10", "flops:15", "latency:fake.json:2.2,params:1.2" }.Select(t => BudgetSet.Parse(t, Fmnist, _ => lut)).ToArray();

    [Fact]
    public void Run_SearchesEveryAlternative_SharingOneCache()
    {
        var lut = new FakeLatency(Fmnist);
        var alternatives = Alternatives(lut);
        var seen = new HashSet<string>();
        double Fitness(Subnet s) => Math.Log(TestSpaces.FlopsM(Fmnist, s)) + 0.1 * s.Stages[4].Depth - 0.01 * (s.Key.GetHashCode(StringComparison.Ordinal) & 7);
        var evaluator = DelegateEvaluator.PerSubnet(s =>
        {
            Assert.True(alternatives.Any(a => a.Allows(s)), $"{s.Key} breaks every budget");
            Assert.True(seen.Add(s.Key), $"{s.Key} evaluated twice");
            return Fitness(s);
        });
        var progress = new List<SearchProgress>();

        var report = SearchRunner.Run(Fmnist, alternatives, evaluator, Small, progress.Add);

        Assert.Equal(["flops", "params", "latency:fake.json"], report.Metrics.Select(m => m.Name));
        Assert.Equal(["MFLOPs", "M params", "ms"], report.Metrics.Select(m => m.Unit));
        Assert.Equal(["flops", "latency:fake.json", "params"], report.FrontMetrics);
        Assert.Equal(3 * (Small.Generations + 1), progress.Count);
        Assert.Equal([0, 1, 2], progress.Select(p => p.Alternative).Distinct());
        Assert.Equal(seen.Count, report.Evaluations);
        Assert.Equal(report.Evaluations, report.Alternatives.Sum(a => a.Stats.Evaluations));
        Assert.Equal(seen.Order(), report.Evaluated.Select(e => e.Key).Order());

        foreach (var (result, budgets) in report.Alternatives.Zip(alternatives))
        {
            Assert.Same(budgets, result.Budgets);
            Assert.True(budgets.Allows(result.Winner.Subnet));
            Assert.Equal(Fitness(result.Winner.Subnet), result.Winner.Fitness);
            var cost = Complexity.Of(Fmnist, result.Winner.Subnet);
            Assert.Equal(cost.FlopsM, result.Winner.Costs["flops"]);
            Assert.Equal(cost.ParamsM, result.Winner.Costs["params"]);
            Assert.Equal(lut.PredictMs(result.Winner.Subnet), result.Winner.Costs["latency:fake.json"]);
            // The winner is the fittest evaluated subnet within the budgets.
            Assert.Equal(report.Evaluated.Where(e => budgets.Allows(e.Subnet)).Max(e => e.Fitness), result.Winner.Fitness);
        }
        Assert.True(report.Alternatives[1].Winner.Fitness >= report.Alternatives[0].Winner.Fitness);

        Assert.Contains(report.ParetoFront, e => e.Fitness == report.Evaluated.Max(x => x.Fitness));
        foreach (var e in report.Evaluated)
        {
            var dominated = report.Evaluated.Any(o => o.Fitness >= e.Fitness && report.FrontMetrics.All(m => o.Costs[m] <= e.Costs[m])
                && (o.Fitness > e.Fitness || report.FrontMetrics.Any(m => o.Costs[m] < e.Costs[m])));
            Assert.Equal(!dominated, report.ParetoFront.Contains(e));
        }
        Assert.True(report.FrontFor("flops").Count <= report.ParetoFront.Count);
    }

    [Fact]
    public void Run_FailsBeforeEvaluatingAnything_WhenAnyAlternativeIsInfeasible()
    {
        var alternatives = new[] { "flops:15", "flops:0.1" }.Select(t => BudgetSet.Parse(t, Fmnist, _ => throw new InvalidOperationException())).ToArray();
        var evaluator = DelegateEvaluator.PerSubnet(_ => throw new InvalidOperationException("must not evaluate"));
        var e = Assert.Throws<SearchException>(() => SearchRunner.Run(Fmnist, alternatives, evaluator, Small));
        Assert.StartsWith("budget flops:0.1 cannot be met in elasticvit-fmnist: the smallest achievable flops is 3.956", e.Message);
    }

    [Fact]
    public void Run_OfEquallyFitSubnets_PicksTheCheapest()
    {
        // Fitness in two levels only: every subnet above 8 MFLOPs ties with every other, so the winner of a 15-MFLOP budget
        // must be the cheapest of the evaluated upper level, not whichever key sorts first.
        var evaluator = DelegateEvaluator.PerSubnet(s => TestSpaces.FlopsM(Fmnist, s) > 8 ? 0.9 : 0.8);
        var budgets = new[] { BudgetSet.Parse("flops:15", Fmnist, _ => throw new InvalidOperationException()) };

        var report = SearchRunner.Run(Fmnist, budgets, evaluator, Small);

        var ties = report.Evaluated.Where(e => e.Fitness == 0.9 && e.Costs["flops"] <= 15).ToList();
        Assert.True(ties.Count > 1, $"{ties.Count} tie(s)");
        Assert.Equal(ties.Min(e => e.Costs["flops"]), report.Alternatives[0].Winner.Costs["flops"]);
    }

    [Fact]
    public void Run_IsDeterministic()
    {
        var lut = new FakeLatency(Fmnist);
        var evaluator = DelegateEvaluator.PerSubnet(s => Math.Sqrt(TestSpaces.FlopsM(Fmnist, s)) + s.Stages[2].Depth + s.Stem.Kernel * 0.01);
        SearchReport Run() => SearchRunner.Run(Fmnist, Alternatives(lut), evaluator, Small with { Seed = 3, UsePredictor = true, PredictorMinSamples = 16 });
        var (a, b) = (Run(), Run());
        Assert.Equal(a.Alternatives.Select(r => r.Winner.Key), b.Alternatives.Select(r => r.Winner.Key));
        Assert.Equal(a.Evaluated.Select(e => e.Key), b.Evaluated.Select(e => e.Key));
        Assert.Equal(a.ParetoFront.Select(e => e.Key), b.ParetoFront.Select(e => e.Key));
    }
}
