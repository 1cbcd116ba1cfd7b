using System.Diagnostics;
using System.Globalization;
using ElasticVit.Nn;
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
        Console.WriteLine($"threads {threads}, batch {batch}, {repeats} repeats (median), load {BenchArgs.Load()}");
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
                var (mf, mb) = (Statistics.Median(f), Statistics.Median(b));
                totalF += mf; totalB += mb;
                Console.WriteLine($"  {blockName,-9} {mf,8:F2} {mb,8:F2}");
                input = output;
            }
            var gflop = 2 * macs * 1e6 * batch / 1e9;
            Console.WriteLine($"  {"total",-9} {totalF,8:F2} {totalB,8:F2}   forward {gflop / (totalF / 1000):F1} GFLOP/s, forward+backward {3 * gflop / ((totalF + totalB) / 1000):F1} GFLOP/s, {batch / ((totalF + totalB) / 1000):F0} images/s");
        }
        TransformerOps(net, space, batch, repeats);
        return 0;
    }

    /// <summary>
    /// The first layer of T1 and T4 of the min and max subnets, operation by operation: each forward operation timed
    /// alone on its real inputs (median of rounds of 20 calls, no autograd), to show which of the many small operators
    /// of a transformer layer on a 4×4 token map carry its cost.
    /// </summary>
    private static void TransformerOps(ElasticSupernet net, SearchSpace space, int batch, int repeats)
    {
        foreach (var (model, stage) in new[] { ("min", "T1"), ("min", "T4"), ("max", "T4") })
        {
            net.SetActive(space.NamedModels[model]);
            var layer = ((ElasticTransformerStage)net.stages[space.Stages.ToList().FindIndex(s => s.Name == stage)]).layers[0];
            var (c, heads, vd, grid) = layer.Active;
            var n = grid * grid;
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = rand(batch, n, c);
            var h = layer.ln1.forward(x);
            var qh = layer.q.forward(h).view(batch, n, heads, layer.HeadDim).transpose(1, 2);
            var vh = einsum("bnc,hdc->bhnd", h, layer.ActiveV());
            var vmap = vh.permute(0, 1, 3, 2).reshape(batch, heads * vd, grid, grid);
            var index = RelativePosition.IndexMap(grid, layer.TableGrid);
            var indexMap = tensor(index);
            var bias = RelativePosition.Bias(layer.rel_pos, indexMap, heads, n);
            var attn = qh.matmul(qh.transpose(-2, -1)).softmax(-1);
            var o = attn.matmul(vh);
            var mlp = layer.fc1.forward(h);
            var vTokens = nn.functional.linear(h, layer.ActiveV().reshape(heads * vd, c));
            var vmapLast = vTokens.view(batch, grid, grid, heads * vd).permute(0, 3, 1, 2);
            var scores = qh.matmul(qh.transpose(-2, -1));
            var oTokens = o.transpose(1, 2).reshape(batch, n, heads * vd);
            var ops = new (string Name, Func<Tensor> Op)[]
            {
                ("layer_norm", () => layer.ln1.forward(x)),
                ("q linear", () => layer.q.forward(h)),
                ("V einsum", () => einsum("bnc,hdc->bhnd", h, layer.ActiveV())),
                ("V linear", () => nn.functional.linear(h, layer.ActiveV().reshape(heads * vd, c))),
                ("V to NCHW map (copy)", () => vh.permute(0, 1, 3, 2).reshape(batch, heads * vd, grid, grid)),
                ("V dw 3x3, NCHW", () => nn.functional.conv2d(vmap, layer.ActiveVDw(), padding: [1, 1], groups: heads * vd)),
                ("V dw 3x3, NHWC view", () => nn.functional.conv2d(vmapLast, layer.ActiveVDw(), padding: [1, 1], groups: heads * vd)),
                ("rel-pos bias", () => RelativePosition.Bias(layer.rel_pos, indexMap, heads, n)),
                ("q k^T", () => qh.matmul(qh.transpose(-2, -1))),
                ("scale", () => scores.Times(0.25)),
                ("bias add", () => scores.Plus(bias)),
                ("softmax", () => scores.softmax(-1)),
                ("attn v", () => attn.matmul(vh)),
                ("proj einsum", () => einsum("bhnd,chd->bnc", o, layer.ActiveProj())),
                ("proj linear", () => nn.functional.linear(oTokens, layer.ActiveProj().reshape(c, heads * vd))),
                ("fc1 linear", () => layer.fc1.forward(h)),
                ("hardswish", () => nn.functional.hardswish(mlp)),
                ("fc2 linear", () => layer.fc2.forward(mlp)),
                ("add", () => x.Plus(x)),
            };
            Console.WriteLine($"\n{model} {stage} layer 0 (C {c}, heads {heads}, vd {vd}, {n} tokens, batch {batch}), forward only:");
            foreach (var (name, op) in ops)
            {
                var times = new List<double>();
                for (var r = 0; r < repeats + 2; r++)
                {
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < 20; i++) { using var inner = NewDisposeScope(); op(); }
                    if (r >= 2) times.Add(clock.Elapsed.TotalMilliseconds * 1000 / 20);
                }
                Console.WriteLine($"  {name,-20} {Statistics.Median(times),8:F1} µs");
            }
        }
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
}
