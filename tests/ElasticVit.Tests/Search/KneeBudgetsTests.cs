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
        PilotPoint P(double cost, double fitness) => new(Fmnist.MinSubnet, cost, fitness);
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
        Assert.Equal(3, choice.Limits.Count);
        var span = choice.KneeCost - MinFlops;
        for (var k = 0; k < 3; k++) Assert.Equal(MinFlops + span * (k + 1) / 3, choice.Limits[k], 9);
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
        var span = 0.2 * (MaxFlops - MinFlops);
        Assert.Equal(2, choice.Limits.Count);
        Assert.Equal(MinFlops + span / 2, choice.Limits[0], 9);
        Assert.Equal(MinFlops + span, choice.Limits[1], 9);
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
