using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>A subnet with its score (−cross-entropy on a mini-batch; higher is better).</summary>
public sealed record BankEntry(Subnet Subnet, double Score);

/// <summary>The memory bank of one FLOPs level: at most <see cref="Capacity"/> distinct subnets with their latest scores.</summary>
public sealed class MemoryBank
{
    private readonly List<BankEntry> _entries = [];

    public MemoryBank(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }
    public int Count => _entries.Count;
    public IReadOnlyList<BankEntry> Entries => _entries;
    public bool IsMoreThanHalfFull => 2 * Count > Capacity;
    public bool IsLessThanHalfFull => 2 * Count < Capacity;

    /// <summary>The entry with the highest score (the first of equals), or null when empty.</summary>
    public BankEntry? Best => _entries.Count == 0 ? null : _entries.MaxBy(e => e.Score);

    /// <summary>
    /// Appends the subnet when there is room, otherwise replaces the worst entry when the new score is higher.
    /// A subnet already in the bank only gets the new score (the bank never holds duplicates). Returns whether
    /// the bank changed.
    /// </summary>
    public bool Offer(Subnet subnet, double score)
    {
        RequireFinite(score, subnet);
        var existing = _entries.FindIndex(e => e.Subnet == subnet);
        if (existing >= 0)
        {
            _entries[existing] = new BankEntry(subnet, score);
            return true;
        }
        if (Count < Capacity)
        {
            _entries.Add(new BankEntry(subnet, score));
            return true;
        }
        var worst = 0;
        for (var i = 1; i < _entries.Count; i++)
            if (_entries[i].Score < _entries[worst].Score) worst = i;
        if (score <= _entries[worst].Score) return false;
        _entries[worst] = new BankEntry(subnet, score);
        return true;
    }

    /// <summary>An entry's subnet drawn with probability ∝ softmax(scores).</summary>
    public Subnet SampleBySoftmax(Random rng)
    {
        if (Count == 0) throw new InvalidOperationException("cannot sample from an empty memory bank");
        var max = _entries.Max(e => e.Score);
        var weights = _entries.Select(e => Math.Exp(e.Score - max)).ToArray();
        var u = rng.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return _entries[i].Subnet;
        }
        return _entries[^1].Subnet;
    }

    /// <summary>Replaces every score, in entry order.</summary>
    public void Rescore(IReadOnlyList<double> scores)
    {
        if (scores.Count != Count) throw new ArgumentException($"expected {Count} scores, got {scores.Count}", nameof(scores));
        for (var i = 0; i < Count; i++)
        {
            RequireFinite(scores[i], _entries[i].Subnet);
            _entries[i] = _entries[i] with { Score = scores[i] };
        }
    }

    public int RemoveWhere(Predicate<Subnet> drop) => _entries.RemoveAll(e => drop(e.Subnet));

    public void Clear() => _entries.Clear();

    private static void RequireFinite(double score, Subnet subnet)
    {
        if (!double.IsFinite(score)) throw new InvalidOperationException($"the scorer returned {score} for subnet {subnet.Key}; scores must be finite");
    }
}
