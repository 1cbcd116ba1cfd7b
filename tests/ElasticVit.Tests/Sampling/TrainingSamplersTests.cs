using System.Text.Json.Nodes;
using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Sampling;

public class TrainingSamplersTests
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");

    // Small banks and a high exploit probability so that banks fill up and get exploited within a short run.
    private static readonly SamplerOptions Busy = new() { BankCapacity = 10, ExploitStart = 0.5 };

    public static TheoryData<string> Names() => new(TrainingSamplers.Names);

    private static ITrainingSampler Create(string name, long seed, SamplerOptions? options = null) =>
        TrainingSamplers.Create(name, Fmnist, new SeededRandom(seed), options ?? Busy);

    [Theory]
    [MemberData(nameof(Names))]
    public void SameSeed_GivesSameSequence(string name)
    {
        var a = SamplerRun.Run(Create(name, 1), 0, 200).Select(SamplerRun.Describe);
        var b = SamplerRun.Run(Create(name, 1), 0, 200).Select(SamplerRun.Describe);
        var c = SamplerRun.Run(Create(name, 2), 0, 200).Select(SamplerRun.Describe);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void RestoredState_ContinuesIdentically(string name)
    {
        var original = Create(name, 1);
        SamplerRun.Run(original, 0, 203);
        var saved = original.GetState().ToJsonString();
        var expected = SamplerRun.Run(original, 203, 150);

        var resumed = Create(name, 99);
        resumed.SetState(JsonNode.Parse(saved)!.AsObject());
        var actual = SamplerRun.Run(resumed, 203, 150);

        Assert.Equal(expected.Select(SamplerRun.Describe), actual.Select(SamplerRun.Describe));
        Assert.Equal(original.GetState().ToJsonString(), resumed.GetState().ToJsonString());
        if (name == "cas-pas") Assert.Contains(expected, s => s.Subnets.Any(x => x.FromBank));
    }

    [Fact]
    public void RestoredState_WithALevelPool_ContinuesIdentically()
    {
        var options = Busy with { LevelPoolSize = 16 };
        var original = Create("cas-pas", 1, options);
        SamplerRun.Run(original, 0, 100);
        var saved = original.GetState().ToJsonString();
        var expected = SamplerRun.Run(original, 100, 100).Select(SamplerRun.Describe);

        var resumed = Create("cas-pas", 5, options);
        resumed.SetState(JsonNode.Parse(saved)!.AsObject());
        Assert.Equal(expected, SamplerRun.Run(resumed, 100, 100).Select(SamplerRun.Describe));
    }

    [Fact]
    public void LevelPool_LimitsEachLevelToItsPool()
    {
        var steps = SamplerRun.Run(Create("cas", 3, new SamplerOptions { LevelPoolSize = 5 }), 0, 2000);
        foreach (var level in steps.GroupBy(s => s.LevelIndex))
        {
            var distinct = level.SelectMany(s => s.Subnets).Where(s => s.Role == SubnetRole.Level).Select(s => s.Subnet).Distinct().Count();
            Assert.InRange(distinct, 2, 5);
        }
    }

    [Fact]
    public void Uniform_DrawsFourValidSubnets()
    {
        foreach (var step in SamplerRun.Run(Create("uniform", 1), 0, 100))
        {
            Assert.Equal(4, step.Subnets.Count);
            Assert.All(step.Subnets, s => { Assert.Equal(SubnetRole.Random, s.Role); Fmnist.Validate(s.Subnet); });
            Assert.Equal(-1, step.LevelIndex);
            Assert.True(double.IsNaN(step.LevelFlopsM));
        }
    }

    [Fact]
    public void Sandwich_IsMaxTwoRandomMin()
    {
        foreach (var step in SamplerRun.Run(Create("sandwich", 1), 0, 100))
        {
            Assert.Equal([SubnetRole.Max, SubnetRole.Random, SubnetRole.Random, SubnetRole.Min], step.Subnets.Select(s => s.Role));
            Assert.Equal(Fmnist.MaxSubnet, step.Subnets[0].Subnet);
            Assert.Equal(Fmnist.MinSubnet, step.Subnets[3].Subnet);
            Fmnist.Validate(step.Subnets[1].Subnet);
            Fmnist.Validate(step.Subnets[2].Subnet);
        }
    }

    [Fact]
    public void UnknownName_AndInvalidOptions_FailClearly()
    {
        var e = Assert.Throws<SamplingException>(() => TrainingSamplers.Create("cas_pas", Fmnist, new SeededRandom(0)));
        Assert.Contains("unknown sampler 'cas_pas'", e.Message);
        Assert.Contains("cas-pas", e.Message);
        e = Assert.Throws<SamplingException>(() => TrainingSamplers.Create("cas", Fmnist, new SeededRandom(0), new SamplerOptions { MaxTries = 0 }));
        Assert.Contains("MaxTries", e.Message);
    }

    [Fact]
    public void StateOfAnotherSampler_IsRejected()
    {
        var state = Create("cas", 1).GetState();
        var e = Assert.Throws<SamplingException>(() => Create("cas-pas", 1).SetState(state));
        Assert.Contains("from the state of sampler cas", e.Message);
    }

    [Theory]
    [InlineData("cas", 1)]
    [InlineData("cas-pas", 1)]
    [InlineData("cas-pas", 5)]
    public void LevelSubnets_SetsTheSubnetsDrawnAtTheLevel_PlusTheLevelMin(string name, int levelSubnets)
    {
        foreach (var step in SamplerRun.Run(Create(name, 3, Busy with { LevelSubnets = levelSubnets }), 0, 60))
        {
            Assert.Equal(levelSubnets + 1, step.Subnets.Count);
            Assert.All(step.Subnets.Take(levelSubnets), s => Assert.Equal(SubnetRole.Level, s.Role));
            Assert.Equal(SubnetRole.LevelMin, step.Subnets[^1].Role);
        }
        Assert.Throws<SamplingException>(() => Create(name, 3, Busy with { LevelSubnets = 0 }));
    }
}
