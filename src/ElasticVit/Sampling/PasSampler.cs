using System.Text.Json.Nodes;
using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>
/// Complexity-aware plus performance-aware sampling, "cas-pas" (METHOD.md §6). The level walk is CAS's;
/// each of the Level subnets is either exploited from the level's memory bank (probability q, only
/// when the bank is more than half full, entry ∝ softmax(scores)) or explored: the candidate with the
/// smallest <see cref="PathPreference"/> among up to <see cref="SamplerOptions.ExploreCandidates"/> level
/// draws (one while the bank is less than half full). Explored subnets in range are scored with the
/// trainer's scorer and offered to the bank. Needs <see cref="OnBatch"/> before every step.
/// </summary>
public sealed class PasSampler : CasSampler
{
    private readonly MemoryBank[] _banks;
    private Func<IReadOnlyList<Subnet>, double[]>? _scorer;
    private double _q;

    public PasSampler(SearchSpace space, SeededRandom rng, SamplerOptions options)
        : base("cas-pas", space, rng, options, randomLevels: false)
    {
        _banks = space.Levels.Select(l => new MemoryBank(options.BankCapacityFor(l.FlopsM))).ToArray();
        _q = options.ExploitProbability(0);
    }

    public IReadOnlyList<MemoryBank> Banks => _banks;

    /// <summary>The current exploit probability q.</summary>
    public double ExploitProbability => _q;

    /// <summary>The path-preference anchor: the best subnet of the lowest level's bank, or the space's min subnet.</summary>
    public Subnet Anchor => _banks[0].Best?.Subnet ?? Space.MinSubnet;

    public override void OnBatch(TrainingProgress progress, Func<IReadOnlyList<Subnet>, double[]> scorer)
    {
        base.OnBatch(progress, scorer);
        _scorer = scorer;
        _q = Options.ExploitProbability(progress.Fraction);
        if (progress.BatchInEpoch == 0)
        {
            for (var level = 0; level < _banks.Length; level++) Rescore(level);
        }
        else if (IsQuarterMark(progress.BatchInEpoch, progress.BatchesPerEpoch))
        {
            Rescore(LevelIndex);
        }
    }

    public override SamplerStep NextStep()
    {
        var level = MoveLevel();
        var bank = _banks[level];
        var n = Options.LevelSubnets;
        var subnets = new SampledSubnet[n + 1];
        var explored = new List<Subnet>(n);
        for (var i = 0; i < n; i++)
        {
            if (bank.IsMoreThanHalfFull && Rng.NextDouble() < _q)
            {
                subnets[i] = new SampledSubnet(bank.SampleBySoftmax(Rng), SubnetRole.Level, FromBank: true);
                continue;
            }
            var subnet = Explore(level, bank);
            explored.Add(subnet);
            subnets[i] = new SampledSubnet(subnet, SubnetRole.Level);
        }
        subnets[n] = LevelMin(level);

        var inRange = explored.Where(Levels[level].Contains).ToArray();
        if (inRange.Length > 0)
        {
            var scores = Score(inRange);
            for (var i = 0; i < inRange.Length; i++) bank.Offer(inRange[i], scores[i]);
        }
        return Step(level, subnets);
    }

    private Subnet Explore(int level, MemoryBank bank)
    {
        var candidates = bank.IsLessThanHalfFull ? 1 : Options.ExploreCandidates;
        var best = DrawAtLevel(level);
        if (candidates == 1) return best;
        var anchor = Anchor;
        var bestPreference = PathPreference.Of(Space, best, anchor);
        for (var i = 1; i < candidates; i++)
        {
            var candidate = DrawAtLevel(level);
            var preference = PathPreference.Of(Space, candidate, anchor);
            if (preference < bestPreference) (best, bestPreference) = (candidate, preference);
        }
        return best;
    }

    /// <summary>Drops the entries no longer in the level's FLOPs range and rescores the rest.</summary>
    private void Rescore(int level)
    {
        var bank = _banks[level];
        bank.RemoveWhere(s => !Levels[level].Contains(s));
        if (bank.Count > 0) bank.Rescore(Score(bank.Entries.Select(e => e.Subnet).ToArray()));
    }

    private double[] Score(IReadOnlyList<Subnet> subnets)
    {
        if (_scorer is null) throw new InvalidOperationException($"sampler {Name} needs OnBatch(progress, scorer) before NextStep");
        var scores = _scorer(subnets);
        if (scores.Length != subnets.Count)
            throw new InvalidOperationException($"the scorer returned {scores.Length} scores for {subnets.Count} subnets");
        return scores;
    }

    /// <summary>Whether a batch is at ¼, ½ or ¾ of its epoch.</summary>
    private static bool IsQuarterMark(int batch, int batchesPerEpoch)
    {
        for (var k = 1; k <= 3; k++)
            if (batch == k * batchesPerEpoch / 4) return true;
        return false;
    }

    protected override void WriteState(JsonObject state)
    {
        base.WriteState(state);
        state["q"] = _q;
        state["banks"] = new JsonArray(_banks.Select((bank, level) => (JsonNode)new JsonObject
        {
            ["level_flops_m"] = Space.Levels[level].FlopsM,
            ["entries"] = new JsonArray(bank.Entries.Select(e => (JsonNode)new JsonObject { ["key"] = e.Subnet.Key, ["score"] = e.Score }).ToArray()),
        }).ToArray());
    }

    protected override void ReadState(JsonObject state)
    {
        var q = Read<double>(state, "q");
        var banks = ReadArray(state, "banks");
        if (banks.Count != _banks.Length)
            throw new SamplingException($"sampler state has {banks.Count} memory banks, {Space.Name} has {_banks.Length} levels");
        var restored = new List<BankEntry>[banks.Count];
        for (var level = 0; level < banks.Count; level++)
        {
            var bank = banks[level] as JsonObject ?? throw new SamplingException($"sampler state: memory bank {level} is not an object");
            var entries = ReadArray(bank, "entries");
            restored[level] = entries.Select(e => e as JsonObject ?? throw new SamplingException($"sampler state: memory bank {level} has an entry that is not an object"))
                .Select(e => new BankEntry(ParseKey(Read<string>(e, "key")), Read<double>(e, "score"))).ToList();
        }
        base.ReadState(state);
        _q = q;
        // A bank saved with a larger capacity (a run started before its recipe's capacity changed) keeps its best entries.
        for (var level = 0; level < banks.Count; level++)
        {
            _banks[level].Clear();
            foreach (var e in restored[level]) _banks[level].Offer(e.Subnet, e.Score);
        }
    }

    private Subnet ParseKey(string key)
    {
        try { return Subnet.Parse(key, Space); }
        catch (SpaceException e) { throw new SamplingException($"sampler state: {e.Message}"); }
    }
}
