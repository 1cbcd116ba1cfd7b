using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using static TorchSharp.torch;

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
        // In context: two copies against one, in interleaved rounds (a difference, so noise may push it below zero).
        var inContext = new LatencyProfiler(backend, space, profiler.Protocol) { LayerTiming = LayerTiming.InContext };
        foreach (var layer in LatencyTable.RequiredLayers(space, [24]))
        {
            var r = inContext.MeasureLayer(layer);
            Assert.True(double.IsFinite(r.Ms), layer.Key);
            Assert.Equal(LatencyProfiler.InContextRounds, r.Runs);   // the two copies' runs: 3 spread over 4 rounds gives 1 each
        }
        Assert.Equal("ort-cpu-1t", LatencyBackends.DeviceName("ort-cpu", 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Static_models_run_channels_last_after_the_stem_and_torch_cpu_times_each_layer_on_that_layout(int batch)
    {
        var space = LatencyTestData.Fmnist;
        using var model = new StaticModel(space, space.MaxSubnet);
        model.eval();
        var seen = new List<(LayerSpec Spec, bool ChannelsLast, bool Contiguous)>();
        foreach (var (layer, spec) in model.layers.Zip(model.Plan))
            layer.register_forward_pre_hook((_, x) => { seen.Add((spec, IsChannelsLast(x), x.is_contiguous())); return x; });
        using (no_grad()) model.forward(rand(batch, 1, 28, 28)).Dispose();

        Assert.Equal(model.Plan.Count, seen.Count);
        foreach (var (spec, channelsLast, contiguous) in seen)
        {
            // Maps after the stem channels-last (a batch of one too: its batch stride is easily lost), tokens contiguous.
            if (spec.Kind == LayerKind.Transformer) Assert.True(contiguous, spec.Key);
            else Assert.True(channelsLast == (spec.Kind != LayerKind.Stem), $"{spec.Key}: channels-last {channelsLast} at batch {batch}");
            if (batch != 1) continue;
            using var input = TorchCpuBackend.LayerInput(space, spec);
            Assert.Equal(StandaloneLayer.InputShape(space, spec), input.shape);
            Assert.True(channelsLast == IsChannelsLast(input) && input.is_contiguous() == contiguous, spec.Key);
        }
    }

    /// <summary>A map whose channels are adjacent in memory, as libtorch judges it (a single channel counts as NCHW).</summary>
    private static bool IsChannelsLast(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] == 1) return false;
        var (c, h, w) = (x.shape[1], x.shape[2], x.shape[3]);
        return x.stride(1) == 1 && x.stride(3) == c && x.stride(2) == w * c && x.stride(0) == h * w * c;
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
