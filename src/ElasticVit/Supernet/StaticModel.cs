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
    public StaticModel(SearchSpace space, Subnet subnet, double dropout = 0.0)
        : this(space, subnet, (_, spec, name) => StandaloneLayer.Create(spec, name, dropout)) { }

    /// <param name="layer">Builds layer i of the plan from its spec and module name.</param>
    private StaticModel(SearchSpace space, Subnet subnet, Func<int, LayerSpec, string, nn.Module<Tensor, Tensor>> layer) : base("model")
    {
        space.Validate(subnet);
        (Space, Subnet) = (space, subnet);
        Plan = LayerPlan.Of(space, subnet);
        layers = new ModuleList<nn.Module<Tensor, Tensor>>();
        var i = 0;
        foreach (var (spec, name) in Plan.Zip(LayerNames(Plan))) layers.Add(layer(i++, spec, name));
        RegisterComponents();
    }

    /// <summary>Module names by kind and index within the kind (<c>stage0_1</c>, <c>mbconv_0</c>, <c>transformer_2</c> …); they name ONNX nodes too.</summary>
    private static IEnumerable<string> LayerNames(IEnumerable<LayerSpec> plan)
    {
        var counters = new Dictionary<LayerKind, int>();
        foreach (var l in plan)
        {
            var index = counters[l.Kind] = counters.GetValueOrDefault(l.Kind, -1) + 1;
            yield return l.Kind switch
            {
                LayerKind.Stem => "stem",
                LayerKind.Head => "head",
                _ => $"{l.Kind.ToString().ToLowerInvariant()}_{index}",
            };
        }
    }

    /// <summary>Extracts <paramref name="subnet"/> from <paramref name="supernet"/>: each block's static twin, with its active slices copied.</summary>
    public static StaticModel Extract(ElasticSupernet supernet, Subnet subnet)
    {
        supernet.SetActive(subnet);
        var blocks = supernet.Layers(subnet);
        return new StaticModel(supernet.Space, subnet, (i, spec, name) => blocks[i].Block.ToStatic(spec, name));
    }

    /// <summary>
    /// Runs the layers in order on <paramref name="x"/>, switching from maps to tokens before the first transformer layer of
    /// a stage and back after its last (<paramref name="toMap"/> gets the token grid's side and the index of the layer that
    /// takes the map): the one walk that <see cref="forward"/> and the ONNX export share.
    /// </summary>
    public T Walk<T>(T x, Func<T, TransformerLayer, T> toTokens, Func<T, int, int, T> toMap, Func<T, int, T> layer)
    {
        var tokens = false;
        var grid = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is TransformerLayer t)
            {
                if (!tokens) (x, tokens, grid) = (toTokens(x, t), true, t.Spec.InSize);
            }
            else if (tokens)
            {
                (x, tokens) = (toMap(x, grid, i), false);
            }
            x = layer(x, i);
        }
        return x;
    }

    public override Tensor forward(Tensor x) =>
        Walk(Blocks.Resize(x, Subnet.Resolution), (x, _) => Blocks.ToTokens(x), (x, grid, _) => Blocks.ToMap(x, grid), (x, i) =>
        {
            var y = layers[i].call(x);
            // Channels-last after the stem, as in the supernet: CPU convolutions and BN run far faster on it.
            return layers[i] is StemLayer ? Blocks.ChannelsLast(y) : y;
        });

    /// <summary>Trainable parameters excluding the relative-position tables (the convention of the analytic count).</summary>
    public long ParameterCountWithoutPositionTables() =>
        named_parameters().Where(p => !p.name.EndsWith("rel_pos", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
}
