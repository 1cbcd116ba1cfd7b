using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>Thrown when a level cannot be sampled (no subnet found within the bounded number of tries).</summary>
public sealed class SamplingException(string message) : UserError(message);

/// <summary>
/// Draws subnets "at a FLOPs level" T: FLOPs in [T, T + 2·bound], by bounded rejection inside the sub-space
/// that dominates the level's min subnet. The result is the same as drawing with
/// <see cref="RandomSubnets.Draw"/> until one is in range, but a rejected try allocates nothing.
/// </summary>
public sealed class LevelSampler
{
    public const int DefaultMaxTries = 200_000;

    private readonly FlopsCache _flops;

    public SearchSpace Space { get; }
    public double LevelFlopsM { get; }
    public Subnet Floor { get; }
    public int MaxTries { get; }
    public double LowFlopsM => LevelFlopsM;
    public double HighFlopsM => LevelFlopsM + 2 * Space.FlopsBoundM;

    public LevelSampler(SearchSpace space, double levelFlopsM, Subnet floor, int maxTries = DefaultMaxTries)
        : this(space, levelFlopsM, floor, maxTries, new FlopsCache(space))
    {
    }

    internal LevelSampler(SearchSpace space, double levelFlopsM, Subnet floor, int maxTries, FlopsCache flops)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTries, 1);
        Space = space;
        LevelFlopsM = levelFlopsM;
        Floor = floor;
        MaxTries = maxTries;
        _flops = flops;
    }

    /// <summary>A sampler for an arbitrary level: the floor is the min subnet of the highest space level ≤ T (or the global min).</summary>
    public static LevelSampler ForLevel(SearchSpace space, double levelFlopsM)
    {
        var floor = space.Levels.LastOrDefault(l => l.FlopsM <= levelFlopsM)?.MinSubnet ?? space.MinSubnet;
        return new LevelSampler(space, levelFlopsM, floor);
    }

    public bool InRange(double flopsM) => flopsM >= LowFlopsM && flopsM <= HighFlopsM;

    /// <summary>Whether <paramref name="subnet"/>'s FLOPs are in this level's range.</summary>
    public bool Contains(Subnet subnet) => InRange(_flops.FlopsM(subnet));

    public Subnet Draw(Random rng)
    {
        Span<int> values = stackalloc int[RandomSubnets.ValueCount(Space)];
        for (var i = 0; i < MaxTries; i++)
        {
            RandomSubnets.DrawValues(Space, rng, Floor, values);
            if (InRange(_flops.FlopsM(values, stopAboveM: HighFlopsM))) return RandomSubnets.Build(Space, values);
        }
        throw new SamplingException(
            $"no subnet of {Space.Name} with FLOPs in [{LowFlopsM:G}, {HighFlopsM:G}]M above min subnet {Floor.Key} found in {MaxTries} tries; the level is infeasible or too narrow");
    }
}
