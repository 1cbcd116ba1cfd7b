using ElasticVit.Export;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Export;

/// <summary>
/// Static models with random weights scaled by 1/√fan-in (so logits are O(1) and depend on the image), random biases,
/// and non-trivial BatchNorm/LayerNorm statistics and affine parameters, so folding is really exercised.
/// </summary>
internal static class ExportTestModels
{
    public static StaticModel Random(SearchSpace space, Subnet subnet, int seed)
    {
        random.manual_seed(seed);
        var model = new StaticModel(space, subnet);
        using (no_grad())
            foreach (var m in model.modules())
            {
                switch (m)
                {
                    case Conv2d or Linear:
                        var w = m.named_parameters().Single(p => p.name == "weight").parameter;
                        w.normal_(0, 1 / Math.Sqrt(w.numel() / w.shape[0]));
                        foreach (var (name, b) in m.named_parameters().Where(p => p.name == "bias")) b.uniform_(-0.1, 0.1);
                        break;
                    case BatchNorm2d bn:
                        bn.running_mean!.uniform_(-0.2, 0.2);
                        bn.running_var!.uniform_(0.5, 1.5);
                        bn.weight!.uniform_(0.5, 1.5);
                        bn.bias!.uniform_(-0.1, 0.1);
                        break;
                    case LayerNorm ln:
                        ln.weight!.uniform_(0.5, 1.5);
                        ln.bias!.uniform_(-0.1, 0.1);
                        break;
                    case TransformerLayer t:
                        t.rel_pos.uniform_(-1, 1);   // large enough that a misplaced bias entry shows in the logits
                        break;
                }
            }
        model.eval();
        return model;
    }

    /// <summary>Class names and a non-trivial per-channel normalisation for <paramref name="space"/>.</summary>
    public static ExportInfo Info(SearchSpace space) => ExportInfo.Plain(space) with
    {
        Mean = Enumerable.Range(0, space.Input.Channels).Select(c => 0.3f + 0.1f * c).ToArray(),
        Std = Enumerable.Range(0, space.Input.Channels).Select(c => 0.25f + 0.05f * c).ToArray(),
    };

    /// <summary>The TorchSharp reference for raw images: normalise, then the model (which resizes).</summary>
    public static Tensor Reference(StaticModel model, ExportInfo info, Tensor raw)
    {
        var c = info.Mean.Count;
        var mean = tensor(info.Mean.ToArray()).view(1, c, 1, 1);
        var std = tensor(info.Std.ToArray()).view(1, c, 1, 1);
        using var _ = no_grad();
        return model.forward((raw - mean) / std);
    }
}
