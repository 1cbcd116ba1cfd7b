using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Supernet;

/// <summary>
/// MACs measured on a built static model — forward hooks on every convolution and linear layer record the shapes they
/// really see, and hooks on the transformer layers add the two attention matmuls — against the analytic counter.
/// The measurement counts true work; the few places where the official convention differs (METHOD.md §7) are applied
/// to the measured records by name, so any other disagreement (a wrong map size, a missing layer, a mis-sized
/// projection) fails the test.
/// </summary>
public class MeasuredMacsTests
{
    /// <summary>One hooked call: which layer of the plan, which submodule, and the shapes it saw.</summary>
    private sealed record Call(int Layer, string Module, long[] Input, long[] Output, long[] Weight);

    [Theory]
    [InlineData("elasticvit-fmnist", 20, true)]
    [InlineData("elasticvit-imagenet", 2, false)] // its nine released models are checked too; level mins would be slow
    public void MeasuredMacs_OnBuiltStaticModel_MatchAnalyticCount(string spaceName, int randomSubnets, bool levelMins)
    {
        var space = SpaceLoader.Load(spaceName);
        var rng = new Random(11);
        var subnets = Enumerable.Range(0, randomSubnets).Select(_ => RandomSubnets.Draw(space, rng))
            .Append(space.MinSubnet).Append(space.MaxSubnet).Concat(space.NamedModels.Values)
            .Concat(levelMins ? space.Levels.Select(l => l.MinSubnet) : []);
        foreach (var subnet in subnets)
        {
            var (convention, trueMacs) = Measure(space, subnet);
            var analytic = Complexity.Of(space, subnet).Macs;
            Assert.True(convention == analytic, $"{subnet.Key}: measured {convention} MACs, analytic {analytic}");
            // The convention undercounts the depthwise conv on V (one MAC per output instead of k²) and so is below the true work.
            Assert.True(trueMacs > convention, $"{subnet.Key}: true {trueMacs} ≤ convention {convention}");
        }
    }

    [Fact]
    public void Measurement_SeesAWrongMapSize()
    {
        // Sanity of the measurement itself: the same subnet at another resolution measures differently, and exactly as
        // the analytic count of that resolution says.
        var space = SpaceLoader.Load("elasticvit-fmnist");
        var small = space.MinSubnet;
        var large = small.WithResolution(space.Resolutions[^1]);
        var (atSmall, _) = Measure(space, small);
        var (atLarge, _) = Measure(space, large);
        Assert.NotEqual(atSmall, atLarge);
        Assert.Equal(Complexity.Of(space, large).Macs, atLarge);
    }

    /// <summary>(MACs under the official convention, true MACs) of one forward pass of a freshly built static model.</summary>
    private static (long Convention, long True) Measure(SearchSpace space, Subnet subnet)
    {
        using var scope = NewDisposeScope();
        using var model = new StaticModel(space, subnet);
        model.eval();
        var calls = new List<Call>();
        for (var i = 0; i < model.layers.Count; i++)
        {
            var layer = i;
            foreach (var (name, module) in model.layers[i] is TransformerLayer ? [] : model.layers[i].named_modules())
                switch (module)
                {
                    case Conv2d conv:
                        conv.register_forward_hook((_, input, output) =>
                        {
                            calls.Add(new Call(layer, name, input.shape, output.shape, conv.weight!.shape));
                            return output;
                        });
                        break;
                    case Linear linear:
                        linear.register_forward_hook((_, input, output) =>
                        {
                            calls.Add(new Call(layer, name, input.shape, output.shape, linear.weight!.shape));
                            return output;
                        });
                        break;
                }
            if (model.layers[i] is TransformerLayer transformer)
                transformer.register_forward_hook((_, input, output) =>
                {
                    // The layer runs its weights through TransformerMath, not through its submodules: each linear map and
                    // the depthwise conv on V is recorded with the token count and batch this call really saw.
                    long b = input.shape[0], n = input.shape[1], grid = (long)Math.Sqrt(n);
                    foreach (var (name, module) in transformer.named_modules())
                        if (module is Linear linear)
                            calls.Add(new Call(layer, name, [b, n, linear.weight!.shape[1]], [b, n, linear.weight.shape[0]], linear.weight.shape));
                    var vChannels = transformer.v.weight!.shape[0];
                    calls.Add(new Call(layer, "v_dw", [b, vChannels, grid, grid], [b, vChannels, grid, grid], transformer.v_dw.weight!.shape));
                    calls.Add(new Call(layer, "attention", input.shape, output.shape, []));
                    return output;
                });
        }
        using (no_grad()) model.call(rand(1, space.Input.Channels, space.Input.NativeSize, space.Input.NativeSize));

        long convention = 0, trueTotal = 0;
        foreach (var c in calls)
        {
            var spec = model.Plan[c.Layer];
            var (trueMacs, counted) = Macs(c, spec, calls);
            trueTotal += trueMacs;
            convention += counted;
        }
        return (convention, trueTotal);
    }

    /// <summary>True MACs of one call, and what the official convention counts for it.</summary>
    private static (long True, long Counted) Macs(Call c, LayerSpec spec, List<Call> calls)
    {
        if (c.Module == "attention")
        {
            // softmax(Q·Kᵀ)·V per head: N²·(q + v) MACs; the convention adds N² per head for the softmax.
            long n = c.Input[1], heads = spec.Heads, q = spec.HeadDim, v = (long)spec.HeadDim * spec.VScale;
            var matmuls = heads * n * n * (q + v);
            return (matmuls, matmuls + heads * n * n);
        }
        if (c.Weight.Length == 2)
        {
            // Linear: in × out per token; tokens are all leading dimensions of the output.
            var tokens = c.Output.Aggregate(1L, (a, d) => a * d) / c.Output[^1];
            var macs = c.Weight[0] * c.Weight[1] * tokens;
            return (macs, macs);
        }
        // Convolution: per output element, (C_in / groups) · k² MACs.
        long outputs = c.Output.Aggregate(1L, (a, d) => a * d);
        var trueConv = outputs * c.Weight[1] * c.Weight[2] * c.Weight[3];
        var reduction = spec.Kind == LayerKind.Reduction;
        return c.Module switch
        {
            // The depthwise conv on V counts one MAC per output element.
            "v_dw" => (trueConv, outputs),
            // The reduction MBConv's SE and shortcut are parameters only.
            "se.reduce" or "se.expand" or "shortcut" when reduction => (trueConv, 0),
            // A strided block's 1×1 expansion is counted at (stride · output side of its depthwise conv)².
            "expand" when spec.Stride > 1 => (trueConv, StridedExpansion(c, spec, calls)),
            _ => (trueConv, trueConv),
        };
    }

    private static long StridedExpansion(Call expand, LayerSpec spec, List<Call> calls)
    {
        var dw = calls.Single(x => x.Layer == expand.Layer && x.Module == "dw");
        var side = dw.Output[2] * spec.Stride;
        return expand.Output[1] * expand.Weight[1] * side * side;
    }
}
