using ElasticVit.Sampling;
using System.Globalization;
using ElasticVit.Spaces;

namespace ElasticVit.Latency.Profiling;

/// <summary>
/// Builds a latency lookup table on this machine with one backend: every layer shape of the space is timed
/// (<see cref="TimingProtocol"/>) as <see cref="LayerTiming"/> says — on its own, net of the backend's per-call cost (so
/// a sum of entries counts that cost once, in the fitted per-model overhead, not once per layer), or as what it adds to
/// a running model; whole subnets are measured for calibration and validation.
/// Layers are measured in a seeded random order so slow drifts of the machine's speed do not line up with one
/// resolution or stage, and in interleaved rounds, each entry keeping its fastest. A partial table can be continued:
/// layer rounds it already has are skipped.
/// </summary>
public sealed class LatencyProfiler(ILatencyBackend backend, SearchSpace space, TimingProtocol protocol)
{
    /// <summary>
    /// Interleaved rounds a whole model is timed in, its fastest round being its latency: calibration, validation and
    /// single measurements all use it, so their figures compare (bench/results/latency.md).
    /// </summary>
    public const int ModelRounds = 16;

    /// <summary>
    /// Rounds a profile times every layer in by default, each with a quarter of the runs and time, the fastest kept
    /// (<see cref="MeasureLayers"/>): the profile takes 15 % longer, and its entries no longer carry the busy spells of
    /// a shared host (latency.md, session 17).
    /// </summary>
    public const int DefaultLayerRounds = 4;

    /// <summary>Interleaved rounds of one and two copies of a layer timed in context, the fastest round of each counting.</summary>
    public const int InContextRounds = 4;

    public LayerTiming LayerTiming { get; init; } = LayerTiming.Alone;

    public ILatencyBackend Backend { get; } = backend;
    public SearchSpace Space { get; } = space;
    public TimingProtocol Protocol { get; } = protocol;

    /// <summary>Metadata of a new table measured by this profiler.</summary>
    public DeviceInfo NewDevice(string notes = "") => new(Backend.DeviceName(), Space.Name, Backend.Name, Backend.Threads,
        Backend.RuntimeVersion, MachineInfo.Describe(), DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), notes,
        LayerTiming: LayerTiming);

    /// <summary>Throws unless <paramref name="table"/> was measured with this backend, thread count, space and machine.</summary>
    public void CheckCanContinue(LatencyTable table)
    {
        var (d, mine) = (table.Device, NewDevice());
        if (d.Space != mine.Space || d.Backend != mine.Backend || d.Threads != mine.Threads || d.Machine != mine.Machine)
            throw new LatencyException(
                $"{table.Source} was measured for {d.Space} with {d.Backend} ({d.Threads?.ToString(CultureInfo.InvariantCulture) ?? "?"} threads) on '{d.Machine}', "
                + $"not for {mine.Space} with {mine.Backend} ({mine.Threads} threads) on '{mine.Machine}': use another output file");
        if (d.LayerTiming != LayerTiming)
            throw new LatencyException($"{table.Source} has layers timed {d.LayerTiming.Name()}, not {LayerTiming.Name()}: use another output file or --layer-timing {d.LayerTiming.Name()}");
    }

    /// <summary>The median cost of a run that computes nothing (<see cref="ILatencyBackend.PrepareEmpty"/>).</summary>
    public double CallOverheadMs()
    {
        using var empty = Backend.PrepareEmpty();
        return Protocol.Measure(empty.Run).Ms;
    }

    /// <summary>
    /// One layer's time as <see cref="LayerTiming"/> says, with <paramref name="protocol"/> (default: the profiler's); alone
    /// it still includes the per-call cost, in context it is the difference of two copies and one (whose runs and IQR it reports).
    /// </summary>
    public TimingResult MeasureLayer(LayerSpec layer, TimingProtocol? protocol = null)
    {
        protocol ??= Protocol;
        if (LayerTiming == LayerTiming.Alone)
        {
            using var workload = Backend.PrepareLayer(Space, layer);
            return protocol.Measure(workload.Run);
        }
        using var one = Backend.PrepareLayerCopies(Space, layer, 1);
        using var two = Backend.PrepareLayerCopies(Space, layer, 2);
        var r = (protocol with { Combination = RoundCombination.Fastest }).Measure([one.Run, two.Run], InContextRounds);
        return r[1] with { Ms = r[1].Ms - r[0].Ms };
    }

    /// <summary>
    /// What is left to measure of <paramref name="layers"/> for entries timed in <paramref name="rounds"/> rounds: every
    /// layer not yet timed in round r, round by round, each round in its own seeded random order (the first round's order
    /// depends on <paramref name="seed"/> alone).
    /// </summary>
    public static IReadOnlyList<LayerRound> Pending(LatencyTable table, IEnumerable<LayerSpec> layers, int rounds = 1, int seed = 0)
    {
        var all = layers.ToArray();
        var work = new List<LayerRound>();
        for (var round = 1; round <= rounds; round++)
        {
            var due = all.Where(l => RoundsTimed(table, l) < round).ToArray();
            new SeededRandom(seed + 7919 * (round - 1)).Shuffle(due);
            work.AddRange(due.Select(l => new LayerRound(l, round)));
        }
        return work;
    }

    private static int RoundsTimed(LatencyTable table, LayerSpec layer) => table.Entries.TryGetValue(layer.Key, out var e) ? e.RoundsTimed : 0;

    /// <summary>
    /// Measures up to <paramref name="limit"/> pending layer rounds (<see cref="Pending"/>), each with a
    /// 1/<paramref name="rounds"/> share of the protocol's runs and time; alone, net of <paramref name="callOverheadMs"/>.
    /// An entry keeps its fastest round: a host that is slowed down by other tenants for seconds at a time slows a layer
    /// timed in one stretch by up to twice (two one-round profiles of one table minutes apart differed by more than 15 %
    /// in 45 % of their entries, two four-round profiles in 3 %; latency.md, session 17), while rounds spread over the
    /// whole profile rarely all fall into busy spells.
    /// <paramref name="measured"/> sees the table after every layer round (to save it, report progress or stop by throwing).
    /// </summary>
    public LatencyTable MeasureLayers(LatencyTable table, IReadOnlyList<LayerRound> pending, double callOverheadMs, int rounds = 1,
        int? limit = null, Action<LatencyTable, LayerSpec>? measured = null)
    {
        var share = Protocol with { MinRuns = (Protocol.MinRuns + rounds - 1) / rounds, MinTotalMs = Protocol.MinTotalMs / rounds };
        var entries = new Dictionary<string, LatencyEntry>(table.Entries, StringComparer.Ordinal);
        foreach (var (layer, _) in pending.Take(limit ?? int.MaxValue))
        {
            var r = MeasureLayer(layer, share);
            var ms = Math.Round(Math.Max(0, LayerTiming == LayerTiming.Alone ? r.Ms - callOverheadMs : r.Ms), 6);
            var fresh = new LatencyEntry(ms, r.Runs, Math.Round(r.IqrMs, 6));
            entries[layer.Key] = entries.TryGetValue(layer.Key, out var old)
                ? (old.Ms <= ms ? old : fresh) with { Runs = (old.Runs ?? 0) + r.Runs, Rounds = old.RoundsTimed + 1 }
                : fresh;
            table = table with { Entries = new Dictionary<string, LatencyEntry>(entries, StringComparer.Ordinal) };
            measured?.Invoke(table, layer);
        }
        return table;
    }

    /// <summary>
    /// Whole-subnet latencies: every subnet is loaded first, then all are timed in <paramref name="passes"/> interleaved rounds.
    /// <paramref name="progress"/> gets a phase ("loading", "timing") and counts.
    /// </summary>
    public IReadOnlyList<ModelMeasurement> MeasureModels(IReadOnlyList<Subnet> subnets, int passes = 1, Action<string, int, int>? progress = null)
    {
        var workloads = new List<IWorkload>();
        try
        {
            foreach (var s in subnets)
            {
                workloads.Add(Backend.PrepareModel(Space, s));
                progress?.Invoke("loading", workloads.Count, subnets.Count);
            }
            var results = Protocol.Measure(workloads.Select(w => (Action)w.Run).ToArray(), passes, (d, t) => progress?.Invoke("timing", d, t));
            return subnets.Zip(results, (s, r) => new ModelMeasurement(s, r.Ms, r)).ToArray();
        }
        finally
        {
            foreach (var w in workloads) w.Dispose();
        }
    }
}

/// <summary>One layer's turn in one round of a profile (rounds count from 1).</summary>
public readonly record struct LayerRound(LayerSpec Layer, int Round);
