using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Sampling;

public class PasSamplerTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    /// <summary>A sampler whose every bank already holds <paramref name="entries"/> distinct in-range subnets.</summary>
    private static PasSampler Prefilled(long seed, int entries, SamplerOptions options)
    {
        var sampler = new PasSampler(Fmnist, new SeededRandom(seed), options);
        var fill = new SeededRandom(1000 + seed);
        for (var level = 0; level < Fmnist.Levels.Count; level++)
            while (sampler.Banks[level].Count < entries) sampler.Banks[level].Offer(sampler.Levels[level].Draw(fill), -1.5);
        return sampler;
    }

    [Fact]
    public void PathPreference_IsFlopsWithAnchorWidths_MinusFlopsWithAnchorDepths()
    {
        var anchor = Subnet.Parse("r24-s8x1k3-C1:16x1e3k3-C2:24x1e3k3-T1:32x1m2v2-T2:48x1m2v2-T3:64x1m2v2-T4:96x1m2v2", Fmnist);
        var x = Subnet.Parse("r28-s16x1k3-C1:16x2e4k3-C2:32x2e4k3-T1:48x2m3v2-T2:64x1m3v2-T3:80x3m3v3-T4:112x2m3v3", Fmnist);
        var widthsOfAnchor = Subnet.Parse("r28-s16x1k3-C1:16x2e4k3-C2:32x2e4k3-T1:32x2m3v2-T2:48x1m3v2-T3:64x3m3v3-T4:96x2m3v3", Fmnist);
        var depthsOfAnchor = Subnet.Parse("r28-s16x1k3-C1:16x2e4k3-C2:32x2e4k3-T1:48x1m3v2-T2:64x1m3v2-T3:80x1m3v3-T4:112x1m3v3", Fmnist);

        var replacedWidths = PathPreference.WithTransformerWidthsOf(x, anchor);
        Assert.Equal(widthsOfAnchor, replacedWidths);
        Assert.Equal([2, 3, 4, 6], replacedWidths.Stages.Skip(2).Select(s => s.Heads)); // heads follow the widths
        Assert.Equal(depthsOfAnchor, PathPreference.WithTransformerDepthsOf(x, anchor));

        var expected = Complexity.FlopsM(Fmnist, widthsOfAnchor) - Complexity.FlopsM(Fmnist, depthsOfAnchor);
        Assert.Equal(expected, PathPreference.Of(Fmnist, x, anchor), 9);
    }

    [Fact]
    public void PathPreference_OfGrowthByDepthOnly_IsPositive_ByWidthOnly_IsNegative()
    {
        var anchor = Fmnist.MinSubnet;
        var deeper = Subnet.Parse("r24-s8x1k3-C1:16x1e3k3-C2:24x1e3k3-T1:32x2m2v2-T2:48x2m2v2-T3:64x3m2v2-T4:96x3m2v2", Fmnist);
        var wider = Subnet.Parse("r24-s8x1k3-C1:16x1e3k3-C2:24x1e3k3-T1:48x1m2v2-T2:64x1m2v2-T3:96x1m2v2-T4:128x1m2v2", Fmnist);
        var (a, d, w) = (Complexity.FlopsM(Fmnist, anchor), Complexity.FlopsM(Fmnist, deeper), Complexity.FlopsM(Fmnist, wider));
        Assert.Equal(d - a, PathPreference.Of(Fmnist, deeper, anchor), 9);
        Assert.Equal(a - w, PathPreference.Of(Fmnist, wider, anchor), 9);
        Assert.Equal(0, PathPreference.Of(Fmnist, anchor, anchor));
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(5, 5)]
    public void Explore_KeepsTheSmallestPathPreference_AmongFiveCandidates_OnceTheBankIsHalfFull(int entries, int candidates)
    {
        for (var seed = 0; seed < 10; seed++)
        {
            var sampler = Prefilled(seed, entries, new SamplerOptions { BankCapacity = 10, ExploitStart = 1, ExploitIncrement = 0 });
            sampler.OnBatch(new TrainingProgress(0, 1, 8, 10), SamplerRun.Score);
            var anchor = sampler.Anchor;
            var replica = new SeededRandom(0) { State = GetRng(sampler) };
            var level = Math.Clamp(replica.Next(3) - 1, 0, Fmnist.Levels.Count - 1);

            var step = sampler.NextStep();

            Assert.Equal(level, step.LevelIndex);
            for (var i = 0; i < 3; i++)
            {
                var drawn = Enumerable.Range(0, candidates).Select(_ => sampler.Levels[level].Draw(replica)).ToArray();
                var expected = drawn.MinBy(c => PathPreference.Of(Fmnist, c, anchor));
                Assert.Equal(expected, step.Subnets[i].Subnet);
                Assert.False(step.Subnets[i].FromBank);
            }
        }
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(6, true)]
    public void Exploits_OnlyWhenTheBankIsMoreThanHalfFull(int entries, bool exploits)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var sampler = Prefilled(seed, entries, new SamplerOptions { BankCapacity = 10, ExploitStart = 1, ExploitIncrement = 0 });
            var banks = sampler.Banks.Select(b => b.Entries.Select(e => e.Subnet).ToHashSet()).ToArray();
            sampler.OnBatch(new TrainingProgress(0, 1, 8, 10), SamplerRun.Score);
            var step = sampler.NextStep();
            foreach (var s in step.Subnets.Take(3))
            {
                Assert.Equal(exploits, s.FromBank);
                Assert.Equal(exploits, banks[step.LevelIndex].Contains(s.Subnet));
            }
        }
    }

    [Fact]
    public void Banks_NeverExceedCapacity_AndLoseOnlyEntriesWorseThanAllTheyKeep()
    {
        var sampler = new PasSampler(Fmnist, new SeededRandom(4), new SamplerOptions { BankCapacity = 6, ExploitStart = 0.3 });
        var replacements = 0;
        for (var t = 0; t < 3000; t++)
        {
            sampler.OnBatch(new TrainingProgress(t / 50, t % 50, 50, 100), SamplerRun.Score);
            var before = sampler.Banks.Select(b => b.Entries.ToArray()).ToArray();
            sampler.NextStep();
            for (var level = 0; level < before.Length; level++)
            {
                var bank = sampler.Banks[level];
                Assert.InRange(bank.Count, before[level].Length, bank.Capacity);
                var kept = bank.Entries.Select(e => e.Subnet).ToHashSet();
                var removed = before[level].Where(e => !kept.Contains(e.Subnet)).ToArray();
                if (removed.Length == 0) continue;
                replacements++;
                Assert.Equal(bank.Capacity, before[level].Length);
                Assert.All(bank.Entries, e => Assert.True(e.Score >= removed.Max(r => r.Score)));
                var added = bank.Entries.Where(e => !before[level].Any(b => b.Subnet == e.Subnet));
                Assert.All(added, e => Assert.True(e.Score > removed.Min(r => r.Score)));
            }
        }
        Assert.True(replacements > 100);
    }

    [Fact]
    public void BankCapacities_Are150BelowLevel500_And50FromIt()
    {
        var imagenet = new PasSampler(ImageNet, new SeededRandom(0), new SamplerOptions());
        Assert.Equal([150, 150, 150, 150, 50, 50, 50, 50], imagenet.Banks.Select(b => b.Capacity));
        var fmnist = new PasSampler(Fmnist, new SeededRandom(0), new SamplerOptions());
        Assert.All(fmnist.Banks, b => Assert.Equal(150, b.Capacity));
    }

    [Fact]
    public void Rescoring_CoversAllBanksAtAnEpochsFirstBatch_AndTheCurrentLevelsAtItsQuarters_DroppingOutOfRangeEntries()
    {
        var sampler = Prefilled(0, 3, new SamplerOptions { BankCapacity = 10 });
        sampler.Banks[2].Offer(Fmnist.MaxSubnet, -1.5);
        var state = sampler.GetState();
        state["level"] = 3;
        sampler.SetState(state);

        var calls = new List<IReadOnlyList<Subnet>>();
        double[] Scorer(IReadOnlyList<Subnet> subnets)
        {
            calls.Add(subnets);
            return subnets.Select(_ => -0.5).ToArray();
        }

        sampler.OnBatch(new TrainingProgress(0, 0, 8, 10), Scorer);
        Assert.Equal(Fmnist.Levels.Count, calls.Count);
        Assert.DoesNotContain(Fmnist.MaxSubnet, sampler.Banks[2].Entries.Select(e => e.Subnet));
        Assert.All(sampler.Banks.SelectMany(b => b.Entries), e => Assert.Equal(-0.5, e.Score));

        for (var batch = 1; batch < 8; batch++)
        {
            calls.Clear();
            sampler.OnBatch(new TrainingProgress(1, batch, 8, 10), Scorer);
            if (batch is 2 or 4 or 6)
                Assert.Equal(sampler.Banks[3].Entries.Select(e => e.Subnet), Assert.Single(calls));
            else
                Assert.Empty(calls);
        }
    }

    [Fact]
    public void Recipes_SetTheBankCapacity_ShortBudgetSmall_PaperAsPublished()
    {
        var shortBudget = new ElasticVit.Training.TrainOptions().SamplerOptions();
        Assert.Equal(24, shortBudget.BankCapacity);
        Assert.Equal([24, 24, 24, 24, 24, 24, 24, 24], new PasSampler(ImageNet, new SeededRandom(0), shortBudget).Banks.Select(b => b.Capacity));
        var paper = new ElasticVit.Training.TrainOptions().WithPaperRecipe().SamplerOptions();
        Assert.Equal([150, 150, 150, 150, 50, 50, 50, 50], new PasSampler(ImageNet, new SeededRandom(0), paper).Banks.Select(b => b.Capacity));
        Assert.Equal(3, paper.LevelSubnets);
    }

    [Fact]
    public void SetState_OfLargerBanks_KeepsTheBestEntriesOfEach()
    {
        var large = Prefilled(0, 10, new SamplerOptions { BankCapacity = 10 });
        var rescored = 0;
        large.OnBatch(new TrainingProgress(0, 0, 8, 10), subnets => subnets.Select(_ => -0.1 * ++rescored).ToArray());
        var best = large.Banks.Select(b => b.Entries.OrderByDescending(e => e.Score).Take(4).Select(e => e.Subnet.Key).Order().ToArray()).ToArray();

        var small = new PasSampler(Fmnist, new SeededRandom(0), new SamplerOptions { BankCapacity = 4 });
        small.SetState(large.GetState());
        for (var level = 0; level < Fmnist.Levels.Count; level++)
        {
            Assert.Equal(4, small.Banks[level].Count);
            Assert.Equal(best[level], small.Banks[level].Entries.Select(e => e.Subnet.Key).Order());
        }
    }

    [Fact]
    public void ExploitProbability_Grows015PerSixthOfTheRun()
    {
        var options = new SamplerOptions();
        Assert.Equal(0.2, options.ExploitProbability(0), 12);
        Assert.Equal(0.2, options.ExploitProbability(99.9 / 600), 12);
        Assert.Equal(0.35, options.ExploitProbability(100 / 600.0), 12);
        Assert.Equal(0.65, options.ExploitProbability(0.5), 12);
        Assert.Equal(0.95, options.ExploitProbability(599 / 600.0), 12);
        Assert.Equal(0.95, options.ExploitProbability(1), 12);

        var sampler = new PasSampler(Fmnist, new SeededRandom(0), options);
        sampler.OnBatch(new TrainingProgress(10, 0, 8, 60), SamplerRun.Score);
        Assert.Equal(0.35, sampler.ExploitProbability, 12);
        sampler.OnBatch(new TrainingProgress(59, 7, 8, 60), SamplerRun.Score);
        Assert.Equal(0.95, sampler.ExploitProbability, 12);
    }

    [Fact]
    public void NextStep_WithoutOnBatch_ExplainsWhatIsMissing()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new PasSampler(Fmnist, new SeededRandom(0), new SamplerOptions()).NextStep());
        Assert.Contains("OnBatch", e.Message);
    }

    private static string GetRng(PasSampler sampler) => sampler.GetState()["rng"]!.GetValue<string>();
}
