namespace ElasticVit.Search;

/// <summary>Non-dominated points where higher fitness and lower cost in every metric are better.</summary>
public static class ParetoFront
{
    /// <summary>
    /// The points no other point dominates (at least as fit and at most as costly everywhere, strictly better somewhere),
    /// ordered by fitness, best first. Points with identical objectives are all kept.
    /// </summary>
    public static IReadOnlyList<T> Of<T>(IEnumerable<T> points, Func<T, double> fitness, IReadOnlyList<Func<T, double>> costs)
    {
        // After sorting by fitness (desc) and then costs (lexicographic asc), every dominator of a point comes before it,
        // so one pass checking against the front found so far suffices.
        var items = points.Select(p => (Point: p, Fitness: fitness(p), Costs: costs.Select(c => c(p)).ToArray())).ToList();
        items.Sort((a, b) =>
        {
            var byFitness = b.Fitness.CompareTo(a.Fitness);
            if (byFitness != 0) return byFitness;
            for (var i = 0; i < a.Costs.Length; i++)
            {
                var byCost = a.Costs[i].CompareTo(b.Costs[i]);
                if (byCost != 0) return byCost;
            }
            return 0;
        });
        var front = new List<(T Point, double Fitness, double[] Costs)>();
        foreach (var item in items)
            if (!front.Any(f => Dominates(f.Fitness, f.Costs, item.Fitness, item.Costs))) front.Add(item);
        return front.Select(f => f.Point).ToList();
    }

    /// <summary>The front of evaluated subnets over the given metrics (keys of <see cref="EvaluatedSubnet.Costs"/>).</summary>
    public static IReadOnlyList<EvaluatedSubnet> Of(IEnumerable<EvaluatedSubnet> points, IReadOnlyList<string> metrics) =>
        Of(points, p => p.Fitness, metrics.Select(m => (Func<EvaluatedSubnet, double>)(p => p.Costs[m])).ToArray());

    private static bool Dominates(double fa, double[] ca, double fb, double[] cb)
    {
        var strictly = fa > fb;
        if (fa < fb) return false;
        for (var i = 0; i < ca.Length; i++)
        {
            if (ca[i] > cb[i]) return false;
            strictly |= ca[i] < cb[i];
        }
        return strictly;
    }
}
