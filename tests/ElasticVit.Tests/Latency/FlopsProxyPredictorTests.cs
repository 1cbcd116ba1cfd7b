using ElasticVit.Latency;
using ElasticVit.Spaces;
using static ElasticVit.Tests.Latency.LatencyTestData;

namespace ElasticVit.Tests.Latency;

public class FlopsProxyPredictorTests
{
    [Fact]
    public void Fit_RecoversAnExactLine_AndPredictsWithIt()
    {
        var subnets = RandomSubnets(Fmnist, 40, seed: 11);
        var proxy = FlopsProxyPredictor.Fit(Fmnist, "cpu", subnets.Select(s => new ModelMeasurement(s, 0.02 * Complexity.FlopsM(Fmnist, s) + 0.4)));
        Assert.Equal(0.02, proxy.MsPerMflop, 12);
        Assert.Equal(0.4, proxy.InterceptMs, 10);
        Assert.Equal(0.02 * Complexity.FlopsM(Fmnist, Fmnist.MaxSubnet) + 0.4, proxy.PredictMs(Fmnist.MaxSubnet), 10);
    }

    [Fact]
    public void Fit_NeedsTwoDifferentSizes()
    {
        var one = new ModelMeasurement(Fmnist.MinSubnet, 1.0);
        Assert.Contains("at least 2 measurements", Assert.Throws<LatencyException>(() => FlopsProxyPredictor.Fit(Fmnist, "cpu", [one])).Message);
        Assert.Contains("at least 2 different sizes", Assert.Throws<LatencyException>(() => FlopsProxyPredictor.Fit(Fmnist, "cpu", [one, one with { LatencyMs = 2 }])).Message);
    }

    [Fact]
    public void SaveThenLoad_RoundTrips()
    {
        var dir = Directory.CreateTempSubdirectory("flops-proxy-").FullName;
        try
        {
            var path = Path.Combine(dir, "proxy.json");
            new FlopsProxyPredictor(Fmnist, "pixel4", 0.0123456789, -0.5).Save(path);
            var loaded = FlopsProxyPredictor.Load(path);
            Assert.Equal(("pixel4", "elasticvit-fmnist", 0.0123456789, -0.5), (loaded.Device, loaded.Space.Name, loaded.MsPerMflop, loaded.InterceptMs));
            File.WriteAllText(path, File.ReadAllText(path).Replace("intercept_ms", "offset_ms"));
            Assert.Contains("proxy.json: field 'offset_ms': unknown key", Assert.Throws<LatencyException>(() => FlopsProxyPredictor.Load(path)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
