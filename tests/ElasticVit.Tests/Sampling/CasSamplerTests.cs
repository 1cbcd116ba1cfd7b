using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Sampling;

public class CasSamplerTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");

    private static int[] Walk(string name, int steps, long seed = 1) =>
        SamplerRun.Run(TrainingSamplers.Create(name, Fmnist, new SeededRandom(seed)), 0, steps, totalEpochs: 10_000).Select(s => s.LevelIndex).ToArray();

    [Fact]
    public void Walk_NeverMovesMoreThanOneLevel_AndReachesEveryLevel()
    {
        var levels = Walk("cas", 3000);
        Assert.InRange(levels[0], 0, 1); // the walk starts at the lowest level
        for (var t = 1; t < levels.Length; t++) Assert.InRange(levels[t] - levels[t - 1], -1, 1);
        Assert.Equal(Enumerable.Range(0, Fmnist.Levels.Count), levels.Distinct().Order());
    }

    [Fact]
    public void Walk_FollowsTheEdgeRules()
    {
        // From the lowest level the choice is among (0, 0, +1), from the highest among (−1, 0, 0), else (−1, 0, +1).
        var levels = Walk("cas", 20_000);
        var top = Fmnist.Levels.Count - 1;
        double Stay(Func<int, bool> from)
        {
            var moves = levels.Zip(levels.Skip(1)).Where(p => from(p.First)).ToArray();
            Assert.True(moves.Length > 500);
            return moves.Count(p => p.First == p.Second) / (double)moves.Length;
        }
        Assert.InRange(Stay(l => l == 0), 0.6, 0.73);
        Assert.InRange(Stay(l => l == top), 0.6, 0.73);
        Assert.InRange(Stay(l => l > 0 && l < top), 0.29, 0.38);
        Assert.DoesNotContain(levels.Zip(levels.Skip(1)), p => p.First == 0 && p.Second < 0 || p.First == top && p.Second > top);
    }

    [Fact]
    public void RandomLevel_DrawsEachStepsLevelIndependently()
    {
        var levels = Walk("random-level", 600);
        Assert.Equal(Enumerable.Range(0, Fmnist.Levels.Count), levels.Distinct().Order());
        Assert.Contains(levels.Zip(levels.Skip(1)), p => Math.Abs(p.First - p.Second) > 1);
    }

    [Theory]
    [InlineData("cas")]
    [InlineData("cas-pas")]
    [InlineData("random-level")]
    public void Steps_AreThreeSubnetsInTheLevelsRange_ThenTheLevelMinSubnet(string name)
    {
        var options = new SamplerOptions { BankCapacity = 10, ExploitStart = 0.5 };
        foreach (var step in SamplerRun.Run(TrainingSamplers.Create(name, Fmnist, new SeededRandom(2), options), 0, 400))
        {
            var level = Fmnist.Levels[step.LevelIndex];
            Assert.Equal(level.FlopsM, step.LevelFlopsM);
            Assert.Equal([SubnetRole.Level, SubnetRole.Level, SubnetRole.Level, SubnetRole.LevelMin], step.Subnets.Select(s => s.Role));
            Assert.Equal(level.MinSubnet, step.Subnets[3].Subnet);
            foreach (var s in step.Subnets.Take(3))
            {
                Fmnist.Validate(s.Subnet);
                Assert.True(s.Subnet.Dominates(level.MinSubnet));
                Assert.InRange(Complexity.FlopsM(Fmnist, s.Subnet), level.FlopsM, level.FlopsM + 2 * Fmnist.FlopsBoundM);
            }
        }
    }

    [Theory]
    [InlineData("cas")]
    [InlineData("cas-pas")]
    public void SpaceMinShare_TrainsTheSpacesMinSubnetInThatShareOfTheOtherLevelsSteps(string name)
    {
        // At the levels whose own min subnet is not the space's, the step's min is the space's in about a third of steps.
        var options = new SamplerOptions { LevelSubnets = 1, BankCapacity = 10, SpaceMinShare = 1.0 / 3 };
        var steps = SamplerRun.Run(TrainingSamplers.Create(name, Fmnist, new SeededRandom(3), options), 0, 3000)
            .Where(s => Fmnist.Levels[s.LevelIndex].MinSubnet != Fmnist.MinSubnet).ToArray();
        Assert.True(steps.Length > 1500);
        foreach (var step in steps)
        {
            Assert.Equal(SubnetRole.LevelMin, step.Subnets[^1].Role);
            Assert.Contains(step.Subnets[^1].Subnet, new[] { Fmnist.MinSubnet, Fmnist.Levels[step.LevelIndex].MinSubnet });
            Assert.True(step.Subnets[0].Subnet.Dominates(Fmnist.Levels[step.LevelIndex].MinSubnet));   // the level draw keeps its floor
        }
        var share = steps.Count(s => s.Subnets[^1].Subnet == Fmnist.MinSubnet) / (double)steps.Length;
        Assert.InRange(share, 0.28, 0.39);
    }

    [Fact]
    public void SpaceMinShare_One_AlwaysTrainsTheSpacesMinSubnet_AndAShareAboveOneIsRefused()
    {
        var steps = SamplerRun.Run(TrainingSamplers.Create("cas", Fmnist, new SeededRandom(4), new SamplerOptions { SpaceMinShare = 1 }), 0, 300);
        Assert.Contains(steps, s => Fmnist.Levels[s.LevelIndex].MinSubnet != Fmnist.MinSubnet);
        Assert.All(steps, s => Assert.Equal(Fmnist.MinSubnet, s.Subnets[^1].Subnet));
        var e = Assert.Throws<SamplingException>(() => TrainingSamplers.Create("cas", Fmnist, new SeededRandom(4), new SamplerOptions { SpaceMinShare = 1.5 }));
        Assert.Contains("SpaceMinShare", e.Message);
    }

    [Fact]
    public void InfeasibleDraws_SurfaceAsSamplingException()
    {
        var imagenet = SpaceLoader.Load("elasticvit-imagenet");
        var sampler = TrainingSamplers.Create("cas", imagenet, new SeededRandom(0), new SamplerOptions { MaxTries = 1 });
        var e = Assert.Throws<SamplingException>(() => SamplerRun.Run(sampler, 0, 10));
        Assert.Contains("in 1 tries", e.Message);
    }
}
