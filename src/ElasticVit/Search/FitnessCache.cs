using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>Scores subnets (higher is better), a batch at a time so an implementation can share work across them.</summary>
public interface ISubnetEvaluator
{
    /// <summary>One fitness per subnet, in order. Never called with the same key twice through a <see cref="FitnessCache"/>.</summary>
    double[] Evaluate(IReadOnlyList<Subnet> subnets);
}

/// <summary>An evaluator from a delegate.</summary>
public sealed class DelegateEvaluator(Func<IReadOnlyList<Subnet>, double[]> evaluate) : ISubnetEvaluator
{
    public static DelegateEvaluator PerSubnet(Func<Subnet, double> fitness) => new(batch => batch.Select(fitness).ToArray());

    public double[] Evaluate(IReadOnlyList<Subnet> subnets) => evaluate(subnets);
}

public sealed record ScoredSubnet(Subnet Subnet, double Fitness);

/// <summary>
/// Fitness by subnet key: each key is evaluated at most once. Shared by all searches of a run; entries keep
/// insertion order so anything derived from them is deterministic.
/// </summary>
public sealed class FitnessCache(ISubnetEvaluator evaluator)
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<ScoredSubnet> _entries = [];

    /// <summary>Subnets passed to the evaluator.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Requests answered from the cache.</summary>
    public int Hits { get; private set; }

    public int Count => _entries.Count;
    public IReadOnlyList<ScoredSubnet> Entries => _entries;

    public bool TryGet(Subnet subnet, out double fitness)
    {
        var found = _index.TryGetValue(subnet.Key, out var i);
        fitness = found ? _entries[i].Fitness : double.NaN;
        return found;
    }

    /// <summary>Adds a known result, e.g. from an earlier run; it is not counted as an evaluation.</summary>
    public void Add(Subnet subnet, double fitness)
    {
        if (_index.ContainsKey(subnet.Key)) return;
        _index[subnet.Key] = _entries.Count;
        _entries.Add(new ScoredSubnet(subnet, fitness));
    }

    /// <summary>Fitness of every subnet; the ones not cached yet go to the evaluator in one batch (duplicates once).</summary>
    public double[] Evaluate(IReadOnlyList<Subnet> subnets)
    {
        var missing = new List<Subnet>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in subnets)
        {
            if (_index.ContainsKey(s.Key) || !seen.Add(s.Key)) Hits++;
            else missing.Add(s);
        }
        if (missing.Count > 0)
        {
            var scores = evaluator.Evaluate(missing);
            if (scores.Length != missing.Count)
                throw new InvalidOperationException($"the evaluator returned {scores.Length} scores for {missing.Count} subnets");
            for (var i = 0; i < missing.Count; i++)
            {
                if (!double.IsFinite(scores[i])) throw new SearchException($"the fitness of {missing[i].Key} is {scores[i]}, not a finite number");
                Add(missing[i], scores[i]);
            }
            Evaluations += missing.Count;
        }
        return subnets.Select(s => _entries[_index[s.Key]].Fitness).ToArray();
    }
}
