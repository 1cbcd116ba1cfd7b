using ElasticVit.Spaces;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>
/// A standalone subnet built from plain layers (one per <see cref="LayerSpec"/> of its plan). Its input is resized to
/// the subnet's resolution inside forward, like the supernet's.
/// </summary>
public sealed class StaticModel : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<nn.Module<Tensor, Tensor>> layers;
    public SearchSpace Space { get; }
    public Subnet Subnet { get; }
    public IReadOnlyList<LayerSpec> Plan { get; }

    /// <summary>Builds a freshly initialised static model of <paramref name="subnet"/>.</summary>
    public StaticModel(SearchSpace space, Subnet subnet, double dropout = 0.0) : base("model")
    {
        space.Validate(subnet);
        (Space, Subnet) = (space, subnet);
        Plan = LayerPlan.Of(space, subnet);
        layers = new ModuleList<nn.Module<Tensor, Tensor>>();
        var stage0 = 0;
        var counters = new Dictionary<string, int>();
        foreach (var l in Plan)
        {
            var name = l.Kind switch
            {
                LayerKind.Stage0 => $"stage0_{stage0++}",
                LayerKind.MbConv or LayerKind.Reduction or LayerKind.Transformer => Name(l, counters),
                _ => null,
            };
            var m = StandaloneLayer.Create(l, name, dropout);
            layers.Add(m);
        }
        RegisterComponents();
    }

    private static string Name(LayerSpec l, Dictionary<string, int> counters)
    {
        var kind = l.Kind.ToString().ToLowerInvariant();
        counters[kind] = counters.GetValueOrDefault(kind) + 1;
        return $"{kind}_{counters[kind] - 1}";
    }

    /// <summary>Extracts the active subnet of <paramref name="supernet"/>: its slices are copied into a new static model.</summary>
    public static StaticModel Extract(ElasticSupernet supernet, Subnet subnet)
    {
        supernet.SetActive(subnet);
        var model = new StaticModel(supernet.Space, subnet);
        var device = supernet.stem.conv.Weight.device;
        var dtype = supernet.stem.conv.Weight.dtype;
        model.to(dtype).to(device);
        model.CopyFrom(supernet);
        return model;
    }

    /// <summary>Copies the active slices of <paramref name="supernet"/> (whose active subnet is this model's) into this model.</summary>
    internal void CopyFrom(ElasticSupernet supernet)
    {
        // Slices and parameter handles are temporaries: a dispose scope keeps them alive until every copy is done (docs/native-ownership.md).
        using var scope = NewDisposeScope();
        var (model, subnet) = (this, Subnet);
        var i = 0;
        ((StemLayer)model.layers[i++]).CopyFrom(supernet.stem);
        for (var d = 0; d < subnet.Stem.Depth; d++) ((Stage0Layer)model.layers[i++]).CopyFrom(supernet.stage0[d]);
        for (var s = 0; s < subnet.Stages.Count; s++)
        {
            switch (supernet.stages[s])
            {
                case ElasticMbConvStage mb:
                    for (var d = 0; d < subnet.Stages[s].Depth; d++) ((MbConvLayer)model.layers[i++]).CopyFrom(mb.layers[d]);
                    break;
                case ElasticTransformerStage tr:
                    ((MbConvLayer)model.layers[i++]).CopyFrom(tr.reduction);
                    for (var d = 0; d < subnet.Stages[s].Depth; d++) ((TransformerLayer)model.layers[i++]).CopyFrom(tr.layers[d]);
                    break;
            }
        }
        ((HeadLayer)model.layers[i]).CopyFrom(supernet.head);
    }

    public override Tensor forward(Tensor x)
    {
        x = Blocks.Resize(x, Subnet.Resolution);
        var tokens = false;
        var grid = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer is TransformerLayer t)
            {
                if (!tokens) (x, tokens, grid) = (Blocks.ToTokens(x), true, t.Spec.InSize);
            }
            else if (tokens)
            {
                (x, tokens) = (Blocks.ToMap(x, grid), false);
            }
            x = layer.call(x);
            // Channels-last after the stem, as in the supernet: CPU convolutions and BN run far faster on it.
            if (layer is StemLayer) x = Blocks.ChannelsLast(x);
        }
        return x;
    }

    /// <summary>Trainable parameters excluding the relative-position tables (the convention of the analytic count).</summary>
    public long ParameterCountWithoutPositionTables() =>
        named_parameters().Where(p => !p.name.EndsWith("rel_pos", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
}
