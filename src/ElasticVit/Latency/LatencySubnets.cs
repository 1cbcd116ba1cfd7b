using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>Subnets for calibrating and validating latency predictors, spread over a space's FLOPs range.</summary>
public static class LatencySubnets
{
    private const int DrawsPerLevel = 50;

    /// <summary>
    /// <paramref name="count"/> distinct subnets: the min and max subnets (at the smallest and largest allowed resolution),
    /// then draws round-robin over the space's FLOPs levels (<see cref="LevelSampler"/>). With <paramref name="resolutions"/>,
    /// only subnets at those resolutions are kept; a level that yields none is replaced in the round by a uniform draw
    /// (<see cref="RandomSubnets"/>) at an allowed resolution, so the FLOPs range above the usable levels is covered too.
    /// </summary>
    public static IReadOnlyList<Subnet> Spread(SearchSpace space, int count, int seed = 0, IReadOnlyCollection<int>? resolutions = null)
    {
        if (count < 1) throw new LatencyException($"need at least one subnet, got {count}");
        var allowed = (resolutions is { Count: > 0 } ? resolutions : space.Resolutions).Order().ToArray();
        foreach (var r in allowed.Where(r => !space.Resolutions.Contains(r)))
            throw new LatencyException($"resolution {r} is not one of {{{string.Join(", ", space.Resolutions)}}} of {space.Name}");
        var rng = new SeededRandom(seed);
        var chosen = new List<Subnet>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        void Add(Subnet s)
        {
            if (chosen.Count < count && keys.Add(s.Key)) chosen.Add(s);
        }

        Add(At(space.MinSubnet, allowed[0]));
        Add(At(space.MaxSubnet, allowed[^1]));
        Func<Subnet?> uniform = () => At(RandomSubnets.Draw(space, rng), allowed[rng.Next(allowed.Length)]);
        var sources = space.Levels.Select(l => LevelSampler.ForLevel(space, l.FlopsM))
            .Select(level => (Func<Subnet?>)(() => Draw(level, allowed, rng))).ToList();
        if (sources.Count == 0) sources.Add(uniform);
        for (var misses = 0; chosen.Count < count && misses < 100 * count;)
        {
            var before = chosen.Count;
            for (var i = 0; i < sources.Count && chosen.Count < count; i++)
            {
                if (sources[i]() is { } s) Add(s);
                else
                {
                    sources.RemoveAt(i--);
                    if (!sources.Contains(uniform)) sources.Add(uniform);
                }
            }
            misses += chosen.Count == before ? 1 : 0;
        }
        return chosen;
    }

    private static Subnet? Draw(LevelSampler level, int[] allowed, Random rng)
    {
        for (var i = 0; i < DrawsPerLevel; i++)
        {
            Subnet s;
            try { s = level.Draw(rng); }
            catch (SamplingException) { return null; }
            if (allowed.Contains(s.Resolution)) return s;
        }
        return null;
    }

    private static Subnet At(Subnet s, int resolution) => new(resolution, s.Stem, s.Stages);
}
