using ElasticVit.Spaces;

namespace ElasticVit.Search;

internal enum GeneKind { Resolution, Width, Depth, Choice }

/// <summary>One elastic dimension: its sorted values and its mutation group (0 resolution, 1 stem, 2 + i stage i).</summary>
internal sealed record Gene(string Name, GeneKind Kind, int Group, IReadOnlyList<int> Values);

/// <summary>
/// A subnet as a vector of choice indices, one per elastic dimension (resolution; stem width, depth, kernel;
/// per stage width, depth and its two block choices), with the variation operators of the evolutionary search.
/// Every operator repairs widths to be non-decreasing, so decoded subnets are always valid.
/// </summary>
internal sealed class Genome
{
    private const int GenesPerStage = 4;
    private const int StemGenes = 4;

    public SearchSpace Space { get; }
    public IReadOnlyList<Gene> Genes { get; }
    public int Groups => 2 + Space.Stages.Count;

    public Genome(SearchSpace space)
    {
        Space = space;
        var genes = new List<Gene>
        {
            new("resolution", GeneKind.Resolution, 0, space.Resolutions),
            new("stem.width", GeneKind.Width, 1, space.Stem.Widths),
            new("stem.depth", GeneKind.Depth, 1, Range(space.Stem.MinDepth, space.Stem.MaxDepth)),
            new("stem.kernel", GeneKind.Choice, 1, space.Stem.Kernels),
        };
        for (var i = 0; i < space.Stages.Count; i++)
        {
            var s = space.Stages[i];
            var mb = s.Kind == StageKind.MbConv;
            genes.Add(new($"{s.Name}.width", GeneKind.Width, 2 + i, s.Widths));
            genes.Add(new($"{s.Name}.depth", GeneKind.Depth, 2 + i, Range(s.MinDepth, s.MaxDepth)));
            genes.Add(new(mb ? $"{s.Name}.expansion" : $"{s.Name}.mlp_ratio", GeneKind.Choice, 2 + i, mb ? s.Expansions : s.MlpRatios));
            genes.Add(new(mb ? $"{s.Name}.kernel" : $"{s.Name}.v_scale", GeneKind.Choice, 2 + i, mb ? s.Kernels : s.VScales));
        }
        Genes = genes;
    }

    /// <summary>Genes of a subnet of this space (validate it first).</summary>
    public int[] Encode(Subnet s)
    {
        var values = new List<int> { s.Resolution, s.Stem.Width, s.Stem.Depth, s.Stem.Kernel };
        foreach (var c in s.Stages)
            values.AddRange(c.Kind == StageKind.MbConv ? [c.Width, c.Depth, c.Expansion, c.Kernel] : [c.Width, c.Depth, c.MlpRatio, c.VScale]);
        var g = new int[Genes.Count];
        for (var i = 0; i < g.Length; i++)
        {
            g[i] = IndexOf(Genes[i].Values, values[i]);
            if (g[i] < 0) throw new SearchException($"{Genes[i].Name} {values[i]} of {s.Key} is not a choice of {Space.Name}");
        }
        return g;
    }

    public Subnet Decode(int[] g)
    {
        int V(int i) => Genes[i].Values[g[i]];
        var stages = new StageConfig[Space.Stages.Count];
        for (var i = 0; i < stages.Length; i++)
        {
            var s = Space.Stages[i];
            var o = StemGenes + GenesPerStage * i;
            stages[i] = s.Kind == StageKind.MbConv
                ? StageConfig.MbConv(s.Name, V(o), V(o + 1), V(o + 2), V(o + 3))
                : StageConfig.Transformer(s.Name, V(o), V(o + 1), V(o + 2), V(o + 3), Space.HeadDim);
        }
        return new Subnet(V(0), new StemConfig(V(1), V(2), V(3)), stages);
    }

    /// <summary>Raises each width to the smallest choice ≥ the previous width (the loader guarantees one exists).</summary>
    public void RepairWidths(int[] g)
    {
        var previous = 0;
        for (var i = 0; i < g.Length; i++)
        {
            if (Genes[i].Kind != GeneKind.Width) continue;
            while (Genes[i].Values[g[i]] < previous) g[i]++;
            previous = Genes[i].Values[g[i]];
        }
    }

    /// <summary>Resamples each group (resolution, stem, each stage) with <paramref name="groupProb"/>, then all depths with <paramref name="depthProb"/>.</summary>
    public int[] Mutate(int[] parent, Random rng, double groupProb, double depthProb)
    {
        var child = (int[])parent.Clone();
        for (var group = 0; group < Groups; group++)
        {
            if (rng.NextDouble() >= groupProb) continue;
            for (var i = 0; i < child.Length; i++)
                if (Genes[i].Group == group) child[i] = rng.Next(Genes[i].Values.Count);
        }
        if (rng.NextDouble() < depthProb)
        {
            for (var i = 0; i < child.Length; i++)
                if (Genes[i].Kind == GeneKind.Depth) child[i] = rng.Next(Genes[i].Values.Count);
        }
        RepairWidths(child);
        return child;
    }

    /// <summary>Each gene from either parent with equal probability.</summary>
    public int[] Crossover(int[] a, int[] b, Random rng)
    {
        var child = new int[a.Length];
        for (var i = 0; i < child.Length; i++) child[i] = rng.Next(2) == 0 ? a[i] : b[i];
        RepairWidths(child);
        return child;
    }

    /// <summary>
    /// Moves one randomly chosen gene that differs from <paramref name="target"/> one choice towards it, keeping widths
    /// non-decreasing; jumps to the target when no single move is valid. Returns false when already there.
    /// </summary>
    public bool StepTowards(int[] g, int[] target, Random rng)
    {
        var differing = Enumerable.Range(0, g.Length).Where(i => g[i] != target[i]).ToList();
        if (differing.Count == 0) return false;
        while (differing.Count > 0)
        {
            var pick = rng.Next(differing.Count);
            var i = differing[pick];
            differing.RemoveAt(pick);
            var old = g[i];
            g[i] += Math.Sign(target[i] - g[i]);
            if (Genes[i].Kind != GeneKind.Width || WidthsMonotone(g)) return true;
            g[i] = old;
        }
        Array.Copy(target, g, g.Length);
        return true;
    }

    /// <summary>Every genome one gene away (any other value of that gene, widths repaired).</summary>
    public IEnumerable<int[]> Neighbours(int[] g)
    {
        for (var i = 0; i < g.Length; i++)
        for (var v = 0; v < Genes[i].Values.Count; v++)
        {
            if (v == g[i]) continue;
            var n = (int[])g.Clone();
            n[i] = v;
            RepairWidths(n);
            yield return n;
        }
    }

    /// <summary>Greedy best-improvement descent over <see cref="Neighbours"/>; returns a local minimum of <paramref name="objective"/>.</summary>
    public (Subnet Subnet, double Value) Descend(Subnet start, Func<Subnet, double> objective, int maxRounds = 1000)
    {
        var (best, value) = (start, objective(start));
        for (var round = 0; round < maxRounds; round++)
        {
            var (next, nextValue) = (best, value);
            foreach (var n in Neighbours(Encode(best)))
            {
                var subnet = Decode(n);
                var v = objective(subnet);
                if (v < nextValue) (next, nextValue) = (subnet, v);
            }
            if (next == best) break;
            (best, value) = (next, nextValue);
        }
        return (best, value);
    }

    private bool WidthsMonotone(int[] g)
    {
        var previous = 0;
        for (var i = 0; i < g.Length; i++)
        {
            if (Genes[i].Kind != GeneKind.Width) continue;
            if (Genes[i].Values[g[i]] < previous) return false;
            previous = Genes[i].Values[g[i]];
        }
        return true;
    }

    private static int IndexOf(IReadOnlyList<int> values, int value)
    {
        for (var i = 0; i < values.Count; i++)
            if (values[i] == value) return i;
        return -1;
    }

    private static int[] Range(int min, int max) => Enumerable.Range(min, max - min + 1).ToArray();
}
