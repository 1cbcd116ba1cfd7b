using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>How many budgets to place on one cost, and how the knee of the front is told.</summary>
/// <param name="Count">Budgets to place between the min subnet's cost and the knee, the last at the knee.</param>
/// <param name="PilotStrata">Equal slices of the cost range [min subnet, max subnet] with one pilot subnet each (the min subnet comes on top).</param>
/// <param name="Tolerance">The knee is the least pilot cost whose front is within this much fitness of the pilot's best, its single highest score not counted (0.005: half a point of top-1).</param>
/// <param name="MinSpan">The budgets span at least this share of the cost range, so a front flat from the min subnet on still gets budgets that differ; budgets placed on the front's steps lie at least this share divided by <paramref name="Count"/> apart.</param>
public sealed record KneeOptions(int Count = 3, int PilotStrata = 24, double Tolerance = 0.005, double MinSpan = 0.15)
{
    internal void Validate()
    {
        if (Count < 1) throw new SearchException($"knee budgets: count {Count} must be at least 1");
        if (PilotStrata < 2) throw new SearchException($"knee budgets: {PilotStrata} pilot strata are too few (at least 2)");
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance)) throw new SearchException($"knee budgets: tolerance {Tolerance} must be a finite non-negative fitness difference");
        if (MinSpan is <= 0 or > 1) throw new SearchException($"knee budgets: minimum span {MinSpan} must lie in (0, 1]");
    }
}

/// <summary>A pilot subnet: its cost in the knee's metric and its fitness.</summary>
public sealed record PilotPoint(Subnet Subnet, double Cost, double Fitness);

/// <summary>How the budgets were spread below the knee.</summary>
public enum KneePlacement
{
    /// <summary>Each limit is the cost of a pilot subnet on the front, the subnets chosen so their fitness rises in about
    /// equal steps from the cheapest pilot subnet's to the knee's.</summary>
    FrontSteps,

    /// <summary>Evenly in cost from the min subnet's cost (the first budget) to the knee (at least the minimum span): the front below the knee had
    /// too few steps far enough apart for one budget each.</summary>
    Even,
}

/// <summary>
/// Where the budgets went and why: the pilot's points, its best fitness (<see cref="KneeBudgets.Knee"/>) and the knee's
/// cost, how the budgets were spread and their limits in ascending order (in the metric's unit).
/// </summary>
public sealed record KneeChoice(string Metric, string Unit, KneeOptions Options, double MinCost, double MaxCost,
    IReadOnlyList<PilotPoint> Pilot, double BestFitness, double KneeCost, KneePlacement Placement, IReadOnlyList<double> Limits);

/// <summary>
/// Budgets placed where accuracy still changes with cost. Minutes of supernet training leave a front that rises from the
/// min subnet and then goes flat (bench/results/quality.md, session 24: 88.7 % at 0.18 ms, 91.5 % at 0.22 ms, then
/// 91.3–91.8 % up to 0.39 ms), so budgets spread evenly over the whole cost range all fall on the flat part and their
/// winners differ by noise. A pilot of subnets, one per slice of the range, is scored first (into the search's own
/// fitness cache, so none of it is wasted); the knee is the least cost at which the pilot's front comes within
/// <see cref="KneeOptions.Tolerance"/> of its best, one lucky score not counted. The budgets go on the front's steps below
/// the knee, spaced in fitness (<see cref="FrontSteps"/>), so each one's limit is a pilot subnet that beats every cheaper
/// one by a known margin and the winners differ; where the front has too few steps they spread evenly in cost.
/// </summary>
public static class KneeBudgets
{
    /// <summary>Random draws allowed per slice of the cost range before the slice is left without a pilot subnet.</summary>
    private const int TriesPerStratum = 200;

    /// <remarks>The levels' min subnets join the pilot: a conflict-aware run trains each of them at every step of its level,
    /// so they lie on or near the front at their cost, where a subnet drawn at random may pair choices that seldom train
    /// together (session 32's run Q: r32 subnets with the narrow stem of the r24 ones at 85–90 %, the r32 min subnet 90.6 %;
    /// without it the pilot's front had no step between the min subnet and the knee).</remarks>
    /// <param name="promising">Subnets likely near the front (the best of each memory bank), scored with the pilot: one random
    /// subnet per slice lies well below the front, which would put the knee too far out.</param>
    public static KneeChoice Choose(SearchSpace space, IBudget metric, FitnessCache cache, KneeOptions options, int seed, IReadOnlyList<Subnet>? promising = null)
    {
        options.Validate();
        var pilot = Pilot(space, metric.Cost, options.PilotStrata, seed);
        pilot = pilot.Concat(space.Levels.Select(l => l.MinSubnet)).Concat(promising ?? []).DistinctBy(s => s.Key, StringComparer.Ordinal).ToList();
        var fitness = cache.Evaluate(pilot);
        var points = pilot.Select((s, i) => new PilotPoint(s, metric.Cost(s), fitness[i])).OrderBy(p => p.Cost).ToList();
        var (minCost, maxCost) = (metric.Cost(space.MinSubnet), metric.Cost(space.MaxSubnet));
        var (best, knee, placement, limits) = Place(points, minCost, maxCost, options);
        return new KneeChoice(metric.Metric, metric.Unit, options, minCost, maxCost, points, best, knee, placement, limits);
    }

    /// <summary>The budgets for scored pilot points whose cost range (min to max subnet) is [<paramref name="minCost"/>, <paramref name="maxCost"/>].</summary>
    public static (double Best, double KneeCost, KneePlacement Placement, List<double> Limits) Place(
        IReadOnlyList<PilotPoint> points, double minCost, double maxCost, KneeOptions options)
    {
        options.Validate();
        var (best, knee) = Knee(points, options.Tolerance);
        var steps = FrontSteps(points, knee, options.Count, options.MinSpan * (maxCost - minCost) / options.Count);
        var span = Math.Max(knee - minCost, options.MinSpan * (maxCost - minCost));
        var limits = steps ?? EvenFromMin(minCost, span, options.Count);
        return (best, knee, steps is null ? KneePlacement.Even : KneePlacement.FrontSteps, limits.Select(RoundUp).ToList());
    }

    /// <summary>
    /// The limit rounded up to six significant digits, so it prints exactly as the budget it becomes and still admits a
    /// subnet that costs the unrounded limit (rounded to nearest, the knee's own subnet could fall just outside).
    /// </summary>
    public static double RoundUp(double limit)
    {
        var exponent = 5 - (int)Math.Floor(Math.Log10(limit));
        return exponent >= 0
            ? Math.Ceiling(limit * Math.Pow(10, exponent)) / Math.Pow(10, exponent)
            : Math.Ceiling(limit / Math.Pow(10, -exponent)) * Math.Pow(10, -exponent);
    }

    /// <summary>
    /// <paramref name="count"/> limits on the front's steps up to the knee, the last at the knee. The front is the pilot's
    /// running best (each point fitter than every cheaper one); budget k prefers the cheapest step whose fitness reaches
    /// k/count of the way from the cheapest point's fitness to the knee's, failing that the fittest step it may take. A
    /// budget may only take a step at least <paramref name="gap"/> above the previous budget (the first: above the cheapest
    /// point), so no two budgets crowd onto neighbouring steps whose subnets a search would beat alike. Where the preferred
    /// step leaves the later budgets no step of their own, the next is tried. Null when no placement exists.
    /// Evenly spaced budgets can fall just below a jump of the front and so miss it (session 26's quickstarts); a limit at a
    /// step's cost always admits that step's subnet.
    /// </summary>
    public static List<double>? FrontSteps(IReadOnlyList<PilotPoint> points, double kneeCost, int count, double gap)
    {
        var front = ParetoFront.Of(points.Where(p => p.Cost <= kneeCost), p => p.Fitness, [p => p.Cost]).OrderBy(p => p.Cost).ToList();
        var kneeIndex = front.Count - 1;   // the first point within the tolerance of the best is a step of the front
        var (low, high) = (front[0].Fitness, front[kneeIndex].Fitness);
        var deadEnds = new HashSet<(int Budget, int Step)>();   // steps for budget k after which the later budgets find none
        List<int>? Place(int k, double from)
        {
            if (k == count) return front[kneeIndex].Cost >= from ? [kneeIndex] : null;
            var to = front[kneeIndex].Cost - (count - k) * gap;
            var target = low + (high - low) * k / count;
            var allowed = Enumerable.Range(0, kneeIndex).Where(i => front[i].Cost >= from && front[i].Cost <= to).ToList();
            // The front's fitness rises with cost: the steps reaching the target cheapest first, then the others fittest first.
            var preferred = allowed.Where(i => front[i].Fitness >= target).Concat(allowed.Where(i => front[i].Fitness < target).Reverse());
            foreach (var i in preferred)
            {
                if (deadEnds.Contains((k, i))) continue;
                if (Place(k + 1, front[i].Cost + gap) is { } rest) return [i, .. rest];
                deadEnds.Add((k, i));
            }
            return null;
        }
        return Place(1, front[0].Cost + gap)?.Select(i => front[i].Cost).ToList();
    }

    /// <summary>
    /// Budgets evenly spread over <paramref name="span"/> from the min subnet's cost, the first at that cost (a single
    /// budget at its end). With few steps on the front (session 31's run L, session 32's run P: the min subnet, one or two
    /// steps and the knee), budgets spread from a span/count above the min subnet let the first two searches return one
    /// subnet; a budget at the min subnet's own cost gives the fastest subnet a winner of its own.
    /// </summary>
    private static List<double> EvenFromMin(double minCost, double span, int count) => count == 1
        ? [minCost + span]
        : Enumerable.Range(0, count).Select(k => minCost + span * k / (count - 1)).ToList();

    /// <summary>
    /// The pilot's best fitness, not counting its single highest score, and the least cost at which the running best comes
    /// within the tolerance of it. Each fitness is a few thousand held-out images' top-1, typically off by half a point
    /// either way, so the highest of some forty scores may be one subnet's luck; a knee placed within half a point of it
    /// lands wherever another lucky score happens to lie. Session 27's run G: one 91.80 % at 0.358 ms, 0.1 points above any
    /// other score, put the knee at its own cost, though its front had been flat at 91.0–91.5 % from 0.220 ms on.
    /// </summary>
    public static (double Best, double KneeCost) Knee(IReadOnlyList<PilotPoint> points, double tolerance)
    {
        if (points.Count == 0) throw new SearchException("knee budgets: the pilot is empty");
        var sorted = points.OrderBy(p => p.Cost).ToList();
        var best = points.Select(p => p.Fitness).OrderDescending().ElementAt(Math.Min(1, points.Count - 1));
        return (best, sorted.First(p => p.Fitness >= best - tolerance).Cost);
    }

    /// <summary>
    /// The min subnet, then one subnet per equal slice of [cost(min), cost(max)]: a random draw that costs more than its
    /// slice allows is shrunk towards the min subnet one gene at a time, one that costs less grown towards the max subnet,
    /// until it lands in the slice or steps over it (random draws alone seldom land near either end, and the front rises
    /// near the min subnet). Seeded, so the pilot is the same for the same space, cost and seed.
    /// </summary>
    public static List<Subnet> Pilot(SearchSpace space, Func<Subnet, double> cost, int strata, int seed)
    {
        var rng = new SeededRandom(seed);
        var genome = new Genome(space);
        var (smallest, largest) = (genome.Encode(space.MinSubnet), genome.Encode(space.MaxSubnet));
        var (low, high) = (cost(space.MinSubnet), cost(space.MaxSubnet));
        var width = (high - low) / strata;
        var pilot = new List<Subnet> { space.MinSubnet };
        var taken = new HashSet<string>(StringComparer.Ordinal) { space.MinSubnet.Key };
        for (var i = 0; i < strata; i++)
        {
            var (from, to) = (low + i * width, i == strata - 1 ? high : low + (i + 1) * width);
            for (var tries = 0; tries < TriesPerStratum; tries++)
            {
                var draw = RandomSubnets.Draw(space, rng);
                var g = genome.Encode(draw);
                while (cost(draw) > to && genome.StepTowards(g, smallest, rng)) draw = genome.Decode(g);
                while (cost(draw) < from && genome.StepTowards(g, largest, rng)) draw = genome.Decode(g);
                var c = cost(draw);
                if (c < from || c > to || !taken.Add(draw.Key)) continue;
                pilot.Add(draw);
                break;
            }
        }
        return pilot;
    }
}
