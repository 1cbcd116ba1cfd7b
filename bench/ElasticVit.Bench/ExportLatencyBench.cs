using System.Diagnostics;
using ElasticVit.Export;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// Inference latency of exported subnets: ONNX Runtime on the exported graph vs the TorchSharp static model (eval,
/// no_grad, float32), both from raw images at the native size (normalise + resize included in both). Each timed
/// iteration runs both engines once, so a busy machine slows both alike; medians after a warm-up.
/// </summary>
public static class ExportLatencyBench
{
    private const string DefaultModels = "elasticvit-fmnist:min,elasticvit-fmnist:mid,elasticvit-fmnist:max,elasticvit-imagenet:T1,elasticvit-imagenet:S1";

    public static int Run(string[] args)
    {
        var budget = TimeSpan.FromMilliseconds(int.Parse(BenchArgs.Option(args, "--budget-ms") ?? "2000"));
        var models = (BenchArgs.Option(args, "--models") ?? DefaultModels).Split(',');
        var batches = (BenchArgs.Option(args, "--batches") ?? "1,32").Split(',').Select(int.Parse).ToArray();
        var threadCounts = (BenchArgs.Option(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();

        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {BenchArgs.Load()} at start; ORT {OrtEnv.Instance().GetVersionString()}, TorchSharp {typeof(torch).Assembly.GetName().Version}");
        Console.WriteLine("| model | MFLOPs | batch | threads | TorchSharp ms | ORT ms | ORT speed-up | runs | max abs diff |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var entry in models)
        {
            var (spaceName, arch) = (entry[..entry.IndexOf(':')], entry[(entry.IndexOf(':') + 1)..]);   // arch keys contain ':' too
            var space = SpaceLoader.Load(spaceName);
            var subnet = space.Resolve(arch);
            random.manual_seed(0);
            using var model = new StaticModel(space, subnet);
            model.eval();
            var info = ExportInfo.Plain(space) with { Mean = [.. Enumerable.Repeat(0.45f, space.Input.Channels)], Std = [.. Enumerable.Repeat(0.25f, space.Input.Channels)] };
            var onnx = OnnxExporter.Export(model, info);
            var flops = Complexity.Of(space, subnet).FlopsM;
            foreach (var threads in threadCounts)
            foreach (var batch in batches)
            {
                var r = Measure(model, info, onnx, batch, threads, budget);
                Console.WriteLine($"| {space.Name.Replace("elasticvit-", "")} {arch} | {flops:F1} | {batch} | {threads} | {r.TorchMs:F3} | {r.OrtMs:F3} | {r.TorchMs / r.OrtMs:F2}× | {r.Runs} | {r.MaxDiff:E1} |");
            }
        }
        Console.WriteLine($"load average {BenchArgs.Load()} at the end");
        return 0;
    }

    private sealed record Result(double TorchMs, double OrtMs, int Runs, double MaxDiff);

    private static Result Measure(StaticModel model, ExportInfo info, byte[] onnx, int batch, int threads, TimeSpan budget)
    {
        var input = model.Space.Input;
        var shape = new long[] { batch, input.Channels, input.NativeSize, input.NativeSize };
        var rng = new Random(1);
        var images = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();

        torch.set_num_threads(threads);
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(onnx, options);
        using var ortInput = OrtValue.CreateTensorValueFromMemory(images, shape);
        using var runOptions = new RunOptions();
        using var raw = tensor(images, shape);
        using var mean = tensor(info.Mean.ToArray(), [1, input.Channels, 1, 1]);
        using var std = tensor(info.Std.ToArray(), [1, input.Channels, 1, 1]);

        float[] RunOrt()
        {
            using var outputs = session.Run(runOptions, [OnnxExporter.InputName], [ortInput], [OnnxExporter.OutputName]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        float[] RunTorch()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            return model.forward((raw - mean) / std).data<float>().ToArray();
        }

        var maxDiff = RunOrt().Zip(RunTorch(), (a, b) => (double)Math.Abs(a - b)).Max();
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < budget / 4) { RunOrt(); RunTorch(); }

        var (torchTimes, ortTimes) = (new List<double>(), new List<double>());
        var clock = Stopwatch.StartNew();
        while ((clock.Elapsed < budget || torchTimes.Count < 10) && torchTimes.Count < 1000)
        {
            ortTimes.Add(Time(RunOrt));
            torchTimes.Add(Time(RunTorch));
        }
        return new Result(Statistics.Median(torchTimes), Statistics.Median(ortTimes), torchTimes.Count, maxDiff);
    }

    private static double Time(Func<float[]> run)
    {
        var start = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
