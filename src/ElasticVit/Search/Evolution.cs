using ElasticVit.Sampling;
using System.Diagnostics;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>Statistics of one evolutionary search.</summary>
/// <param name="Evaluations">Subnets this search sent to the evaluator.</param>
/// <param name="CacheHits">Requests answered by the shared cache instead.</param>
/// <param name="Rejections">Candidates (initial draws and children) that broke the budget and were never evaluated.</param>
/// <param name="Duplicates">Children discarded because they were already in the population.</param>
/// <param name="BestPerGeneration">Best fitness of the population; index 0 is the initial population.</param>
/// <param name="PredictorSpearman">Rank correlation of predicted and actual fitness over all pre-screened evaluations (NaN when unused).</param>
public sealed record SearchStats(
    int Evaluations,
    int CacheHits,
    int Rejections,
    int Duplicates,
    TimeSpan Elapsed,
    IReadOnlyList<double> BestPerGeneration,
    double PredictorSpearman,
    IReadOnlyList<double> PredictorSpearmanPerGeneration);

public sealed record EvolutionResult(ScoredSubnet Best, IReadOnlyList<ScoredSubnet> Population, SearchStats Stats);

/// <summary>Reported after the initial population (generation 0) and after every generation.</summary>
public sealed record GenerationProgress(int Generation, int Generations, ScoredSubnet Best, int Evaluations);

/// <summary>
/// Evolutionary search under a budget (METHOD.md §8). Candidates that break the budget are never evaluated;
/// fitness comes from a shared <see cref="FitnessCache"/>; a seeded <see cref="Random"/> makes runs repeatable.
/// </summary>
public sealed class Evolution
{
    private readonly SearchSpace _space;
    private readonly BudgetSet _budgets;
    private readonly FitnessCache _cache;
    private readonly EvolutionOptions _options;
    private readonly Genome _genome;
    private readonly Random _rng;
    private int _rejections, _duplicates;
    private readonly List<double> _predicted = [], _actual = [], _spearmanPerGeneration = [];

    private Evolution(SearchSpace space, BudgetSet budgets, FitnessCache cache, EvolutionOptions options)
    {
        (_space, _budgets, _cache, _options) = (space, budgets, cache, options);
        _genome = new Genome(space);
        _rng = new SeededRandom(options.Seed);
    }

    /// <summary>
    /// Runs one search. <paramref name="seeds"/> (e.g. memory-bank subnets) join the initial population in order when they
    /// meet the budget, up to <see cref="EvolutionOptions.MaxSeeds"/>. Throws <see cref="SearchException"/> at once when the budget is infeasible.
    /// </summary>
    public static EvolutionResult Run(SearchSpace space, BudgetSet budgets, FitnessCache cache, EvolutionOptions options,
        IReadOnlyList<Subnet>? seeds = null, Action<GenerationProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        var anchor = budgets.EnsureFeasible(space);
        return new Evolution(space, budgets, cache, options).Execute(anchor, seeds ?? [], progress, cancel);
    }

    private EvolutionResult Execute(Subnet anchor, IReadOnlyList<Subnet> seeds, Action<GenerationProgress>? progress, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var (evaluations, hits) = (_cache.Evaluations, _cache.Hits);
        var initial = InitialPopulation(anchor, seeds, cancel);
        var population = Rank(initial.Zip(_cache.Evaluate(initial), (s, f) => new ScoredSubnet(s, f)));
        var best = new List<double> { population[0].Fitness };
        progress?.Invoke(new GenerationProgress(0, _options.Generations, population[0], _cache.Evaluations - evaluations));

        for (var generation = 1; generation <= _options.Generations; generation++)
        {
            cancel.ThrowIfCancellationRequested();
            var parents = population.Take(_options.Parents).ToList();
            var children = Children(parents, out var predictions);
            var scores = _cache.Evaluate(children);
            RecordPredictions(predictions, children, scores);
            population = Rank(parents.Concat(children.Zip(scores, (s, f) => new ScoredSubnet(s, f))));
            best.Add(population[0].Fitness);
            progress?.Invoke(new GenerationProgress(generation, _options.Generations, population[0], _cache.Evaluations - evaluations));
        }

        var stats = new SearchStats(_cache.Evaluations - evaluations, _cache.Hits - hits, _rejections, _duplicates, clock.Elapsed, best,
            _options.UsePredictor ? Spearman.Of(_predicted, _actual) : double.NaN, _spearmanPerGeneration);
        return new EvolutionResult(population[0], population, stats);
    }

    /// <summary>
    /// Seeds that meet the budget (at most <see cref="EvolutionOptions.MaxSeeds"/>), then random draws. A draw over budget is shrunk towards the feasible anchor one
    /// step at a time until it fits, so tight budgets still fill the population with distinct subnets near the limit.
    /// </summary>
    private List<Subnet> InitialPopulation(Subnet anchor, IReadOnlyList<Subnet> seeds, CancellationToken cancel)
    {
        var population = new List<Subnet>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var seed in seeds)
        {
            if (population.Count == _options.MaxSeeds) break;
            _space.Validate(seed);
            if (!_budgets.Allows(seed)) _rejections++;
            else if (taken.Add(seed.Key)) population.Add(seed);
        }
        var target = _genome.Encode(anchor);
        while (population.Count < _options.Population)
        {
            cancel.ThrowIfCancellationRequested();
            var added = false;
            for (var tries = 0; tries < _options.MaxInitTries && !added; tries++)
            {
                var draw = Sampling.RandomSubnets.Draw(_space, _rng);
                if (!_budgets.Allows(draw))
                {
                    _rejections++;
                    var g = _genome.Encode(draw);
                    do _genome.StepTowards(g, target, _rng);
                    while (!_budgets.Allows(draw = _genome.Decode(g)));
                }
                added = taken.Add(draw.Key);
                if (added) population.Add(draw);
            }
            if (!added) break; // fewer distinct feasible subnets than the population size
        }
        return population;
    }

    /// <summary>Mutants and crossovers of the parents that meet the budget and are new to the population.</summary>
    private List<Subnet> Children(IReadOnlyList<ScoredSubnet> parents, out Dictionary<string, double>? predictions)
    {
        predictions = null;
        var predictor = _options.UsePredictor && _cache.Count >= _options.PredictorMinSamples
            ? AccuracyPredictor.Fit(_genome, _cache.Entries, _options.RidgeLambda)
            : null;
        var factor = predictor is null ? 1 : _options.PredictorOversample;
        var genes = parents.Select(p => _genome.Encode(p.Subnet)).ToArray();
        var taken = new HashSet<string>(parents.Select(p => p.Subnet.Key), StringComparer.Ordinal);
        int[] Parent() => genes[_rng.Next(genes.Length)];
        var mutants = Offspring(_options.Mutants * factor, taken,
            () => _genome.Mutate(Parent(), _rng, _options.MutationProb, _options.DepthResampleProb));
        var crossovers = Offspring(_options.Crossovers * factor, taken, () => _genome.Crossover(Parent(), Parent(), _rng));
        if (predictor is null) return [.. mutants, .. crossovers];

        var predicted = mutants.Concat(crossovers).ToDictionary(s => s.Key, predictor.Predict, StringComparer.Ordinal);
        List<Subnet> Top(List<Subnet> candidates, int count) =>
            candidates.OrderByDescending(s => predicted[s.Key]).ThenBy(s => s.Key, StringComparer.Ordinal).Take(count).ToList();
        var selected = Top(mutants, _options.Mutants).Concat(Top(crossovers, _options.Crossovers)).ToList();
        predictions = selected.Where(s => !_cache.TryGet(s, out _)).ToDictionary(s => s.Key, s => predicted[s.Key], StringComparer.Ordinal);
        return selected;
    }

    private List<Subnet> Offspring(int count, HashSet<string> taken, Func<int[]> make)
    {
        var children = new List<Subnet>();
        for (var tries = 0; children.Count < count && tries < count * _options.MaxChildTries; tries++)
        {
            var child = _genome.Decode(make());
            if (taken.Contains(child.Key)) _duplicates++;
            else if (!_budgets.Allows(child)) _rejections++;
            else
            {
                taken.Add(child.Key);
                children.Add(child);
            }
        }
        return children;
    }

    /// <summary>Pairs the predictions made before evaluation with the results (held-out by construction).</summary>
    private void RecordPredictions(Dictionary<string, double>? predictions, List<Subnet> children, double[] scores)
    {
        if (predictions is null) return;
        var (predicted, actual) = (new List<double>(), new List<double>());
        for (var i = 0; i < children.Count; i++)
        {
            if (!predictions.TryGetValue(children[i].Key, out var p)) continue;
            predicted.Add(p);
            actual.Add(scores[i]);
        }
        _predicted.AddRange(predicted);
        _actual.AddRange(actual);
        _spearmanPerGeneration.Add(Spearman.Of(predicted, actual));
    }

    private static List<ScoredSubnet> Rank(IEnumerable<ScoredSubnet> scored) =>
        scored.OrderByDescending(s => s.Fitness).ThenBy(s => s.Subnet.Key, StringComparer.Ordinal).ToList();
}
