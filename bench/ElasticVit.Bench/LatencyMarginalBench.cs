using System.Globalization;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Issue 15's question — why do layers timed alone add up to far more than the whole model? — put to one table: every
/// layer of an ort-cpu table timed again as what it adds to a graph that already runs (two copies of it on one input
/// against one copy, <see cref="ILatencyBackend.PrepareLayerCopies"/>, interleaved rounds, each the fastest round), written as
/// a table of the same device with those marginal times as entries and no per-model constants. Judge both tables on the
/// same measured subnets with <c>latency-fit</c>: a layer model that fits the whole needs a scale near 1 and no cost terms.
/// </summary>
public static class LatencyMarginalBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 2 || args[0].StartsWith("--") || args[1].StartsWith("--"))
        {
            Console.Error.WriteLine("usage: latency-marginal TABLE.json OUT.json [--min-ms 100] [--rounds 4]");
            return 2;
        }
        var table = LatencyTable.Load(args[0]);
        if (table.Device.Backend != "ort-cpu" || table.Device.Threads != 1) { Console.Error.WriteLine("error: the table must be ort-cpu, 1 thread"); return 2; }
        var space = SpaceLoader.Load(table.Device.Space);
        var minMs = double.Parse(BenchArgs.Option(args, "--min-ms") ?? "100", CultureInfo.InvariantCulture);
        var rounds = int.Parse(BenchArgs.Option(args, "--rounds") ?? "4", CultureInfo.InvariantCulture);
        var protocol = TimingProtocol.WholeModel(1, table.Device.Quantile ?? 0.5) with { MinTotalMs = minMs };
        var layers = LatencyTable.RequiredLayers(space).Where(l => table.Entries.ContainsKey(l.Key)).ToArray();
        Console.WriteLine($"{layers.Length} layers of {table.Device.Space}, {MachineInfo.Describe()}; {protocol.StatisticName}, {rounds} rounds, {minMs} ms per layer and count; load {BenchArgs.Load()}");

        using var backend = new OrtCpuBackend(1);
        var entries = new Dictionary<string, LatencyEntry>();
        var byKind = new Dictionary<LayerKind, (double Alone, double Marginal, int Count)>();
        foreach (var layer in layers)
        {
            using var one = backend.PrepareLayerCopies(space, layer, 1);
            using var two = backend.PrepareLayerCopies(space, layer, 2);
            var r = protocol.Measure([one.Run, two.Run], rounds);
            entries[layer.Key] = new LatencyEntry(r[1].Ms - r[0].Ms, r[1].Runs);
            var k = byKind.GetValueOrDefault(layer.Kind);
            byKind[layer.Kind] = (k.Alone + table.Entries[layer.Key].Ms, k.Marginal + entries[layer.Key].Ms, k.Count + 1);
            if (entries.Count % 50 == 0) Console.Error.WriteLine($"  {entries.Count}/{layers.Length}");
        }
        var marginal = table with
        {
            Entries = entries, Scale = 1, OverheadMs = 0, MsPerMParam = 0, MsPerMflop = 0, MsPerLayer = 0, ScalePerMParam = 0, CalibrationSubnets = [],
            Device = table.Device with { Notes = $"marginal times: two copies of each layer in one graph minus one copy, the fastest of {rounds} interleaved rounds of {protocol.StatisticName}s; no per-model constants" },
        };
        marginal.Save(args[1]);
        Console.WriteLine("| layer kind | layers | Σ alone (table) ms | Σ marginal ms | marginal / alone |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (kind, (alone, added, count)) in byKind)
            Console.WriteLine($"| {kind} | {count} | {alone:F3} | {added:F3} | {added / alone:F2} |");
        Console.WriteLine($"wrote {args[1]}; load {BenchArgs.Load()}");
        return 0;
    }
}
