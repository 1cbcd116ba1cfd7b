using System.Diagnostics;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// Supernet with subnet S active vs the extracted static model of S, measured side by side in one process:
/// forward+backward at batch 64 for fmnist min/mid/max, forward-only at batch 8 for imagenet T1 and S2, or
/// forward+backward at batch 64 for the SPACE:ARCH list of the third argument.
/// </summary>
public static class SupernetBench
{
    public static int Run(string[] args)
    {
        var threads = args.Length > 0 ? int.Parse(args[0]) : 2;
        var repeats = args.Length > 1 ? int.Parse(args[1]) : 20;
        torch.set_num_threads(threads);
        Console.WriteLine($"threads {threads}, {repeats} timed repeats after warm-up, median ms; {Environment.ProcessorCount} cores; load {BenchArgs.Load()}");
        Console.WriteLine($"| space | subnet | FLOPs (M) | pass | batch | elastic ms | static ms | elastic/static |");
        Console.WriteLine($"|---|---|---|---|---|---|---|---|");
        var cases = args.Length > 2
            ? args[2].Split(',').Select(c => c.Split(':', 2)).Select(p => (p[0], p[1], 64, true)).ToArray()
            : new[]
            {
                ("elasticvit-fmnist", "min", 64, true), ("elasticvit-fmnist", "mid", 64, true), ("elasticvit-fmnist", "max", 64, true),
                ("elasticvit-imagenet", "T1", 8, false), ("elasticvit-imagenet", "S2", 8, false),
            };
        foreach (var (spaceName, arch, batch, backward) in cases)
        {
            var space = SpaceLoader.Load(spaceName);
            var subnet = space.Resolve(arch);
            using var net = new ElasticSupernet(space);
            net.SetActive(subnet);
            using var model = StaticModel.Extract(net, subnet);
            net.train(backward);
            model.train(backward);
            var x = rand(batch, space.Input.Channels, space.Input.NativeSize, space.Input.NativeSize);
            // Alternate the two so both see the same machine conditions.
            var (elastic, fixedModel) = (new List<double>(), new List<double>());
            for (var i = 0; i < repeats + 3; i++)
            {
                var e = Time(net, x, backward);
                var s = Time(model, x, backward);
                if (i >= 3) { elastic.Add(e); fixedModel.Add(s); }
            }
            var (me, ms) = (Statistics.Median(elastic), Statistics.Median(fixedModel));
            Console.WriteLine($"| {spaceName} | {arch} | {Complexity.FlopsM(space, subnet):F1} | {(backward ? "fwd+bwd" : "fwd")} | {batch} | {me:F1} | {ms:F1} | {me / ms:F3} |");
        }
        return 0;
    }

    private static double Time(nn.Module<Tensor, Tensor> m, Tensor x, bool backward)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        if (backward)
        {
            m.zero_grad();
            m.forward(x).square().mean().backward();
        }
        else
        {
            using var _ = no_grad();
            m.forward(x);
        }
        return clock.Elapsed.TotalMilliseconds;
    }
}
