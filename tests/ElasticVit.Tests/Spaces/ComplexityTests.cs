using System.Text.Json;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Spaces;

public class ComplexityTests
{
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    public static TheoryData<string> ReferenceNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Reference().Keys) data.Add(name);
        return data;
    }

    private static Dictionary<string, (string Key, double FlopsM, double ParamsM)> Reference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Spaces", "reference-models.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => (p.Value.GetProperty("key").GetString()!, p.Value.GetProperty("flops_m").GetDouble(), p.Value.GetProperty("params_m").GetDouble()));
    }

    [Theory]
    [MemberData(nameof(ReferenceNames))]
    public void AnalyticCount_MatchesReferenceFlopsAndParams(string name)
    {
        var (key, flopsM, paramsM) = Reference()[name];
        var cost = Complexity.Of(ImageNet, Subnet.Parse(key, ImageNet));
        Assert.InRange(cost.FlopsM / flopsM, 0.995, 1.005);
        Assert.InRange(cost.ParamsM / paramsM, 0.99, 1.01);
    }

    [Fact]
    public void ReleasedModels_AreAvailableByName()
    {
        foreach (var name in new[] { "T1", "T2", "S1", "S2", "M", "L1", "L1.5", "L2", "L3" })
            Assert.Equal(Reference()[name].Key, ImageNet.Resolve(name).Key);
    }

    [Fact]
    public void LevelMinSubnets_FollowTheOfficialRule()
    {
        var reference = Reference();
        Assert.Equal(new double[] { 100, 200, 300, 400, 500, 700, 900, 1200 }, ImageNet.Levels.Select(l => l.FlopsM));
        Assert.Equal(reference["min200"].Key, ImageNet.Levels[0].MinSubnet.Key);
        Assert.Equal(reference["min400"].Key, ImageNet.Levels[3].MinSubnet.Key);
        Assert.Equal(reference["min800"].Key, ImageNet.Levels[4].MinSubnet.Key);
    }

    [Fact]
    public void FmnistSpace_SpansTenfoldFlopsWithSixOrMoreLevels()
    {
        var space = SpaceLoader.Load("elasticvit-fmnist");
        var min = Complexity.FlopsM(space, space.MinSubnet);
        var max = Complexity.FlopsM(space, space.MaxSubnet);
        Assert.True(max / min >= 10, $"max/min = {max / min:F2}");
        Assert.True(space.Levels.Count >= 6);
        Assert.True(space.Levels.Select(l => l.MinSubnet).Distinct().Count() >= 3);
        Assert.Equal(1, space.Input.Channels);
        Assert.Equal(10, space.Classes);
        foreach (var level in space.Levels)
            Assert.True(Complexity.FlopsM(space, level.MinSubnet) <= level.FlopsM);
    }
}
