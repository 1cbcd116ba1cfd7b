using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Search;

/// <summary>Small spaces and fake cost models for search tests.</summary>
internal static class TestSpaces
{
    public static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");

    /// <summary>4,608 subnets: small enough to brute-force.</summary>
    public static readonly SearchSpace Tiny = SpaceLoader.Parse(TinyJson, "tiny.json");

    public const string TinyJson = """
        {
          "name": "tiny", "description": "search tests", "input": {"channels": 1, "native_size": 28}, "classes": 10,
          "head_dim": 16, "classifier_mul": 6, "classifier_hidden": 64, "resolutions": [24, 28, 32],
          "stem": {"widths": [8, 16], "depth": [1, 2], "kernels": [3], "stride": 1},
          "stages": [
            {"name": "C1", "type": "mbconv", "stride": 2, "se": false, "widths": [16, 24], "depth": [1, 2], "expansions": [3, 4, 6], "kernels": [3, 5]},
            {"name": "T1", "type": "transformer", "stride": 2, "widths": [32, 48], "depth": [1, 2], "mlp_ratios": [2, 4], "v_scales": [2, 4]}
          ],
          "flops_bound_m": 100,
          "levels": [{"flops_m": 1, "min_subnet": "r24-s8x1k3-C1:16x1e3k3-T1:32x1m2v2"}]
        }
        """;

    public static IEnumerable<Subnet> AllTiny()
    {
        foreach (var r in new[] { 24, 28, 32 })
        foreach (var sw in new[] { 8, 16 })
        foreach (var sd in new[] { 1, 2 })
        foreach (var cw in new[] { 16, 24 })
        foreach (var cd in new[] { 1, 2 })
        foreach (var ce in new[] { 3, 4, 6 })
        foreach (var ck in new[] { 3, 5 })
        foreach (var tw in new[] { 32, 48 })
        foreach (var td in new[] { 1, 2 })
        foreach (var tm in new[] { 2, 4 })
        foreach (var tv in new[] { 2, 4 })
            yield return new Subnet(r, new StemConfig(sw, sd, 3),
                [StageConfig.MbConv("C1", cw, cd, ce, ck), StageConfig.Transformer("T1", tw, td, tm, tv)]);
    }

    public static double FlopsM(SearchSpace space, Subnet s) => Complexity.Of(space, s).FlopsM;
}

/// <summary>
/// A latency model that is not monotone in resolution: 0.1 ms per MFLOP plus a fixed cost that is highest
/// at the smallest resolution, so the fastest subnet is not the min subnet.
/// </summary>
internal sealed class FakeLatency(SearchSpace space) : ILatencyPredictor
{
    public string Device => "fake";

    public double PredictMs(Subnet subnet)
    {
        var resolutionCost = subnet.Resolution == space.Resolutions[0] ? 1.0 : subnet.Resolution == space.Resolutions[^1] ? 0.3 : 0.0;
        return 0.1 * Complexity.Of(space, subnet).FlopsM + resolutionCost;
    }
}
