using System.Diagnostics;
using System.Globalization;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// Where a supernet pass spends its time: forward and backward of each block (stem, stage-0 layers, every stage,
/// head) of the fmnist space's min, mid and max subnets in training mode, timed block by block on detached inputs,
/// median of the repeats; with the achieved GFLOP/s of the whole pass (2 × MACs × batch, × 3 with backward) and a
/// 1024² fp32 matmul on the same threads in the same run as the machine's reference.
/// </summary>
public static class LayerProfileBench
{
    public static int Run(string[] args)
    {
        var threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;
        torch.set_num_threads(threads);
        var space = SpaceLoader.Load("elasticvit-fmnist");
        using var net = new ElasticSupernet(space);
        net.train();
        Console.WriteLine($"threads {threads}, batch {batch}, {repeats} repeats (median), load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"matmul 1024² fp32: {MatmulGflops():F0} GFLOP/s");
        Console.WriteLine($"per-call cost on tiny tensors: {OpOverhead():F1} µs per add (in a dispose scope), {OpOverhead(grad: true):F1} µs with autograd");
        foreach (var name in new[] { "min", "mid", "max" })
        {
            var subnet = space.NamedModels[name];
            net.SetActive(subnet);
            var blocks = new List<(string Name, Func<Tensor, Tensor> Forward)>
            {
                ("stem", x => Blocks.ChannelsLast(net.stem.forward(Blocks.Resize(x, subnet.Resolution)))),
            };
            for (var d = 0; d < subnet.Stem.Depth; d++) { var l = net.stage0[d]; blocks.Add(($"stage0.{d}", l.forward)); }
            for (var s = 0; s < space.Stages.Count; s++) { var st = net.stages[s]; blocks.Add((space.Stages[s].Name, st.forward)); }
            blocks.Add(("head", net.head.forward));

            var macs = Complexity.FlopsM(space, subnet);
            Console.WriteLine($"\n{name} subnet, {macs:F1} M MACs: {subnet.Key}");
            Console.WriteLine($"  {"block",-9} {"fwd ms",8} {"bwd ms",8}");
            using var scope = NewDisposeScope();
            var input = rand(batch, 1, 28, 28);
            double totalF = 0, totalB = 0;
            foreach (var (blockName, forward) in blocks)
            {
                var f = new List<double>();
                var b = new List<double>();
                Tensor output = input;
                for (var r = 0; r < repeats + 2; r++)
                {
                    using var inner = NewDisposeScope();
                    var x = input.detach().requires_grad_(input.dtype == float32 && blockName != "stem");
                    var clock = Stopwatch.StartNew();
                    var y = forward(x);
                    var tf = clock.Elapsed.TotalMilliseconds;
                    var grad = ones_like(y);
                    clock.Restart();
                    y.backward([grad]);
                    var tb = clock.Elapsed.TotalMilliseconds;
                    if (r >= 2) { f.Add(tf); b.Add(tb); }
                    if (r == repeats + 1) output = y.detach().MoveToOuterDisposeScope();
                }
                foreach (var p in net.parameters()) p.grad = null;
                var (mf, mb) = (Median(f), Median(b));
                totalF += mf; totalB += mb;
                Console.WriteLine($"  {blockName,-9} {mf,8:F2} {mb,8:F2}");
                input = output;
            }
            var gflop = 2 * macs * 1e6 * batch / 1e9;
            Console.WriteLine($"  {"total",-9} {totalF,8:F2} {totalB,8:F2}   forward {gflop / (totalF / 1000):F1} GFLOP/s, forward+backward {3 * gflop / ((totalF + totalB) / 1000):F1} GFLOP/s, {batch / ((totalF + totalB) / 1000):F0} images/s");
        }
        return 0;
    }

    private static double OpOverhead(bool grad = false)
    {
        using var scope = NewDisposeScope();
        var a = rand(2, 16, 32).requires_grad_(grad);
        var b = rand(2, 16, 32);
        const int n = 20000;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            using var inner = NewDisposeScope();
            a.add(b, ElasticVit.Nn.ScalarOps.One);
        }
        return clock.Elapsed.TotalMilliseconds * 1000 / n;
    }

    private static double MatmulGflops()
    {
        using var scope = NewDisposeScope();
        var a = rand(1024, 1024);
        var b = rand(1024, 1024);
        a.matmul(b);
        var clock = Stopwatch.StartNew();
        const int n = 10;
        for (var i = 0; i < n; i++) a.matmul(b).Dispose();
        return n * 2.0 * 1024 * 1024 * 1024 / clock.Elapsed.TotalSeconds / 1e9;
    }

    private static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
}
