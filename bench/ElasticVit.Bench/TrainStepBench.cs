using System.Diagnostics;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>Where the time of one supernet training step goes: forward+backward of 4 subnets, AGC, AdamW, EMA.</summary>
public static class TrainStepBench
{
    public static int Run(string[] args)
    {
        var threads = args.Length > 0 ? int.Parse(args[0]) : 2;
        var steps = args.Length > 1 ? int.Parse(args[1]) : 10;
        torch.set_num_threads(threads);
        var space = SpaceLoader.Load("elasticvit-fmnist");
        using var net = new ElasticSupernet(space);
        using var ema = new ElasticSupernet(space);
        var emaUpdater = new Ema(ema, net, 0.99);
        var adam = new AdamW(Trainer.ParameterGroups(net));
        var sampler = TrainingSamplers.Create("cas", space, new SeededRandom(0));
        var x = rand(64, 1, 28, 28);
        var y = randint(0, 10, [64]);
        var t = new Dictionary<string, double> { ["fwd+bwd"] = 0, ["agc"] = 0, ["adamw"] = 0, ["ema"] = 0 };
        net.train();
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            sampler.OnBatch(new TrainingProgress(0, s, steps, 1), _ => throw new InvalidOperationException());
            var plan = sampler.NextStep();
            adam.ZeroGrad();
            var c = Stopwatch.StartNew();
            foreach (var sub in plan.Subnets)
            {
                net.SetActive(sub.Subnet);
                Losses.LabelSmoothedCrossEntropy(net.forward(x), y).backward();
            }
            t["fwd+bwd"] += c.Elapsed.TotalMilliseconds; c.Restart();
            AdaptiveGradientClipping.Apply(net.parameters());
            t["agc"] += c.Elapsed.TotalMilliseconds; c.Restart();
            adam.Step(1e-4);
            t["adamw"] += c.Elapsed.TotalMilliseconds; c.Restart();
            emaUpdater.Update();
            t["ema"] += c.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine($"threads {threads}, {steps} cas steps at batch 64, large blocks kept in the heap: {ElasticVit.Nn.NativeHeap.KeepsLargeBlocks}, load {BenchArgs.Load()}");
        foreach (var (k, v) in t) Console.WriteLine($"  {k,-8} {v / steps,8:F1} ms/step");
        var total = t.Values.Sum() / steps;
        Console.WriteLine($"  total    {total,8:F1} ms/step = {64 / (total / 1000):F0} images/s");
        return 0;
    }
}
