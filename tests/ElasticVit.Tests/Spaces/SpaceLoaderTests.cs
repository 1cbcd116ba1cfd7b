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

    [Theory]
    [InlineData("elasticvit-fmnist-lite", 4)]
    [InlineData("elasticvit-fmnist-t1", 3)]
    public void The_smaller_fmnist_spaces_are_the_fmnist_space_cut_after_a_stage_and_their_levels_are_reachable(string name, int stagesKept)
    {
        var (full, cut) = (SpaceLoader.Load("elasticvit-fmnist"), SpaceLoader.Load(name));
        static string Choices(StageSpace s) => string.Join(' ', s.Name, s.Kind, s.Stride, s.Se, string.Join(',', s.Widths), s.MinDepth, s.MaxDepth,
            string.Join(',', s.Expansions), string.Join(',', s.Kernels), string.Join(',', s.MlpRatios), string.Join(',', s.VScales));
        Assert.Equal(full.Stages.Take(stagesKept).Select(Choices), cut.Stages.Select(Choices));
        Assert.Equal(full.Stem.Widths, cut.Stem.Widths);
        Assert.Equal(full.Resolutions, cut.Resolutions);
        // The extremes are the fmnist space's with the later stages cut off.
        var cutOff = full.Stages.Count - stagesKept;
        Assert.Equal(string.Join('-', full.MaxSubnet.Key.Split('-').SkipLast(cutOff)), cut.MaxSubnet.Key);
        Assert.Equal(string.Join('-', full.MinSubnet.Key.Split('-').SkipLast(cutOff)), cut.MinSubnet.Key);
        // Each level's min subnet lies at or below the level, the levels rise, and the max subnet exceeds the top one.
        Assert.All(cut.Levels, l => Assert.True(Complexity.FlopsM(cut, l.MinSubnet) <= l.FlopsM, $"level {l.FlopsM}"));
        Assert.Equal(cut.Levels.Select(l => l.FlopsM).Order(), cut.Levels.Select(l => l.FlopsM));
        Assert.True(Complexity.FlopsM(cut, cut.MaxSubnet) > cut.Levels[^1].FlopsM);
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

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"elasticvit-fmnist\"")]
    public void A_document_that_is_not_an_object_is_rejected_by_name(string json) =>
        Assert.Equal("my-space.json: expected a JSON object", Assert.Throws<SpaceException>(() => SpaceLoader.Parse(json, "my-space.json")).Message);

    [Fact]
    public void UnknownSpaceName_IsRejected() =>
        Assert.Contains("unknown search space 'nope'", Assert.Throws<SpaceException>(() => SpaceLoader.Load("nope")).Message);
}
