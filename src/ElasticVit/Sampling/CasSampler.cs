using System.Globalization;
using System.Text.Json.Nodes;
using ElasticVit.Spaces;

namespace ElasticVit.Sampling;

/// <summary>
/// Complexity-aware sampling (METHOD.md §5). Each step the level index moves by a random choice of
/// −1, 0 or +1 (at the lowest level 0, 0 or +1; at the highest −1, 0 or 0), starting from the lowest level;
/// the step is <see cref="SamplerOptions.LevelSubnets"/> subnets at that level (the paper: three) and the level's min subnet
/// (or the space's, <see cref="SamplerOptions.SpaceMinShare"/>). With <c>randomLevels</c> it is the
/// random-level baseline instead: each step's level is drawn independently and uniformly.
/// </summary>
public class CasSampler : TrainingSampler
{
    private readonly LevelSampler[] _levels;
    private readonly bool _randomLevels;
    private readonly Subnet?[][] _pools;
    private ulong _poolSeed;
    private int _level;

    public CasSampler(SearchSpace space, SeededRandom rng, SamplerOptions options, bool randomLevels = false)
        : this(randomLevels ? "random-level" : "cas", space, rng, options, randomLevels)
    {
    }

    protected CasSampler(string name, SearchSpace space, SeededRandom rng, SamplerOptions options, bool randomLevels)
        : base(name, space, rng)
    {
        options.Validate();
        if (space.Levels.Count == 0) throw new SamplingException($"sampler {name} needs FLOPs levels, and space {space.Name} defines none");
        var flops = new FlopsCache(space);
        _levels = space.Levels.Select(l => new LevelSampler(space, l.FlopsM, l.MinSubnet, options.MaxTries, flops)).ToArray();
        _randomLevels = randomLevels;
        _pools = space.Levels.Select(_ => new Subnet?[options.LevelPoolSize]).ToArray();
        if (options.LevelPoolSize > 0) _poolSeed = rng.NextUInt64();
        Options = options;
    }

    public SamplerOptions Options { get; }

    /// <summary>Index of the level of the latest step (0 before the first).</summary>
    public int LevelIndex => _level;

    public IReadOnlyList<LevelSampler> Levels => _levels;

    public override SamplerStep NextStep()
    {
        var level = MoveLevel();
        var n = Options.LevelSubnets;
        var subnets = new SampledSubnet[n + 1];
        for (var i = 0; i < n; i++) subnets[i] = new SampledSubnet(DrawAtLevel(level), SubnetRole.Level);
        subnets[n] = LevelMin(level);
        return Step(level, subnets);
    }

    protected int MoveLevel() => _level = _randomLevels
        ? Rng.Next(_levels.Length)
        : Math.Clamp(_level + Rng.Next(3) - 1, 0, _levels.Length - 1);

    /// <summary>A subnet at <paramref name="level"/>: a fresh rejection draw, or an entry of the level's pool.</summary>
    protected Subnet DrawAtLevel(int level)
    {
        var pool = _pools[level];
        if (pool.Length == 0) return _levels[level].Draw(Rng);
        var i = Rng.Next(pool.Length);
        // Each entry has its own generator, so entries can be filled in any order and are the same after a resume.
        return pool[i] ??= _levels[level].Draw(new SeededRandom(unchecked((long)(_poolSeed + ((ulong)level << 32) + (ulong)i))));
    }

    /// <summary>The step's min subnet: the level's, or with probability <see cref="SamplerOptions.SpaceMinShare"/> the space's.</summary>
    protected SampledSubnet LevelMin(int level)
    {
        // No draw when the share is 0, so the paper's sampler consumes the same random numbers as before the option.
        var spaceMin = Options.SpaceMinShare > 0 && Rng.NextDouble() < Options.SpaceMinShare;
        return new(spaceMin ? Space.MinSubnet : Space.Levels[level].MinSubnet, SubnetRole.LevelMin);
    }

    protected SamplerStep Step(int level, SampledSubnet[] subnets) => new(subnets, level, Space.Levels[level].FlopsM);

    protected override void WriteState(JsonObject state)
    {
        state["level"] = _level;
        if (Options.LevelPoolSize > 0) state["pool_seed"] = _poolSeed.ToString("x16", CultureInfo.InvariantCulture);
    }

    protected override void ReadState(JsonObject state)
    {
        var level = Read<int>(state, "level");
        if (level < 0 || level >= _levels.Length)
            throw new SamplingException($"sampler state level {level} is outside the {_levels.Length} levels of {Space.Name}");
        var seed = 0UL;
        if (Options.LevelPoolSize > 0 && !ulong.TryParse(Read<string>(state, "pool_seed"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out seed))
            throw new SamplingException("sampler state has no valid 'pool_seed'");
        _level = level;
        if (seed == _poolSeed) return;
        _poolSeed = seed;
        foreach (var pool in _pools) Array.Clear(pool);
    }
}
