using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Latency;

public class ProfilingBackendTests
{
    [Theory]
    [InlineData("ort-cpu")]
    [InlineData("torch-cpu")]
    public void Layers_and_models_get_positive_medians(string name)
    {
        var space = ProfilingTestData.Tiny;
        using var backend = LatencyBackends.Create(name, threads: 1);
        var profiler = new LatencyProfiler(backend, space, ProfilingTestData.Quick with { Clock = TimingProtocol.ClockFor(1) });
        foreach (var layer in LatencyTable.RequiredLayers(space, [24]).Where(l => l.Kind is LayerKind.Stem or LayerKind.Transformer or LayerKind.Head))
        {
            var r = profiler.MeasureLayer(layer);
            Assert.True(r.Ms > 0, $"{layer.Key}: {r.Ms}");
            Assert.Equal(3, r.Runs);
        }
        var model = profiler.MeasureModels([space.MinSubnet, space.MaxSubnet], passes: 2);
        Assert.All(model, m => Assert.True(m.LatencyMs > 0));
        Assert.Equal("ort-cpu-1t", LatencyBackends.DeviceName("ort-cpu", 1));
    }

    [Fact]
    public void Unknown_backends_and_thread_counts_fail_in_one_line()
    {
        Assert.Contains("known: torch-cpu, ort-cpu", Assert.Throws<LatencyException>(() => LatencyBackends.Create("gpu")).Message);
        Assert.Throws<LatencyException>(() => LatencyBackends.Create("ort-cpu", 0));
    }

    [Fact]
    public void Spread_gives_distinct_valid_subnets_at_the_allowed_resolutions_including_the_extremes()
    {
        var space = LatencyTestData.Fmnist;
        var subnets = LatencySubnets.Spread(space, 12, seed: 3);
        Assert.Equal(12, subnets.Select(s => s.Key).Distinct().Count());
        Assert.All(subnets, s => Assert.True(space.IsValid(s)));
        Assert.Equal(space.MinSubnet.Key, subnets[0].Key);
        Assert.Equal(space.MaxSubnet.Key, subnets[1].Key);
        Assert.All(LatencySubnets.Spread(space, 8, seed: 1, resolutions: [28]), s => Assert.Equal(28, s.Resolution));
    }
}

public class MachineInfoTests
{
    [Fact]
    public void Describe_tells_cpu_generations_apart_that_share_a_model_name()
    {
        string[] Cpu(int family, string flags) => ["processor\t: 0", "model name\t: AMD EPYC", $"cpu family\t: {family}", "model\t\t: 1", $"flags\t\t: fpu sse2 {flags}"];
        var zen3 = ElasticVit.Latency.Profiling.MachineInfo.Describe(Cpu(25, "avx2 fma"), 2);
        var zen5 = ElasticVit.Latency.Profiling.MachineInfo.Describe(Cpu(26, "avx2 fma avx512f avx512_bf16"), 2);
        Assert.Equal("AMD EPYC, family 25 model 1, avx2 fma, 2 logical CPUs", zen3);
        Assert.Equal("AMD EPYC, family 26 model 1, avx2 fma avx512f avx512_bf16, 2 logical CPUs", zen5);
        Assert.EndsWith($"{Environment.ProcessorCount} logical CPUs", ElasticVit.Latency.Profiling.MachineInfo.Describe());
    }
}
