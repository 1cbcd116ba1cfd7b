using System.Diagnostics;
using System.Text.Json;
using ElasticVit.Export;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using Microsoft.ML.OnnxRuntime;

namespace ElasticVit.Bench;

/// <summary>
/// Where exported models' inference time goes in ONNX Runtime (1 image, full graph optimisation). First the models'
/// wall-clock per run, timed in interleaved rounds so that a host slowing down mid-run slows all of them alike (the
/// fastest and the median round are reported; compare models by them, side by side). Then each model under the
/// session's own profiler, kernel time summed per operator type and per node: shows whether a model is bound by its
/// arithmetic or by the number of operators it runs (the profiler adds a few µs to every node). A model is an ONNX
/// file, <c>baseline:cnn2</c> / <c>baseline:mbv2</c> (the quality bench's hand-designed networks, fresh weights) or
/// <c>random:SPACE:ARCH</c> (a subnet with seeded random weights, exported as the latency profiler exports it).
/// </summary>
public static class OnnxProfileBench
{
    public static int Run(string[] args)
    {
        var paths = args.TakeWhile(a => !a.StartsWith("--")).ToArray();
        if (paths.Length == 0) { Console.Error.WriteLine("usage: onnx-profile MODEL.onnx [MODEL.onnx...] [--runs 500] [--rounds 10] [--threads 1] [--no-profile]   (MODEL: a file, baseline:cnn2|mbv2 or random:SPACE:ARCH)"); return 2; }
        var runs = int.Parse(BenchArgs.Option(args, "--runs") ?? "500");
        var rounds = int.Parse(BenchArgs.Option(args, "--rounds") ?? "10");
        var threads = int.Parse(BenchArgs.Option(args, "--threads") ?? "1");
        Console.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, {threads} thread(s), batch 1; load average {BenchArgs.Load()} at start");

        var models = paths.Select(p => new Model(Load(p), threads, profile: false)).ToArray();
        var perRound = models.Select(_ => new List<double>()).ToArray();
        foreach (var m in models) m.MeanMs(runs / 4);                                    // warm-up
        for (var r = 0; r < rounds; r++)
            for (var i = 0; i < models.Length; i++) perRound[i].Add(models[i].MeanMs(runs));
        Console.WriteLine("| model | nodes after optimisation | fastest round, µs per run | median round | rounds |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        for (var i = 0; i < models.Length; i++)
        {
            var sorted = perRound[i].Order().ToArray();
            Console.WriteLine($"| {Path.GetFileName(paths[i])} | {models[i].ProfiledNodes().Count} | {sorted[0] * 1000:F1} | {sorted[sorted.Length / 2] * 1000:F1} | {rounds} |");
        }
        foreach (var m in models) m.Dispose();
        Console.WriteLine($"load average {BenchArgs.Load()} at the end of the timing");
        if (args.Contains("--no-profile")) return 0;

        foreach (var path in paths) Profile(path, runs * 2, threads);
        return 0;
    }

    private static void Profile(string path, int runs, int threads)
    {
        using var model = new Model(Load(path), threads, profile: true);
        model.MeanMs(runs);
        var perNode = model.ProfiledNodes();
        var kernels = perNode.Values.Sum(v => v.Us) / runs;
        var perType = perNode.Values.GroupBy(v => v.Type)
            .Select(g => (Type: g.Key, Nodes: g.Count(), Us: g.Sum(v => v.Us) / runs)).OrderByDescending(t => t.Us);
        Console.WriteLine();
        Console.WriteLine($"## {Path.GetFileName(path)}: kernels {kernels:F1} µs per run under the profiler, {perNode.Count} nodes");
        Console.WriteLine("| operator | nodes | µs per run | share of kernels |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (type, nodes, us) in perType)
            Console.WriteLine($"| {type} | {nodes} | {us:F1} | {us / kernels:P0} |");
        Console.WriteLine();
        Console.WriteLine("slowest nodes: " + string.Join(", ", perNode.OrderByDescending(p => p.Value.Us).Take(12).Select(p => $"{p.Key} ({p.Value.Type}) {p.Value.Us / runs:F1}")));
    }

    /// <summary>
    /// An ONNX file, a hand-designed baseline ("baseline:cnn2") or a subnet with seeded random weights as the latency
    /// table's profiler exports it ("random:SPACE:ARCH"), to set a trained export against the profiler's view of it.
    /// </summary>
    private static byte[] Load(string model)
    {
        TorchSharp.torch.random.manual_seed(0);
        if (model.StartsWith("baseline:"))
        {
            using var baseline = Baseline.Create(model["baseline:".Length..]);
            baseline.eval();
            return baseline.ToOnnx();
        }
        if (model.StartsWith("random:"))
        {
            var (spaceName, arch) = (model.Split(':')[1], model[(model.IndexOf(':', "random:".Length) + 1)..]);
            var space = SpaceLoader.Load(spaceName);
            using var net = new StaticModel(space, space.Resolve(arch));
            net.eval();
            return OnnxExporter.Export(net, ExportInfo.Plain(space));
        }
        return File.ReadAllBytes(model);
    }

    /// <summary>One session on one model, fed a fixed input of its declared shape (symbolic dims = 1).</summary>
    private sealed class Model : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly SessionOptions _options;
        private readonly RunOptions _run = new();
        private readonly string _inputName;
        private readonly OrtValue _input;
        private Dictionary<string, (string Type, double Us)>? _nodes;

        public Model(byte[] onnx, int threads, bool profile)
        {
            _options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            // The node count comes from a short profile of every model; timed sessions run without the profiler.
            _options.EnableProfiling = true;
            _options.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), $"ort-profile-{Environment.ProcessId}");
            _session = new InferenceSession(onnx, _options);
            var (name, meta) = _session.InputMetadata.Single();
            var shape = meta.Dimensions.Select(d => d < 0 ? 1L : d).ToArray();
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < data.Length; i++) data[i] = i % 97 / 97f;
            (_inputName, _input) = (name, OrtValue.CreateTensorValueFromMemory(data, shape));
            if (!profile) { MeanMs(3); _nodes = ReadProfile(); }
        }

        public double MeanMs(int n)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++) { using var outputs = _session.Run(_run, [_inputName], [_input], _session.OutputNames); }
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds / n;
        }

        /// <summary>Kernel µs per node, summed over the runs so far (ends the profile).</summary>
        public Dictionary<string, (string Type, double Us)> ProfiledNodes() => _nodes ??= ReadProfile();

        private Dictionary<string, (string Type, double Us)> ReadProfile()
        {
            var file = _session.EndProfiling();
            var nodes = new Dictionary<string, (string Type, double Us)>();
            using (var doc = JsonDocument.Parse(File.ReadAllText(file)))
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    var name = e.GetProperty("name").GetString()!;
                    if (e.GetProperty("cat").GetString() != "Node" || !name.EndsWith("_kernel_time")) continue;
                    var node = name[..^"_kernel_time".Length];
                    nodes[node] = (e.GetProperty("args").GetProperty("op_name").GetString()!, nodes.GetValueOrDefault(node).Us + e.GetProperty("dur").GetDouble());
                }
            File.Delete(file);
            return nodes;
        }

        public void Dispose() { _session.Dispose(); _options.Dispose(); _run.Dispose(); _input.Dispose(); }
    }
}
