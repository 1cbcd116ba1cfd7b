using ElasticVit.Search;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Search;

public class KneeBudgetsTests
{
    private static readonly SearchSpace Fmnist = TestSpaces.Fmnist;
    private static readonly FlopsBudget Flops = new(Fmnist, double.PositiveInfinity);
    private static readonly double MinFlops = Flops.Cost(Fmnist.MinSubnet), MaxFlops = Flops.Cost(Fmnist.MaxSubnet);

    /// <summary>A front that rises linearly by 10 points from the min subnet to <paramref name="kneeFlops"/>, then is flat; a small per-subnet wobble well inside the tolerance.</summary>
    private static double RisingThenFlat(Subnet s, double kneeFlops)
    {
        var flops = Flops.Cost(s);
        var wobble = 0.0001 * (s.Key.Length % 7);
        return 0.9 - 0.1 * Math.Max(0, (kneeFlops - flops) / (kneeFlops - MinFlops)) + wobble;
    }

    [Fact]
    public void Knee_IsTheLeastCostWhoseFitnessIsWithinTheToleranceOfTheBest()
    {
        var points = new[] { P(5, 0.90), P(1, 0.80), P(3, 0.895), P(2, 0.88), P(4, 0.91) };
        Assert.Equal((0.91, 3), KneeBudgets.Knee(points, 0.02));
        Assert.Equal((0.91, 4), KneeBudgets.Knee(points, 0.001));
        Assert.Equal((0.91, 1), KneeBudgets.Knee(points, 0.2));
        Assert.Throws<SearchException>(() => KneeBudgets.Knee([], 0.01));
    }

    [Fact]
    public void Pilot_StartsAtTheMinSubnet_AndPutsOneDistinctSubnetInNearlyEverySliceOfTheRange()
    {
        const int strata = 24;
        var pilot = KneeBudgets.Pilot(Fmnist, Flops.Cost, strata, seed: 3);

        Assert.Equal(Fmnist.MinSubnet.Key, pilot[0].Key);
        Assert.Equal(pilot.Count, pilot.Select(s => s.Key).Distinct().Count());
        var width = (MaxFlops - MinFlops) / strata;
        var slices = pilot.Skip(1).Select(s => Math.Min(strata - 1, (int)((Flops.Cost(s) - MinFlops) / width))).ToList();
        Assert.Equal(slices.Count, slices.Distinct().Count());
        Assert.True(slices.Count >= strata - 2, $"only {slices.Count} of {strata} slices have a pilot subnet");
        Assert.Contains(0, slices);   // the slice next to the min subnet, which random draws alone seldom reach
        Assert.All(pilot, s => Assert.InRange(Flops.Cost(s), MinFlops, MaxFlops));

        Assert.Equal(pilot.Select(s => s.Key), KneeBudgets.Pilot(Fmnist, Flops.Cost, strata, seed: 3).Select(s => s.Key));
        Assert.NotEqual(pilot.Select(s => s.Key), KneeBudgets.Pilot(Fmnist, Flops.Cost, strata, seed: 4).Select(s => s.Key));
    }

    [Fact]
    public void Choose_ScoresThePilotIntoTheCache_AndSpreadsTheBudgetsFromTheMinSubnetToTheKnee()
    {
        var kneeFlops = MinFlops + 0.4 * (MaxFlops - MinFlops);
        var cache = new FitnessCache(DelegateEvaluator.PerSubnet(s => RisingThenFlat(s, kneeFlops)));
        var options = new KneeOptions(Count: 3, PilotStrata: 24, Tolerance: 0.005);

        var choice = KneeBudgets.Choose(Fmnist, Flops, cache, options, seed: 1);

        Assert.Equal(choice.Pilot.Count, cache.Evaluations);
        Assert.All(choice.Pilot, p => Assert.Equal(RisingThenFlat(p.Subnet, kneeFlops), p.Fitness));
        Assert.Equal(choice.Pilot.OrderBy(p => p.Cost).Select(p => p.Cost), choice.Pilot.Select(p => p.Cost));
        Assert.Equal(("flops", "MFLOPs", MinFlops, MaxFlops), (choice.Metric, choice.Unit, choice.MinCost, choice.MaxCost));
        // Within half a point of the flat part: at most 5 % of the rise below the knee, and the pilot has a subnet in every slice of 1/24.
        var slice = (MaxFlops - MinFlops) / 24;
        Assert.InRange(choice.KneeCost, kneeFlops - 0.05 * (kneeFlops - MinFlops) - slice, kneeFlops + 2 * slice);
        // A front that rises steadily has a step for every budget: each limit is a pilot subnet's cost (rounded up to six
        // digits), each fitter than every cheaper pilot subnet, the last the knee's, their fitness rising about a third of the way each.
        Assert.Equal(KneePlacement.FrontSteps, choice.Placement);
        Assert.Equal(3, choice.Limits.Count);
        Assert.Equal(KneeBudgets.RoundUp(choice.KneeCost), choice.Limits[^1]);
        var steps = choice.Limits.Select(l => choice.Pilot.Last(p => KneeBudgets.RoundUp(p.Cost) == l)).ToList();
        Assert.All(steps, s => Assert.True(choice.Pilot.Where(p => p.Cost < s.Cost).All(p => p.Fitness < s.Fitness), $"{s.Cost} is not on the front"));
        var rise = steps[^1].Fitness - choice.Pilot[0].Fitness;
        for (var k = 0; k < 3; k++) Assert.InRange(steps[k].Fitness - choice.Pilot[0].Fitness, rise * (k + 1) / 3 - 1e-12, rise * (k + 1) / 3 + 0.2 * rise);
    }

    private static PilotPoint P(double cost, double fitness) => new(Fmnist.MinSubnet, cost, fitness);

    [Fact]
    public void FrontSteps_PutsEachBudgetOnItsOwnStep_SpacedInFitness()
    {
        // Session 26's run C pilot below its knee (ms, fitness; range 0.149–0.462 ms, so 0.0157 ms apart at 15 % for three
        // budgets): the budgets follow the fitness targets a third and two thirds of the way up. Evenly spaced limits
        // (0.222, 0.295, 0.368) put the last two on the flat part, where the search returned one subnet for both.
        var c = new[] { P(0.149, 0.8883), P(0.1509, 0.856), P(0.1867, 0.903), P(0.2121, 0.9133), P(0.2267, 0.914), P(0.2546, 0.9163), P(0.3588, 0.918), P(0.3679, 0.9193) };
        Assert.Equal([0.1867, 0.2121, 0.3679], KneeBudgets.FrontSteps(c, 0.3679, 3, gap: 0.0157));
        Assert.Equal([0.2121, 0.3679], KneeBudgets.FrontSteps(c, 0.3679, 2, gap: 0.0235));
        Assert.Equal([0.3679], KneeBudgets.FrontSteps(c, 0.3679, 1, gap: 0.0470));
        Assert.Null(KneeBudgets.FrontSteps(c, 0.2121, 3, gap: 0.0157));   // the knee closer to the cheapest point than three gaps
    }

    [Fact]
    public void FrontSteps_KeepsBudgetsAGapApart_OrLeavesThemToEvenSpacing()
    {
        var points = new[] { P(0.16, 0.88), P(0.20, 0.90), P(0.205, 0.91), P(0.25, 0.912), P(0.30, 0.92) };
        Assert.Equal([0.20, 0.205, 0.30], KneeBudgets.FrontSteps(points, 0.30, 3, gap: 0.001));
        Assert.Equal([0.20, 0.25, 0.30], KneeBudgets.FrontSteps(points, 0.30, 3, gap: 0.03));   // 0.205 lies too close to 0.20
        // Session 26's run D pilot below its knee: the front's steps bunch at 0.215–0.232 ms, closer than 0.0173 ms (15 % of
        // its range over three budgets), so it gets no step placement and the budgets are spread evenly.
        var d = new[]
        {
            P(0.1604, 0.8853), P(0.1624, 0.8643), P(0.1757, 0.8797), P(0.1848, 0.8757), P(0.1964, 0.8807), P(0.2035, 0.8760), P(0.2120, 0.8460),
            P(0.2128, 0.8823), P(0.2154, 0.8947), P(0.2198, 0.8783), P(0.2239, 0.8957), P(0.2251, 0.9013), P(0.2316, 0.9183), P(0.2938, 0.9193),
        };
        Assert.Null(KneeBudgets.FrontSteps(d, 0.2316, 3, gap: 0.0173));
    }

    [Theory]
    [InlineData(0.2316498765, 0.23165)]
    [InlineData(0.231645, 0.231645)]
    [InlineData(12.3456789, 12.3457)]
    [InlineData(1234567.8, 1234570)]
    public void RoundUp_KeepsSixDigits_AndNeverRoundsDown(double limit, double expected)
    {
        Assert.Equal(expected, KneeBudgets.RoundUp(limit));
        Assert.True(KneeBudgets.RoundUp(limit) >= limit);
        // As a budget spec the rounded limit reads back exactly, so the subnet at the unrounded limit stays admitted.
        var text = FormattableString.Invariant($"flops:{KneeBudgets.RoundUp(limit):R}");
        Assert.Equal(KneeBudgets.RoundUp(limit), BudgetSpec.Parse(text, Fmnist, _ => throw new InvalidOperationException()).Limit);
    }

    [Fact]
    public void Choose_ScoresPromisingSubnetsWithThePilot_SoAGoodOneNearTheMinSubnetMovesTheKneeDown()
    {
        // Random subnets score 0.80–0.85 wherever they lie; one promising subnet at a quarter of the range scores 0.95.
        var pilot = KneeBudgets.Pilot(Fmnist, Flops.Cost, 24, seed: 1);
        var promising = RandomSubnetNear(MinFlops + 0.25 * (MaxFlops - MinFlops), pilot);
        double Fitness(Subnet s) => s.Key == promising.Key ? 0.95 : 0.80 + 0.05 * (Flops.Cost(s) - MinFlops) / (MaxFlops - MinFlops);

        var without = KneeBudgets.Choose(Fmnist, Flops, new FitnessCache(DelegateEvaluator.PerSubnet(Fitness)), new KneeOptions(), seed: 1);
        var cache = new FitnessCache(DelegateEvaluator.PerSubnet(Fitness));
        var with = KneeBudgets.Choose(Fmnist, Flops, cache, new KneeOptions(), seed: 1, promising: [promising, Fmnist.MinSubnet]);

        Assert.True(without.KneeCost > MinFlops + 0.9 * (MaxFlops - MinFlops), $"knee {without.KneeCost}");
        Assert.Equal(0.95, with.BestFitness);
        Assert.Equal(Flops.Cost(promising), with.KneeCost);
        Assert.Equal(without.Pilot.Count + 1, with.Pilot.Count);   // the min subnet once
        Assert.Equal(with.Pilot.Count, cache.Evaluations);
    }

    /// <summary>A subnet outside <paramref name="taken"/> whose FLOPs are within 5 % of the range of <paramref name="flops"/>.</summary>
    private static Subnet RandomSubnetNear(double flops, IReadOnlyList<Subnet> taken)
    {
        var rng = new Random(7);
        while (true)
        {
            var s = ElasticVit.Sampling.RandomSubnets.Draw(Fmnist, rng);
            if (Math.Abs(Flops.Cost(s) - flops) < 0.05 * (MaxFlops - MinFlops) && taken.All(t => t.Key != s.Key)) return s;
        }
    }

    [Fact]
    public void Choose_OnAFlatFront_StillSpreadsTheBudgetsOverTheMinimumSpan()
    {
        var cache = new FitnessCache(DelegateEvaluator.PerSubnet(_ => 0.9));
        var choice = KneeBudgets.Choose(Fmnist, Flops, cache, new KneeOptions(Count: 2, MinSpan: 0.2), seed: 1);

        Assert.Equal(MinFlops, choice.KneeCost);   // the min subnet is already as good as any
        Assert.Equal(KneePlacement.Even, choice.Placement);
        var span = 0.2 * (MaxFlops - MinFlops);
        Assert.Equal(2, choice.Limits.Count);
        Assert.Equal(KneeBudgets.RoundUp(MinFlops + span / 2), choice.Limits[0]);
        Assert.Equal(KneeBudgets.RoundUp(MinFlops + span), choice.Limits[1]);
    }

    [Theory]
    [InlineData(0, 24, 0.005, 0.15)]
    [InlineData(3, 1, 0.005, 0.15)]
    [InlineData(3, 24, -0.1, 0.15)]
    [InlineData(3, 24, 0.005, 0)]
    [InlineData(3, 24, 0.005, 1.5)]
    public void Choose_RefusesMeaninglessOptions(int count, int strata, double tolerance, double minSpan)
    {
        var cache = new FitnessCache(DelegateEvaluator.PerSubnet(_ => 0.5));
        var e = Assert.Throws<SearchException>(() => KneeBudgets.Choose(Fmnist, Flops, cache, new KneeOptions(count, strata, tolerance, minSpan), seed: 0));
        Assert.StartsWith("knee budgets:", e.Message);
        Assert.Equal(0, cache.Evaluations);
    }
}
