using ElasticVit.Nn;
using ElasticVit.Spaces;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>The MBConv layers of one CNN stage; the first <see cref="ActiveDepth"/> run.</summary>
public sealed class ElasticMbConvStage : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<ElasticMbConvLayer> layers;
    public int ActiveDepth { get; set; }

    public ElasticMbConvStage(string name, int maxIn, StageSpace s) : base(name)
    {
        layers = new ModuleList<ElasticMbConvLayer>();
        for (var d = 0; d < s.MaxDepth; d++)
            layers.Add(new ElasticMbConvLayer($"{d}", d == 0 ? maxIn : s.MaxWidth, s.MaxWidth, s.Expansions[^1], s.Kernels[^1],
                d == 0 ? s.Stride : 1, s.Se, canChangeShape: d == 0));
        ActiveDepth = s.MaxDepth;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        for (var d = 0; d < ActiveDepth; d++) x = layers[d].forward(x);
        return x;
    }
}

/// <summary>A transformer stage: the reduction MBConv on the 2-D map, then the first <see cref="ActiveDepth"/> layers on tokens.</summary>
public sealed class ElasticTransformerStage : nn.Module<Tensor, Tensor>
{
    public readonly ElasticMbConvLayer reduction;
    public readonly ModuleList<ElasticTransformerLayer> layers;
    public int ActiveDepth { get; set; }
    public int ActiveGrid { get; set; }

    public ElasticTransformerStage(string name, int maxIn, StageSpace s, int headDim, IEnumerable<int> grids) : base(name)
    {
        var gridList = grids.ToArray();
        reduction = new ElasticMbConvLayer("reduction", maxIn, s.MaxWidth, 6, 3, s.Stride, hasSe: true, canChangeShape: true);
        layers = new ModuleList<ElasticTransformerLayer>();
        for (var d = 0; d < s.MaxDepth; d++)
            layers.Add(new ElasticTransformerLayer($"{d}", s.MaxWidth, headDim, s.VScales[^1], s.MlpRatios[^1], gridList));
        ActiveDepth = s.MaxDepth;
        RegisterComponents();
    }

    public override Tensor forward(Tensor map)
    {
        var x = Blocks.ToTokens(reduction.forward(map));
        for (var d = 0; d < ActiveDepth; d++) x = layers[d].forward(x);
        return Blocks.ToMap(x, ActiveGrid);
    }
}

/// <summary>
/// The weight-sharing supernet of a search space. <see cref="SetActive"/> validates a subnet once and pushes each block
/// its slice; <see cref="forward"/> resizes the input to the active resolution and runs the active slices only,
/// without copying weights or changing any state other than BN running statistics in training mode.
/// </summary>
public sealed class ElasticSupernet : nn.Module<Tensor, Tensor>
{
    public readonly ElasticStem stem;
    public readonly ModuleList<ElasticStage0Layer> stage0;
    public readonly ModuleList<nn.Module<Tensor, Tensor>> stages;
    public readonly ElasticHead head;
    private int _stage0Depth;

    public SearchSpace Space { get; }
    public Subnet Active { get; private set; }

    public ElasticSupernet(SearchSpace space) : base("supernet")
    {
        Space = space;
        stem = new ElasticStem(space.Input.Channels, space.Stem.Widths[^1], space.Stem.Stride);
        stage0 = new ModuleList<ElasticStage0Layer>();
        for (var d = 0; d < space.Stem.MaxDepth; d++)
            stage0.Add(new ElasticStage0Layer($"{d}", space.Stem.Widths[^1], space.Stem.Kernels[^1]));
        stages = new ModuleList<nn.Module<Tensor, Tensor>>();
        var maxIn = space.Stem.Widths[^1];
        for (var i = 0; i < space.Stages.Count; i++)
        {
            var s = space.Stages[i];
            var stageIndex = i;
            stages.Add(s.Kind == StageKind.MbConv
                ? new ElasticMbConvStage(s.Name, maxIn, s)
                : new ElasticTransformerStage(s.Name, maxIn, s, space.HeadDim, space.Resolutions.Select(r => space.StageOutSizes(r)[stageIndex])));
            maxIn = s.MaxWidth;
        }
        head = new ElasticHead(maxIn, space.ClassifierMul, space.ClassifierHidden, space.Classes);
        RegisterComponents();
        Active = space.MaxSubnet;
        SetActive(Active);
    }

    /// <summary>Validates <paramref name="subnet"/> and activates its slices in every block.</summary>
    public void SetActive(Subnet subnet)
    {
        Space.Validate(subnet);
        var layers = Layers(subnet);
        foreach (var (spec, block) in layers) block.SetActive(spec);
        _stage0Depth = subnet.Stem.Depth;
        for (var s = 0; s < Space.Stages.Count; s++)
            switch (stages[s])
            {
                case ElasticMbConvStage mb:
                    mb.ActiveDepth = subnet.Stages[s].Depth;
                    break;
                case ElasticTransformerStage tr:
                    tr.ActiveDepth = subnet.Stages[s].Depth;
                    tr.ActiveGrid = layers.First(l => l.Block == tr.reduction).Spec.OutSize;
                    break;
            }
        Active = subnet;
    }

    /// <summary>
    /// The layers of <paramref name="subnet"/>'s plan, each with the block of this supernet that runs it, in forward order:
    /// the one walk that activation (<see cref="SetActive"/>) and extraction (<see cref="StaticModel.Extract"/>) share.
    /// </summary>
    public IReadOnlyList<(LayerSpec Spec, IElasticLayer Block)> Layers(Subnet subnet)
    {
        var plan = LayerPlan.Of(Space, subnet);
        var blocks = BlocksOf(subnet).ToList();
        if (blocks.Count != plan.Count) throw new InvalidOperationException($"{subnet.Key}: {plan.Count} planned layers, {blocks.Count} blocks");
        return plan.Zip(blocks).ToList();
    }

    private IEnumerable<IElasticLayer> BlocksOf(Subnet subnet)
    {
        yield return stem;
        for (var d = 0; d < subnet.Stem.Depth; d++) yield return stage0[d];
        for (var s = 0; s < Space.Stages.Count; s++)
        {
            var depth = subnet.Stages[s].Depth;
            switch (stages[s])
            {
                case ElasticMbConvStage mb:
                    for (var d = 0; d < depth; d++) yield return mb.layers[d];
                    break;
                case ElasticTransformerStage tr:
                    yield return tr.reduction;
                    for (var d = 0; d < depth; d++) yield return tr.layers[d];
                    break;
            }
        }
        yield return head;
    }

    public override Tensor forward(Tensor x)
    {
        // Channels-last from the stem on: the stem's input has one channel on fmnist, where the layout is ambiguous.
        x = Blocks.ChannelsLast(stem.forward(Blocks.Resize(x, Active.Resolution)));
        for (var d = 0; d < _stage0Depth; d++) x = stage0[d].forward(x);
        foreach (var s in stages) x = s.forward(x);
        return head.forward(x);
    }

    /// <summary>
    /// Sets the scale of the last BN of every residual branch (stage-0 and MBConv layers) to zero, so each such layer
    /// starts as its shortcut and a deep subnet at first computes what a shallow one does (BigNAS's initialisation).
    /// </summary>
    public void ZeroInitResidualBranches()
    {
        using var _ = no_grad();
        foreach (var layer in modules())
        {
            var last = layer switch { ElasticStage0Layer s => s.bn2, ElasticMbConvLayer m => m.bn3, _ => null };
            last?.Weight.zero_();
        }
    }

    /// <summary>Every elastic BatchNorm (for recalibration and momentum changes).</summary>
    public IEnumerable<ElasticBatchNorm2d> BatchNorms() => modules().OfType<ElasticBatchNorm2d>();
}
