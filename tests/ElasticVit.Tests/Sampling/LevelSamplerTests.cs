using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Sampling;

public class LevelSamplerTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    [Fact]
    public void Draw_GivesTheSameSubnets_AsNaiveRejectionWithComplexity()
    {
        var cases = Fmnist.Levels.Select(l => (Fmnist, l)).Concat(new[] { (ImageNet, ImageNet.Levels[1]), (ImageNet, ImageNet.Levels[6]) });
        foreach (var (space, level) in cases)
        {
            var sampler = new LevelSampler(space, level.FlopsM, level.MinSubnet);
            var (fast, naive) = (new SeededRandom(3), new SeededRandom(3));
            for (var i = 0; i < 20; i++)
            {
                Subnet expected;
                do expected = RandomSubnets.Draw(space, naive, level.MinSubnet);
                while (!sampler.InRange(Complexity.FlopsM(space, expected)));
                Assert.Equal(expected, sampler.Draw(fast));
            }
        }
    }

    [Fact]
    public void Draws_AreValid_InRange_AndDominateTheLevelMinSubnet()
    {
        var rng = new SeededRandom(5);
        foreach (var level in Fmnist.Levels)
        {
            var sampler = new LevelSampler(Fmnist, level.FlopsM, level.MinSubnet);
            for (var i = 0; i < 50; i++)
            {
                var subnet = sampler.Draw(rng);
                Fmnist.Validate(subnet);
                Assert.True(subnet.Dominates(level.MinSubnet));
                Assert.InRange(Complexity.FlopsM(Fmnist, subnet), level.FlopsM, level.FlopsM + 2 * Fmnist.FlopsBoundM);
                Assert.True(sampler.Contains(subnet));
            }
        }
    }

    [Fact]
    public void InfeasibleLevel_FailsFast_WithAClearMessage()
    {
        var sampler = new LevelSampler(Fmnist, 1000, Fmnist.MinSubnet, maxTries: 100);
        var e = Assert.Throws<SamplingException>(() => sampler.Draw(new SeededRandom(0)));
        Assert.Contains("[1000, 1002]M", e.Message);
        Assert.Contains("100 tries", e.Message);
        Assert.Contains("infeasible", e.Message);
    }
}
