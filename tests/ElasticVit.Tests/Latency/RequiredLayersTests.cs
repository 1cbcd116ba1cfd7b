using ElasticVit.Latency;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using Xunit.Abstractions;

namespace ElasticVit.Tests.Latency;

public class RequiredLayersTests(ITestOutputHelper output)
{
    private static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");
    private static readonly SearchSpace ImageNet = SpaceLoader.Load("elasticvit-imagenet");

    private static HashSet<LayerSpec> LayersOf(SearchSpace space, IEnumerable<Subnet> subnets) =>
        subnets.SelectMany(s => LayerPlan.Of(space, s)).ToHashSet();

    private static IEnumerable<Subnet> Random(SearchSpace space, int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => RandomSubnets.Draw(space, rng));
    }

    [Fact]
    public void RequiredLayers_ContainEveryLayerOf2000RandomFmnistSubnets()
    {
        var required = LatencyTable.RequiredLayers(Fmnist).ToHashSet();
        var missing = LayersOf(Fmnist, Random(Fmnist, 2000, 7)).Where(l => !required.Contains(l)).Select(l => l.Key).ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void RequiredLayers_ContainEveryLayerOfRandomAndNamedImageNetSubnets()
    {
        var required = LatencyTable.RequiredLayers(ImageNet).ToHashSet();
        var subnets = Random(ImageNet, 2000, 8).Concat(ImageNet.NamedModels.Values).Append(ImageNet.MinSubnet).Append(ImageNet.MaxSubnet);
        var missing = LayersOf(ImageNet, subnets).Where(l => !required.Contains(l)).Select(l => l.Key).ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void RequiredLayers_AreExactlyTheLayersRandomFmnistSubnetsReach()
    {
        // Every enumerated shape occurs in some valid subnet: 10,000 draws hit each of them (the rarest has probability ≈ 1/100).
        var seen = LayersOf(Fmnist, Random(Fmnist, 10_000, 9));
        var required = LatencyTable.RequiredLayers(Fmnist);
        Assert.Equal(required.Count, required.Select(l => l.Key).Distinct().Count());
        var unreached = required.Where(l => !seen.Contains(l)).Select(l => l.Key).ToArray();
        Assert.Empty(unreached);
        Assert.Equal(seen.Count, required.Count);
    }

    [Fact]
    public void RequiredLayers_ForOneResolution_CoverThatResolutionOnly()
    {
        var at28 = LatencyTable.RequiredLayers(Fmnist, [28]).ToHashSet();
        var missing = LayersOf(Fmnist, Random(Fmnist, 500, 10).Select(s => s.WithResolution(28))).Where(l => !at28.Contains(l)).Select(l => l.Key).ToArray();
        Assert.Empty(missing);
        Assert.DoesNotContain(at28, l => l.Kind == LayerKind.Stem && l.InSize != 28);
        Assert.True(at28.Count < LatencyTable.RequiredLayers(Fmnist).Count);
    }

    [Fact]
    public void RequiredLayers_RejectAResolutionOutsideTheSpace() =>
        Assert.Contains("resolution 30 is not one of {24, 28, 32}", Assert.Throws<LatencyException>(() => LatencyTable.RequiredLayers(Fmnist, [30])).Message);

    [Fact]
    public void RequiredKeyCounts_FmnistMatchesTheHandCount()
    {
        // Per resolution 218 shapes (stem 2 + stage0 4, C1 48, C2 48, T1 22, T2 22, T3 33, T4 36, head 3) minus the 29
        // shared by stride-1 transformer stages = 189; r28 and r32 share every layer on the 4×4 token map, so r32 adds 106.
        Assert.Equal(189 + 189 + 106, LatencyTable.RequiredKeys(Fmnist).Count);
        foreach (var (name, space) in new[] { ("fmnist", Fmnist), ("imagenet", ImageNet) })
        {
            output.WriteLine($"{name}: {LatencyTable.RequiredKeys(space).Count} keys for all resolutions");
            foreach (var r in space.Resolutions) output.WriteLine($"  r{r}: {LatencyTable.RequiredKeys(space, [r]).Count}");
        }
    }
}
