using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Latency;

/// <summary>
/// A profiling backend whose runs take known, simulated times, read through <see cref="Timer"/> (so no verdict depends on
/// how fast this machine is): a layer costs <see cref="LayerMs"/>, a whole subnet
/// <c>Scale · Σ LayerMs + MsPerMParam · params (M) + OverheadMs</c>, and every run adds <see cref="CallMs"/>. A busy host
/// is simulated by <see cref="Slowdown"/>, a factor by the index of the run (counted over every timed or untimed run).
/// Inside a model a layer costs <c>Scale · LayerMs</c>, so copies of it on one input cost that per copy, plus
/// <see cref="AddMs"/> for summing them (and the per-call cost).
/// </summary>
internal sealed class SimulatedBackend : ILatencyBackend
{
    private double _nowMs;
    private long _runs;

    public double CallMs { get; init; } = 0.01;
    public double Scale { get; init; } = 0.8;
    public double MsPerMParam { get; init; } = 0.03;
    public double OverheadMs { get; init; } = 0.05;
    public double AddMs { get; init; } = 0.004;
    public Func<long, double> Slowdown { get; init; } = _ => 1;

    public string Name => "ort-cpu";
    public int Threads => 1;
    public string RuntimeVersion => "simulated 1.0";

    /// <summary>The simulated clock's reading of one run.</summary>
    public Func<Action, double> Timer => run =>
    {
        var start = _nowMs;
        run();
        return _nowMs - start;
    };

    /// <summary>A known function of the layer: a fixed cost plus one per MAC.</summary>
    public static double LayerMs(LayerSpec layer) => 0.002 + Complexity.Of(layer).Macs * 2e-6;

    public double ModelMs(SearchSpace space, Subnet subnet) =>
        Scale * LayerPlan.Of(space, subnet).Sum(LayerMs) + MsPerMParam * Complexity.Of(space, subnet).ParamsM + OverheadMs;

    public IWorkload PrepareLayer(SearchSpace space, LayerSpec layer) => new Workload(this, LayerMs(layer));
    public IWorkload PrepareLayerCopies(SearchSpace space, LayerSpec layer, int copies) => new Workload(this, copies * Scale * LayerMs(layer) + AddMs);
    public IWorkload PrepareModel(SearchSpace space, Subnet subnet) => new Workload(this, ModelMs(space, subnet));
    public IWorkload PrepareEmpty() => new Workload(this, 0);

    private void Advance(double ms) => _nowMs += (ms + CallMs) * Slowdown(_runs++);

    public void Dispose() { }

    private sealed class Workload(SimulatedBackend backend, double ms) : IWorkload
    {
        public void Run() => backend.Advance(ms);
        public void Dispose() { }
    }
}
