using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>A conjunction of budgets: a subnet is allowed when every budget allows it. No budgets: anything goes.</summary>
public sealed class BudgetSet(IReadOnlyList<IBudget> budgets)
{
    public IReadOnlyList<IBudget> Budgets { get; } = budgets.ToArray();

    /// <summary>The specs joined by ',', e.g. <c>flops:20,params:1.5</c>.</summary>
    public string Name => Budgets.Count == 0 ? "unconstrained" : string.Join(",", Budgets.Select(b => b.Name));

    public bool Allows(Subnet subnet)
    {
        foreach (var b in Budgets)
            if (!b.Allows(subnet)) return false;
        return true;
    }

    public override string ToString() => Name;

    /// <summary>Comma-separated budget specs (see <see cref="BudgetSpec.Parse"/>), all of which must hold; so LUT paths cannot contain ','.</summary>
    public static BudgetSet Parse(string text, SearchSpace space, Func<string, ILatencyPredictor> loadLut)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0)) throw new SearchException($"budget '{text}' has an empty part (expected specs like {BudgetSpec.Syntax}, joined by ',')");
        return new BudgetSet(parts.Select(p => BudgetSpec.Parse(p, space, loadLut)).ToArray());
    }

    /// <summary>
    /// Returns a subnet that meets every budget, or throws <see cref="SearchException"/> naming the first budget that
    /// cannot be met and the smallest cost it found. FLOPs and parameters are monotone in every dimension, so the
    /// space's min subnet is their minimum; latency tables need not be, so each budget is also minimised by greedy
    /// descent over one-dimension changes from the min subnet (exact for monotone or separable costs).
    /// </summary>
    public Subnet EnsureFeasible(SearchSpace space)
    {
        var min = space.MinSubnet;
        if (Allows(min)) return min;
        var genome = new Genome(space);
        foreach (var b in Budgets)
        {
            var (subnet, cost) = genome.Descend(min, b.Cost);
            if (cost > b.Limit)
                throw new SearchException($"budget {b.Name} cannot be met in {space.Name}: the smallest achievable {b.Metric} is {Budget.Format(cost)} {b.Unit} ({subnet.Key})");
            if (Allows(subnet)) return subnet;
        }
        // Each budget alone is achievable but not at the same subnet yet: descend on the total relative excess.
        var (found, excess) = genome.Descend(min, s => Budgets.Sum(b => Math.Max(0, b.Cost(s) / b.Limit - 1)));
        if (excess > 0 || !Allows(found))
            throw new SearchException($"budgets {Name} cannot all be met at once in {space.Name} (closest subnet found: {found.Key})");
        return found;
    }
}
