namespace ElasticVit.Sampling;

/// <summary>Settings of the training samplers; the defaults are the paper's (METHOD.md §5–6).</summary>
public sealed record SamplerOptions
{
    /// <summary>Subnets drawn at the step's level (CAS and PAS; the paper: 3); the level's min subnet comes on top.</summary>
    public int LevelSubnets { get; init; } = 3;

    /// <summary>
    /// Probability that a CAS or PAS step trains the space's min subnet in place of its level's min subnet (0, the paper's
    /// sampler: always the level's). Otherwise a level walk trains the space's min subnet only at the levels whose min
    /// subnet it is: one level of seven in the lighter fmnist space.
    /// </summary>
    public double SpaceMinShare { get; init; }

    /// <summary>Rejection tries per level draw before giving up with <see cref="SamplingException"/>.</summary>
    public int MaxTries { get; init; } = LevelSampler.DefaultMaxTries;

    /// <summary>
    /// 0: every level draw is a fresh rejection draw. N &gt; 0: each level draws uniformly from a fixed pool of
    /// N subnets (the official code keeps 150,000), each entry drawn by rejection the first time it is picked,
    /// from its own seed derived from the sampler's. Worth it where a level accepts few tries: at ImageNet
    /// level 500 about 1 in 3,000, so a cas-pas step there takes ~20 ms without a pool and ~0.1 ms once a
    /// pool of 2,000 has filled. The fmnist space needs none (~0.4 ms per cas-pas step).
    /// </summary>
    public int LevelPoolSize { get; init; }

    /// <summary>Memory-bank capacity of levels below <see cref="LargeLevelFlopsM"/>.</summary>
    public int BankCapacity { get; init; } = 150;

    /// <summary>Memory-bank capacity of levels at or above <see cref="LargeLevelFlopsM"/>.</summary>
    public int LargeLevelBankCapacity { get; init; } = 50;

    public double LargeLevelFlopsM { get; init; } = 500;

    /// <summary>Candidates drawn when exploring a bank that is at least half full; the one with the smallest path preference is kept.</summary>
    public int ExploreCandidates { get; init; } = 5;

    /// <summary>Exploit probability q at the start of the run.</summary>
    public double ExploitStart { get; init; } = 0.2;

    /// <summary>Added to q at each of the <see cref="ExploitSegments"/> equal segments of the run after the first (0.15 per 100 epochs of 600).</summary>
    public double ExploitIncrement { get; init; } = 0.15;

    public int ExploitSegments { get; init; } = 6;

    public int BankCapacityFor(double levelFlopsM) => levelFlopsM < LargeLevelFlopsM ? BankCapacity : LargeLevelBankCapacity;

    /// <summary>q after <paramref name="fraction"/> of the run: start + increment · (completed segments), at most 1.</summary>
    public double ExploitProbability(double fraction)
    {
        var segment = Math.Clamp((int)Math.Floor(fraction * ExploitSegments), 0, ExploitSegments - 1);
        return Math.Min(1, ExploitStart + ExploitIncrement * segment);
    }

    internal void Validate()
    {
        Check(LevelSubnets >= 1, $"LevelSubnets must be ≥ 1, got {LevelSubnets}");
        Check(SpaceMinShare is >= 0 and <= 1, $"SpaceMinShare must be in [0, 1], got {SpaceMinShare}");
        Check(MaxTries >= 1, $"MaxTries must be ≥ 1, got {MaxTries}");
        Check(LevelPoolSize >= 0, $"LevelPoolSize must be ≥ 0, got {LevelPoolSize}");
        Check(BankCapacity >= 1, $"BankCapacity must be ≥ 1, got {BankCapacity}");
        Check(LargeLevelBankCapacity >= 1, $"LargeLevelBankCapacity must be ≥ 1, got {LargeLevelBankCapacity}");
        Check(ExploreCandidates >= 1, $"ExploreCandidates must be ≥ 1, got {ExploreCandidates}");
        Check(ExploitSegments >= 1, $"ExploitSegments must be ≥ 1, got {ExploitSegments}");
        Check(ExploitStart is >= 0 and <= 1, $"ExploitStart must be in [0, 1], got {ExploitStart}");
        Check(ExploitIncrement >= 0, $"ExploitIncrement must be ≥ 0, got {ExploitIncrement}");
    }

    private static void Check(bool ok, string problem)
    {
        if (!ok) throw new SamplingException($"invalid sampler options: {problem}");
    }
}
