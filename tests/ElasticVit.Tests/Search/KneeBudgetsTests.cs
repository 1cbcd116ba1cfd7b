using System.Globalization;
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
    public void Knee_IsTheLeastCostWhoseFitnessIsWithinTheToleranceOfTheSecondHighestScore()
    {
        var points = new[] { P(5, 0.90), P(1, 0.80), P(3, 0.895), P(2, 0.88), P(4, 0.91) };
        // The best is the second-highest score, 0.90: the single highest, 0.91, may be one subnet's luck.
        Assert.Equal((0.90, 2), KneeBudgets.Knee(points, 0.025));
        Assert.Equal((0.90, 4), KneeBudgets.Knee(points, 0.001));
        Assert.Equal((0.90, 1), KneeBudgets.Knee(points, 0.2));
        Assert.Equal((0.80, 1), KneeBudgets.Knee([P(1, 0.80)], 0.001));   // a pilot of one
        Assert.Equal((0.91, 4), KneeBudgets.Knee([.. points, P(6, 0.91)], 0.001));   // two subnets at 0.91 are not luck
        Assert.Throws<SearchException>(() => KneeBudgets.Knee([], 0.01));
    }

    /// <summary>
    /// The pilots of session 26's runs C and D (as replayed in session 27) and session 27's runs E, F and G, as the
    /// quickstarts printed them (predicted ms and fitness in % on 3,000 held-out images), the predicted range of each
    /// run's space (min to max subnet), and the placement expected of them: run G's 91.80 % at 0.3577 ms stood 0.1 points
    /// above any other score and had placed the knee at its own cost; run C's knee moves one pilot subnet down its flat
    /// stretch (0.3679 → 0.3588 ms); the others keep theirs, as their two highest scores tie or lie within a knee's reach of
    /// each other. C, E and F keep the limits their runs used (D's even limits differ in the fourth digit: its printed min
    /// cost is rounded). D and G, spread evenly, have their first budget at the min subnet's cost since session 32.
    /// </summary>
    public static TheoryData<string, double, double, string, double, double, KneePlacement, double[]> RealPilots => new()
    {
        { "C", 0.149, 0.4624, "0.149 88.83  0.1509 85.6  0.1585 88.57  0.1709 88.5  0.1714 88.4  0.173 88.77  0.1772 88.27  0.1867 90.3  0.1925 89.97  0.1948 85.67  0.2011 89.77  0.2121 91.33  0.2122 90.3  0.2258 91.23  0.2267 91.4  0.2271 86.43  0.2289 87.73  0.2445 89.17  0.2546 91.63  0.2574 91.37  0.2685 91.57  0.2703 91.43  0.2786 86.07  0.2812 88.27  0.2874 91.3  0.2939 91.2  0.3002 91.5  0.3004 89.2  0.3073 87.87  0.3304 87.67  0.3399 87.73  0.3553 91.43  0.3588 91.8  0.3679 91.93  0.3681 87.3  0.3709 92.1  0.3823 91.53  0.3928 92.33  0.4076 91.53  0.4119 92.23  0.4167 91.73  0.4266 91.83  0.4325 92.2  0.4361 92  0.4453 91.77  0.4501 92.2",
            0.9223, 0.3588, KneePlacement.FrontSteps, [0.1867, 0.2121, 0.3588] },
        { "D", 0.1604, 0.5065, "0.1604 88.53  0.1624 86.43  0.1757 87.97  0.1849 87.57  0.1964 88.07  0.2035 87.6  0.212 84.6  0.2128 88.23  0.2154 89.47  0.2198 87.83  0.2239 89.57  0.2251 90.13  0.2316 91.83  0.2388 91.83  0.2435 91.6  0.2462 89.77  0.2542 90.5  0.2636 85.57  0.2744 91.73  0.2762 85.83  0.2938 91.93  0.2951 91.77  0.2955 84.67  0.3053 83.97  0.3203 91.77  0.3266 91.87  0.3307 88  0.3331 92.3  0.3444 91.63  0.3492 91.77  0.3715 88.07  0.3894 92.13  0.3903 91.63  0.3967 92.1  0.4028 91.97  0.4038 91.7  0.4114 86.27  0.4315 91.6  0.4391 91.63  0.4507 91.87  0.4623 90.33  0.4653 92.3  0.4751 92  0.4809 91.9  0.4815 92.17  0.4991 92.2",
            0.923, 0.2316, KneePlacement.Even, [0.1604, 0.196, 0.2316] },
        { "E", 0.1501, 0.4766, "0.1501 89.2  0.152 86.07  0.1717 89.03  0.1721 87.7  0.1808 89.37  0.1844 88.77  0.1907 88.27  0.1985 90.3  0.2036 89.67  0.204 88.23  0.2145 90.5  0.2247 89.53  0.2289 92.23  0.2304 87.2  0.2321 92.27  0.2341 86.8  0.2345 91.23  0.2468 89.87  0.2542 91.73  0.2608 91.73  0.2612 90.97  0.2802 91.83  0.2827 85.9  0.2976 91.73  0.2987 90.67  0.3106 91.27  0.3114 87.47  0.3127 91.83  0.3134 87  0.3386 91.23  0.3461 91.87  0.3571 86.93  0.364 91.57  0.3722 91.8  0.3728 85.4  0.3889 91.8  0.3903 92  0.3958 91.13  0.4105 86.57  0.4224 91.83  0.4227 91.67  0.431 90.3  0.4427 91.93  0.4436 91.83  0.4543 91.77  0.4657 91.83",
            0.9223, 0.2289, KneePlacement.FrontSteps, [0.1808, 0.1985, 0.2289] },
        { "F", 0.135, 0.4403, "0.135 88.83  0.1362 86.97  0.1508 89.23  0.1551 88.5  0.1561 88.43  0.1593 89.03  0.1693 89.63  0.1723 89.37  0.173 87.43  0.1801 85.3  0.1849 89.63  0.1889 87.4  0.1948 91.63  0.1971 91.53  0.1992 90.9  0.2073 84.93  0.2176 90.47  0.2254 85.47  0.2291 91.63  0.2332 91.5  0.2367 91.53  0.2389 91.43  0.2547 85.97  0.2719 89.13  0.272 91.13  0.2774 83.13  0.2786 91.9  0.2889 86.1  0.2945 91.3  0.3099 87.47  0.3178 87.23  0.3275 91.7  0.3309 91.5  0.3361 91.47  0.3395 91.5  0.3498 90.83  0.3591 91.47  0.3644 91.17  0.387 91.47  0.3928 92.07  0.3988 92.07  0.3994 91.67  0.4007 91.5  0.4036 91.87  0.4158 92.03  0.4403 91.77",
            0.9207, 0.1948, KneePlacement.FrontSteps, [0.1508, 0.1693, 0.1948] },
        { "G", 0.143, 0.4626, "0.143 89  0.1448 86.93  0.1648 87.63  0.1762 88.53  0.1762 87.27  0.1825 87.27  0.1838 88  0.1896 84.9  0.1913 89.9  0.1918 89.77  0.198 89.7  0.2094 89.33  0.2094 90.87  0.216 91.13  0.2166 86.7  0.2204 91.27  0.225 88  0.2433 90.63  0.2439 91.13  0.2472 89.87  0.2527 84.7  0.2707 90.63  0.2746 88.3  0.2818 87.23  0.2857 90.97  0.2948 86.33  0.3111 88.17  0.3125 91.2  0.317 91.03  0.3254 86.33  0.338 88.73  0.3429 88.9  0.3577 91.8  0.3587 91.47  0.3618 91.2  0.3642 91.4  0.3711 91  0.3868 86.17  0.3988 89  0.4056 91.3  0.4102 91.27  0.4141 91.33  0.4169 91.4  0.4311 91.7  0.4482 91.33  0.4626 91.5",
            0.917, 0.2204, KneePlacement.Even, [0.143, 0.1817, 0.2204] },
        // Session 31's runs L and M (the t1 space): three and five steps below the knee, none for a second budget above the
        // first one's step. Spread evenly from a third of the way, L's first two budgets returned one subnet; the first
        // budget now takes the min subnet's cost.
        { "L", 0.08518, 0.33124, "0.08518 90.07  0.09045 89.97  0.09981 89.9  0.10257 89.57  0.10585 89.4  0.10624 90.23  0.1092 90.23  0.11148 89.53  0.11706 90  0.11844 89.8  0.13344 88.7  0.13691 89.57  0.1397 86.7  0.14098 90.57  0.14231 91.33  0.14308 90.53  0.14809 89.87  0.1557 89.37  0.15614 91.2  0.15689 91.33  0.1575 91.33  0.16435 88.23  0.16471 91.23  0.16784 89.33  0.17178 91.5  0.17904 91.93  0.18112 89.43  0.1946 89.17  0.19508 90.8  0.19523 91.57  0.20477 91.27  0.21229 89.1  0.21865 91.4  0.22985 91.6  0.23647 89.47  0.23898 91.43  0.24272 91.47  0.24906 91.6  0.25376 87.87  0.26346 91.3  0.27791 91.4  0.28719 91.73  0.29542 91.67  0.30404 91.2  0.31761 91.3  0.33124 91.3",
            0.9173, 0.14231, KneePlacement.Even, [0.08518, 0.113745, 0.14231] },
        { "M", 0.09186, 0.3454, "0.09186 90.17  0.09771 90.3  0.10736 90.37  0.11025 90.07  0.11221 90.3  0.1151 90.1  0.11872 89.7  0.12251 88.83  0.12554 90.33  0.13277 89.5  0.13575 90.5  0.1394 90.87  0.14455 91.07  0.14461 86.17  0.14771 87.87  0.14877 90.87  0.15506 90.9  0.15534 89.97  0.15637 89.57  0.15641 90.03  0.16672 87.47  0.16996 90.77  0.17038 91.33  0.18347 89.57  0.18574 90.73  0.19531 89.63  0.19727 91.43  0.20716 89.2  0.21378 87.57  0.21665 91.43  0.21948 91.37  0.22078 91.17  0.23347 90.57  0.23606 91.7  0.24226 90.93  0.25222 89.57  0.26057 91.07  0.26065 91.53  0.26388 91.57  0.2794 91.13  0.29181 91.13  0.29292 91.37  0.30343 91.53  0.31975 90.87  0.32816 91.23  0.3454 91.2",
            0.9157, 0.14455, KneePlacement.Even, [0.09186, 0.118205, 0.14455] },
    };

    private static List<PilotPoint> ParsePilot(string text) => text.Split("  ")
        .Select(pair => pair.Split(' ')).Select(p => P(double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture) / 100))
        .ToList();

    [Theory]
    [MemberData(nameof(RealPilots))]
    public void Place_OnRealPilots_SetsTheHighestScoreAside_WhichMovesOnlyAKneeThatOneScoreHadPlaced(string run, double minCost, double maxCost, string pilot,
        double best, double kneeCost, KneePlacement placement, double[] limits)
    {
        var choice = KneeBudgets.Place(ParsePilot(pilot), minCost, maxCost, new KneeOptions());
        Assert.Equal(best, choice.Best, 6);
        Assert.Equal((run, kneeCost, placement), (run, choice.KneeCost, choice.Placement));   // the run names a failure
        Assert.Equal(limits, choice.Limits);
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

    [Fact]
    public void Choose_ScoresTheLevelsMinSubnets_WhoseStepsARandomPilotMisses()
    {
        // Trained at every step of their level, the levels' min subnets can outscore every other subnet of their cost:
        // here the r24, r28 and r32 min subnets score 85, 87 and 90 %, the max subnet 90 %, everything else 80 %.
        var (r24, r28, r32) = (Fmnist.Levels[0].MinSubnet, Fmnist.Levels[2].MinSubnet, Fmnist.Levels[4].MinSubnet);
        Assert.Equal(["r24", "r28", "r32"], new[] { r24, r28, r32 }.Select(s => s.Key[..3]));
        double Fitness(Subnet s) => s.Key == r24.Key ? 0.85 : s.Key == r28.Key ? 0.87 : s.Key == r32.Key || s.Key == Fmnist.MaxSubnet.Key ? 0.90 : 0.80;
        var choice = KneeBudgets.Choose(Fmnist, Flops, new FitnessCache(DelegateEvaluator.PerSubnet(Fitness)), new KneeOptions(Count: 2), seed: 1);

        Assert.Equal(3, choice.Pilot.Count(p => p.Subnet.Key == r24.Key || p.Subnet.Key == r28.Key || p.Subnet.Key == r32.Key));
        Assert.Equal((Flops.Cost(r32), KneePlacement.FrontSteps), (choice.KneeCost, choice.Placement));
        Assert.Equal([KneeBudgets.RoundUp(Flops.Cost(r28)), KneeBudgets.RoundUp(Flops.Cost(r32))], choice.Limits);
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

    [Fact]
    public void FrontSteps_TakesALessPreferredStep_WhenThePreferredOneLeavesALaterBudgetNone()
    {
        // A third of the way up is 0.16 ms, but from there the second budget's room (0.185–0.195 ms) holds no step; from
        // the step below the target, 0.13 ms, the second budget finds 0.16. The cheapest point stays unused.
        var points = new[] { P(0.10, 0.80), P(0.13, 0.81), P(0.16, 0.87), P(0.17, 0.88), P(0.22, 0.90) };
        Assert.Equal([0.13, 0.16, 0.22], KneeBudgets.FrontSteps(points, 0.22, 3, gap: 0.025));
        // Steps only at the two ends: one budget takes the knee, two find no placement.
        var twoSteps = new[] { P(0.10, 0.80), P(0.12, 0.79), P(0.22, 0.90) };
        Assert.Equal([0.22], KneeBudgets.FrontSteps(twoSteps, 0.22, 1, gap: 0.025));
        Assert.Null(KneeBudgets.FrontSteps(twoSteps, 0.22, 2, gap: 0.025));
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
    public void Choose_ScoresPromisingSubnetsWithThePilot_SoGoodOnesNearTheMinSubnetMoveTheKneeDown()
    {
        // Random subnets score 0.80–0.85 wherever they lie; two promising subnets near a quarter of the range score 0.95 and 0.949.
        var pilot = KneeBudgets.Pilot(Fmnist, Flops.Cost, 24, seed: 1);
        var promising = RandomSubnetNear(MinFlops + 0.25 * (MaxFlops - MinFlops), pilot);
        var second = RandomSubnetNear(MinFlops + 0.25 * (MaxFlops - MinFlops), [.. pilot, promising]);
        double Fitness(Subnet s) => s.Key == promising.Key ? 0.95 : s.Key == second.Key ? 0.949 : 0.80 + 0.05 * (Flops.Cost(s) - MinFlops) / (MaxFlops - MinFlops);

        var without = KneeBudgets.Choose(Fmnist, Flops, new FitnessCache(DelegateEvaluator.PerSubnet(Fitness)), new KneeOptions(), seed: 1);
        var cache = new FitnessCache(DelegateEvaluator.PerSubnet(Fitness));
        var with = KneeBudgets.Choose(Fmnist, Flops, cache, new KneeOptions(), seed: 1, promising: [promising, second, Fmnist.MinSubnet]);

        Assert.True(without.KneeCost > MinFlops + 0.75 * (MaxFlops - MinFlops), $"knee {without.KneeCost}");
        Assert.Equal(0.949, with.BestFitness);
        Assert.Equal(Math.Min(Flops.Cost(promising), Flops.Cost(second)), with.KneeCost);
        Assert.Equal(without.Pilot.Count + 2, with.Pilot.Count);   // the min subnet once
        Assert.Equal(with.Pilot.Count, cache.Evaluations);
        // One such subnet alone may be luck: its score does not set the best, though, above the best, it still stands on the front.
        var alone = KneeBudgets.Choose(Fmnist, Flops, new FitnessCache(DelegateEvaluator.PerSubnet(s => s.Key == second.Key ? 0.80 : Fitness(s))),
            new KneeOptions(), seed: 1, promising: [promising, second]);
        Assert.Equal(alone.Pilot.Where(p => p.Subnet.Key != promising.Key).Max(p => p.Fitness), alone.BestFitness);
        Assert.Equal(Flops.Cost(promising), alone.KneeCost);
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
        Assert.Equal(KneeBudgets.RoundUp(MinFlops), choice.Limits[0]);   // the min subnet's own budget
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
