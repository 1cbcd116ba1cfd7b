using ElasticVit.Spaces;

namespace ElasticVit.Tests.Spaces;

public class SubnetTests
{
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");

    [Fact]
    public void Key_RoundTrips_ForNamedAndExtremeSubnets()
    {
        foreach (var space in new[] { ImageNet, Fmnist })
        foreach (var subnet in space.NamedModels.Values.Append(space.MinSubnet).Append(space.MaxSubnet))
        {
            var parsed = Subnet.Parse(subnet.Key, space);
            Assert.Equal(subnet, parsed);
            Assert.Equal(subnet.Key, parsed.Key);
        }
    }

    [Fact]
    public void Json_RoundTrips_AndKeepsReferenceShape()
    {
        var s1 = ImageNet.Resolve("S1");
        var json = SubnetJson.Serialize(s1);
        Assert.Contains("\"heads\":17", json);
        Assert.Contains("\"mlp_ratio\":4", json);
        Assert.Equal(s1, SubnetJson.Parse(json, ImageNet));
    }

    [Fact]
    public void Key_HasTheDocumentedShape()
    {
        Assert.Equal("r192-s16x1k3-C1:24x3e3k3-C2:40x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-T4:272x2m4v2", ImageNet.Resolve("S1").Key);
    }

    [Theory]
    [InlineData("r999-s16x1k3-C1:24x3e3k3-C2:40x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-T4:272x2m4v2", "resolution 999")]
    [InlineData("r192-s16x1k3-C1:24x3e3k3-C2:40x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2", "expected 8")]
    [InlineData("r192-s16x1k3-C1:24x3e3k3-C2:40x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-T4:272x9m4v2", "T4.depth 9")]
    [InlineData("r192-s16x1k3-C1:24x3e3k3-C2:40x3e7k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-T4:272x2m4v2", "C2.expansion 7")]
    [InlineData("r192-s16x1k3-C1:32x3e3k3-C2:24x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-T4:272x2m4v2", "must not decrease")]
    [InlineData("r192-s16x1k3-C1:24x3e3k3-C2:40x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-X4:272x2m4v2", "'X4'")]
    [InlineData("r192-s16x1k3-C1:24x3e3k3-C2:40x3e3k3-T1:64x2m2v2-T2:96x2m2v2-T3:192x2m3v2-T4:272x2e4k2", "NAME:WIDTHxDEPTHmMLPvVSCALE")]
    [InlineData("garbage", "malformed")]
    public void InvalidKeys_FailWithPreciseMessages(string key, string expected)
    {
        var e = Assert.Throws<SpaceException>(() => Subnet.Parse(key, ImageNet));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Dominates_ComparesEveryDimension()
    {
        var min = ImageNet.MinSubnet;
        Assert.True(ImageNet.MaxSubnet.Dominates(min));
        Assert.True(min.Dominates(min));
        Assert.False(min.Dominates(ImageNet.MaxSubnet));
        Assert.False(min.WithResolution(256).Dominates(ImageNet.Resolve("T1")));
    }
}
