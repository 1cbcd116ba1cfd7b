using System.Diagnostics;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>A cost reported for every evaluated subnet: <c>flops</c>, <c>params</c> or <c>latency:LUT</c>.</summary>
public sealed record CostMetric(string Name, string Unit);

/// <summary>A subnet with its fitness and its cost in every metric of the run.</summary>
public sealed record EvaluatedSubnet(Subnet Subnet, double Fitness, IReadOnlyDictionary<string, double> Costs)
{
    public string Key => Subnet.Key;
}

/// <summary>The result for one alternative budget set.</summary>
public sealed record AlternativeResult(BudgetSet Budgets, EvaluatedSubnet Winner, SearchStats Stats);

/// <summary>Progress of one alternative's search.</summary>
public sealed record SearchProgress(int Alternative, int Alternatives, BudgetSet Budgets, GenerationProgress Generation);

/// <param name="Metrics">Costs of every evaluated subnet: FLOPs, parameters, then any other metric the budgets use.</param>
/// <param name="Evaluated">Every subnet in the fitness cache, in evaluation order.</param>
/// <param name="FrontMetrics">The metrics the budgets constrain (FLOPs when there are none).</param>
/// <param name="ParetoFront">The non-dominated evaluated subnets over fitness and the <paramref name="FrontMetrics"/>.</param>
public sealed record SearchReport(
    IReadOnlyList<AlternativeResult> Alternatives,
    IReadOnlyList<CostMetric> Metrics,
    IReadOnlyList<EvaluatedSubnet> Evaluated,
    IReadOnlyList<string> FrontMetrics,
    IReadOnlyList<EvaluatedSubnet> ParetoFront,
    int Evaluations,
    int CacheHits,
    TimeSpan Elapsed)
{
    /// <summary>The two-objective front of fitness against one metric, e.g. for an accuracy–latency plot.</summary>
    public IReadOnlyList<EvaluatedSubnet> FrontFor(string metric) => Search.ParetoFront.Of(Evaluated, [metric]);
}

/// <summary>Runs one evolutionary search per alternative budget set, all sharing one fitness cache.</summary>
public static class SearchRunner
{
    public static SearchReport Run(SearchSpace space, IReadOnlyList<BudgetSet> alternatives, ISubnetEvaluator evaluator, EvolutionOptions options,
        Action<SearchProgress>? progress = null, IReadOnlyList<Subnet>? seeds = null, CancellationToken cancel = default) =>
        Run(space, alternatives, new FitnessCache(evaluator), options, progress, seeds, cancel);

    /// <summary>
    /// Checks every alternative is feasible before evaluating anything, then searches them in order (alternative i uses
    /// seed <c>options.Seed + i</c>). A winner is the fittest cached subnet that meets its budgets (the cheapest of equals),
    /// so it may come from another alternative's search.
    /// </summary>
    public static SearchReport Run(SearchSpace space, IReadOnlyList<BudgetSet> alternatives, FitnessCache cache, EvolutionOptions options,
        Action<SearchProgress>? progress = null, IReadOnlyList<Subnet>? seeds = null, CancellationToken cancel = default)
    {
        if (alternatives.Count == 0) throw new SearchException("no budget to search for");
        options.Validate();
        foreach (var alternative in alternatives) alternative.EnsureFeasible(space);
        var clock = Stopwatch.StartNew();
        var (evaluations, hits) = (cache.Evaluations, cache.Hits);
        var sources = MetricSources(space, alternatives);

        var searches = new List<(BudgetSet Budgets, SearchStats Stats)>();
        for (var i = 0; i < alternatives.Count; i++)
        {
            var index = i;
            var result = Evolution.Run(space, alternatives[i], cache, options with { Seed = options.Seed + i }, seeds,
                g => progress?.Invoke(new SearchProgress(index, alternatives.Count, alternatives[index], g)), cancel);
            searches.Add((alternatives[i], result.Stats));
        }

        EvaluatedSubnet WithCosts(ScoredSubnet s) =>
            new(s.Subnet, s.Fitness, sources.ToDictionary(m => m.Metric, m => m.Cost(s.Subnet), StringComparer.Ordinal));
        var evaluated = cache.Entries.Select(WithCosts).ToList();
        var results = searches.Select(s =>
        {
            // Of equally fit subnets the cheaper one (relative to the limits) wins: the extra cost buys nothing measured.
            var winner = evaluated.Where(e => s.Budgets.Allows(e.Subnet))
                .OrderByDescending(e => e.Fitness).ThenBy(e => s.Budgets.Budgets.Sum(b => e.Costs[b.Metric] / b.Limit))
                .ThenBy(e => e.Key, StringComparer.Ordinal).First();
            return new AlternativeResult(s.Budgets, winner, s.Stats);
        }).ToList();
        var metrics = sources.Select(m => new CostMetric(m.Metric, m.Unit)).ToList();
        // Only constrained costs span the front: every extra metric makes more subnets non-dominated.
        var frontMetrics = alternatives.SelectMany(a => a.Budgets).Select(b => b.Metric).DefaultIfEmpty("flops").Distinct().ToList();
        return new SearchReport(results, metrics, evaluated, frontMetrics, ParetoFront.Of(evaluated, frontMetrics),
            cache.Evaluations - evaluations, cache.Hits - hits, clock.Elapsed);
    }

    /// <summary>FLOPs and parameters always, then each other metric the budgets use (first budget of each metric computes it).</summary>
    private static List<IBudget> MetricSources(SearchSpace space, IReadOnlyList<BudgetSet> alternatives)
    {
        var sources = new List<IBudget> { new FlopsBudget(space, double.PositiveInfinity), new ParamsBudget(space, double.PositiveInfinity) };
        foreach (var b in alternatives.SelectMany(a => a.Budgets))
            if (sources.All(s => s.Metric != b.Metric)) sources.Add(b);
        return sources;
    }
}
