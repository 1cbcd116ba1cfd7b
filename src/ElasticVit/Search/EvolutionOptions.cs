namespace ElasticVit.Search;

/// <summary>
/// Settings of the evolutionary search (METHOD.md §8). Each generation keeps the top half of the population as
/// parents and adds a quarter of mutants and a quarter of crossovers.
/// </summary>
public sealed record EvolutionOptions
{
    public int Population { get; init; } = 64;
    public int Generations { get; init; } = 10;

    /// <summary>Probability that the resolution, the stem, or one stage is resampled in a mutant.</summary>
    public double MutationProb { get; init; } = 0.2;

    /// <summary>Probability that a mutant resamples every depth.</summary>
    public double DepthResampleProb { get; init; } = 0.4;

    public int Seed { get; init; }

    /// <summary>
    /// Share of the initial population that seeds (e.g. memory-bank subnets) may fill at most; random subnets fill the rest,
    /// so a small population does not start as a copy of one bank.
    /// </summary>
    public double MaxSeedShare { get; init; } = 0.5;

    /// <summary>Random draws allowed per initial subnet before the population is left smaller (the feasible region is exhausted).</summary>
    public int MaxInitTries { get; init; } = 1000;

    /// <summary>Attempts allowed per child before its slot is left empty (over budget or already in the population).</summary>
    public int MaxChildTries { get; init; } = 100;

    /// <summary>Pre-screen children with a ridge-regression fitness predictor trained on everything evaluated so far.</summary>
    public bool UsePredictor { get; init; }

    /// <summary>With the predictor: children generated per child evaluated.</summary>
    public int PredictorOversample { get; init; } = 3;

    /// <summary>With the predictor: evaluations needed before it is trusted.</summary>
    public int PredictorMinSamples { get; init; } = 32;

    public double RidgeLambda { get; init; } = 1.0;

    /// <summary>The paper's settings: 512 subnets, 40 generations.</summary>
    public static EvolutionOptions Paper { get; } = new() { Population = 512, Generations = 40 };

    /// <summary>Minutes on 2 cores for the Fashion-MNIST space: at most 64 + 10 · 32 = 384 evaluations per budget.</summary>
    public static EvolutionOptions Quick { get; } = new() { Population = 64, Generations = 10 };

    public int Parents => Population / 2;
    public int MaxSeeds => (int)(Population * MaxSeedShare);
    public int Mutants => Population / 4;
    public int Crossovers => Population - Parents - Mutants;

    internal void Validate()
    {
        if (Population < 4) throw new SearchException($"population {Population} is too small (at least 4)");
        if (Generations < 0) throw new SearchException($"generations {Generations} must not be negative");
        if (MutationProb is < 0 or > 1 || DepthResampleProb is < 0 or > 1)
            throw new SearchException($"mutation probabilities {MutationProb}, {DepthResampleProb} must lie in [0, 1]");
        if (MaxSeedShare is < 0 or > 1) throw new SearchException($"seed share {MaxSeedShare} must lie in [0, 1]");
        if (MaxInitTries < 1 || MaxChildTries < 1) throw new SearchException("retry bounds must be positive");
        if (PredictorOversample < 1 || PredictorMinSamples < 2 || !(RidgeLambda > 0))
            throw new SearchException("predictor settings: oversample ≥ 1, min samples ≥ 2 and a positive ridge lambda");
    }
}
