using System.Text.Json.Nodes;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Spaces;

public class SpaceLoaderTests
{
    private static JsonObject Fmnist()
    {
        using var stream = typeof(SpaceLoader).Assembly.GetManifestResourceStream("spaces/elasticvit-fmnist.json")!;
        return JsonNode.Parse(stream)!.AsObject();
    }

    private static string Error(Action<JsonObject> edit)
    {
        var json = Fmnist();
        edit(json);
        return Assert.Throws<SpaceException>(() => SpaceLoader.Parse(json.ToJsonString(), "my-space.json")).Message;
    }

    [Fact]
    public void BuiltInSpaces_LoadAndListThemselves()
    {
        Assert.Contains("elasticvit-imagenet", SpaceLoader.BuiltInNames);
        Assert.Contains("elasticvit-fmnist", SpaceLoader.BuiltInNames);
        Assert.Equal(6, SpaceLoader.Load("elasticvit-imagenet").Stages.Count);
    }

    [Fact]
    public void UnknownKey_NamesFileAndField()
    {
        var m = Error(j => j["stem"]!.AsObject()["widht"] = 3);
        Assert.Contains("my-space.json", m);
        Assert.Contains("'stem.widht'", m);
        Assert.Contains("unknown key", m);
    }

    [Fact]
    public void EmptyChoiceList_IsRejected() =>
        Assert.Contains("'stages[2].mlp_ratios': empty choice list", Error(j => j["stages"]![2]!["mlp_ratios"] = new JsonArray()));

    [Fact]
    public void ShrinkingWidths_AreRejected() =>
        Assert.Contains("widths must not decrease", Error(j => j["stages"]![3]!["widths"] = new JsonArray(16, 32)));

    [Fact]
    public void TransformerWidthNotDivisibleByHeadDim_IsRejected() =>
        Assert.Contains("not divisible by head_dim 16", Error(j => j["stages"]![5]!["widths"] = new JsonArray(96, 120)));

    [Fact]
    public void UnsortedChoices_AreRejected() =>
        Assert.Contains("strictly increasing", Error(j => j["resolutions"] = new JsonArray(28, 24)));

    [Fact]
    public void MissingField_IsRejected() =>
        Assert.Contains("'classes': missing", Error(j => j.Remove("classes")));

    [Fact]
    public void LevelMinSubnetOutsideSpace_IsRejected() =>
        Assert.Contains("'levels[0].min_subnet'", Error(j => j["levels"]![0]!["min_subnet"] = "r20-s8x1k3-C1:16x1e3k3-C2:24x1e3k3-T1:32x1m2v2-T2:48x1m2v2-T3:64x1m2v2-T4:96x1m2v2"));

    [Fact]
    public void UnknownSpaceName_IsRejected() =>
        Assert.Contains("unknown search space 'nope'", Assert.Throws<SpaceException>(() => SpaceLoader.Load("nope")).Message);
}
