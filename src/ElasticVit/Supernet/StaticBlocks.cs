using ElasticVit.Nn;
using ElasticVit.Spaces;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>Plain (non-elastic) layers of a standalone subnet, one per <see cref="LayerSpec"/>, built from standard TorchSharp modules.</summary>
public static class StaticLayers
{
    /// <summary>
    /// A convolution with TorchSharp's initialisation. A bias is added here rather than by TorchSharp's constructor, which
    /// derives the bias bound from the weight's fan-in through a temporary tensor (<c>weight[0, 0]</c>) that nothing keeps
    /// alive: modules are built outside dispose scopes, so a collection triggered on another thread could free it while
    /// libtorch read it (a segfault in <c>THSTensor_numel</c> under <c>bench stress</c>; docs/native-ownership.md).
    /// </summary>
    public static Conv2d Conv(long cin, long cout, int kernel, int stride = 1, bool depthwise = false, bool bias = false)
    {
        var groups = depthwise ? cout : 1;
        var conv = nn.Conv2d(cin, cout, kernel, stride: stride, padding: kernel / 2, groups: groups, bias: false);
        if (bias)
        {
            var bound = 1 / Math.Sqrt(cin / groups * kernel * kernel);   // the bound TorchSharp (and PyTorch) would use
            conv.bias = new Parameter(empty(cout).uniform_(-bound, bound));
        }
        return conv;
    }

    public static BatchNorm2d Bn(long c) => nn.BatchNorm2d(c, eps: Nn.ElasticBatchNorm2d.Eps);

    /// <summary>Copies <paramref name="source"/> (any view) into <paramref name="target"/>; shapes must match exactly.</summary>
    public static void Copy(Tensor target, Tensor source)
    {
        if (!target.shape.SequenceEqual(source.shape))
            throw new InvalidOperationException($"shape mismatch: [{string.Join(",", target.shape)}] vs [{string.Join(",", source.shape)}]");
        using var _ = no_grad();
        target.copy_(source);
    }

    /// <summary>
    /// A static twin of an elastic block: <paramref name="layer"/> (built outside any dispose scope, as modules must be) moved to
    /// the dtype and device of <paramref name="like"/>, then filled by <paramref name="copy"/> inside a dispose scope that
    /// keeps the slices it reads alive until every copy is done (docs/native-ownership.md).
    /// </summary>
    public static T Twin<T>(T layer, Tensor like, Action<T> copy) where T : nn.Module
    {
        // A conversion replaces every tensor of the layer: only when needed.
        var made = layer.parameters().First();
        var (dtype, deviceType, deviceIndex) = (made.dtype, made.device_type, made.device_index);
        if (dtype != like.dtype) layer.to(like.dtype);
        if (deviceType != like.device_type || deviceIndex != like.device_index) layer.to(like.device);
        using (NewDisposeScope()) copy(layer);
        return layer;
    }

    public static void CopyBn(BatchNorm2d target, Nn.ElasticBatchNorm2d source)
    {
        var c = target.weight!.shape[0];
        Copy(target.weight!, source.Weight.narrow(0, 0, c));
        Copy(target.bias!, source.Bias.narrow(0, 0, c));
        Copy(target.running_mean!, source.RunningMean.narrow(0, 0, c));
        Copy(target.running_var!, source.RunningVar.narrow(0, 0, c));
    }
}

public sealed class StemLayer : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d conv;
    public readonly BatchNorm2d bn;

    public StemLayer(LayerSpec l) : base("stem")
    {
        conv = StaticLayers.Conv(l.InChannels, l.OutChannels, 3, l.Stride);
        bn = StaticLayers.Bn(l.OutChannels);
        RegisterComponents();
    }


    public override Tensor forward(Tensor x) => nn.functional.hardswish(bn.call(conv.call(x)));
}

public sealed class Stage0Layer : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d dw;
    public readonly BatchNorm2d bn1;
    public readonly Conv2d pw;
    public readonly BatchNorm2d bn2;

    public Stage0Layer(string name, LayerSpec l) : base(name)
    {
        dw = StaticLayers.Conv(l.InChannels, l.InChannels, l.Kernel, depthwise: true);
        bn1 = StaticLayers.Bn(l.InChannels);
        pw = StaticLayers.Conv(l.InChannels, l.OutChannels, 1);
        bn2 = StaticLayers.Bn(l.OutChannels);
        RegisterComponents();
    }


    public override Tensor forward(Tensor x) => x.Plus(bn2.call(pw.call(nn.functional.hardswish(bn1.call(dw.call(x))))));
}

public sealed class SeModule : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d reduce;
    public readonly Conv2d expand;

    public SeModule(string name, long channels) : base(name)
    {
        reduce = StaticLayers.Conv(channels, channels / 4, 1, bias: true);
        expand = StaticLayers.Conv(channels / 4, channels, 1, bias: true);
        RegisterComponents();
    }


    public override Tensor forward(Tensor x) =>
        x * nn.functional.hardsigmoid(expand.call(nn.functional.relu(reduce.call(x.mean([2, 3], keepdim: true)))));
}

/// <summary>A static MBConv (also the reduction block that opens each transformer stage).</summary>
public sealed class MbConvLayer : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d expand;
    public readonly BatchNorm2d bn1;
    public readonly Conv2d dw;
    public readonly BatchNorm2d bn2;
    public readonly SeModule? se;
    public readonly Conv2d project;
    public readonly BatchNorm2d bn3;
    public readonly Conv2d? shortcut;
    public LayerSpec Spec { get; }

    public MbConvLayer(string name, LayerSpec l) : base(name)
    {
        Spec = l;
        expand = StaticLayers.Conv(l.InChannels, l.Mid, 1);
        bn1 = StaticLayers.Bn(l.Mid);
        dw = StaticLayers.Conv(l.Mid, l.Mid, l.Kernel, l.Stride, depthwise: true);
        bn2 = StaticLayers.Bn(l.Mid);
        if (l.Se) se = new SeModule("se", l.Mid);
        project = StaticLayers.Conv(l.Mid, l.OutChannels, 1);
        bn3 = StaticLayers.Bn(l.OutChannels);
        if (l.HasShortcutConv) shortcut = StaticLayers.Conv(l.InChannels, l.OutChannels, 1, bias: true);
        RegisterComponents();
    }


    public override Tensor forward(Tensor x)
    {
        var h = nn.functional.hardswish(bn1.call(expand.call(x)));
        h = nn.functional.hardswish(bn2.call(dw.call(h)));
        if (se is not null) h = se.call(h);
        h = bn3.call(project.call(h));
        if (shortcut is null) return h.Plus(x);
        return h.Plus(shortcut.call(Spec.Stride > 1 ? Blocks.ShortcutPool(x, Spec.Stride) : x));
    }
}

/// <summary>A static transformer layer on tokens [B, N, C]; V rows and projection columns are head-major (h·vd + d).</summary>
public sealed class TransformerLayer : nn.Module<Tensor, Tensor>
{
    public readonly LayerNorm ln1;
    public readonly Linear q;
    public readonly Linear k;
    public readonly Linear v;
    public readonly Conv2d v_dw;
    public readonly Linear proj;
    public readonly Parameter rel_pos;
    public readonly LayerNorm ln2;
    public readonly Linear fc1;
    public readonly Linear fc2;
    private readonly Tensor[] _relIndex = new Tensor[1];   // an array, so RegisterComponents does not make it a persistent buffer
    public LayerSpec Spec { get; }
    public int VDim => Spec.HeadDim * Spec.VScale;

    public TransformerLayer(string name, LayerSpec l) : base(name)
    {
        Spec = l;
        int c = l.InChannels, h = l.Heads, vd = l.HeadDim * l.VScale, grid = l.InSize;
        ln1 = nn.LayerNorm(c, eps: Nn.ElasticLayerNorm.Eps);
        q = nn.Linear(c, h * l.HeadDim, hasBias: false);
        k = nn.Linear(c, h * l.HeadDim, hasBias: false);
        v = nn.Linear(c, h * vd, hasBias: false);
        v_dw = StaticLayers.Conv(h * vd, h * vd, 3, depthwise: true);
        proj = nn.Linear(h * vd, c);
        var side = 2 * grid - 1;
        rel_pos = new Parameter(Init.TruncNormal(empty(side * side, h), 0.02));
        ln2 = nn.LayerNorm(c, eps: Nn.ElasticLayerNorm.Eps);
        fc1 = nn.Linear(c, l.MlpRatio * c);
        fc2 = nn.Linear(l.MlpRatio * c, c);
        _relIndex[0] = tensor(RelativePosition.IndexMap(grid, grid));
        RegisterComponents();
        register_buffer("rel_index", _relIndex[0], persistent: false);
    }


    /// <summary>The relative-position bias [H, N, N] of this layer's grid (a constant at inference).</summary>
    public Tensor PositionBias() => RelativePosition.Bias(rel_pos, _relIndex[0], Spec.Heads, Spec.InSize * Spec.InSize);

    public override Tensor forward(Tensor x) => TransformerMath.Forward(x,
        new TransformerWeights(ln1.weight!, ln1.bias!, q.weight!, k.weight!, v.weight!, v_dw.weight!, proj.weight!, proj.bias!, PositionBias(),
            ln2.weight!, ln2.bias!, fc1.weight!, fc1.bias!, fc2.weight!, fc2.bias!),
        Spec.Heads, Spec.HeadDim, Spec.InSize);
}

public sealed class HeadLayer : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d expand;
    public readonly BatchNorm2d bn;
    public readonly Linear hidden;
    public readonly Linear classifier;
    public double Dropout { get; set; }

    public HeadLayer(LayerSpec l) : base("head")
    {
        var wide = l.InChannels * l.Expansion;
        expand = StaticLayers.Conv(l.InChannels, wide, 1);
        bn = StaticLayers.Bn(wide);
        hidden = nn.Linear(wide, l.Hidden);
        classifier = nn.Linear(l.Hidden, l.Classes);
        RegisterComponents();
    }


    public override Tensor forward(Tensor map)
    {
        var h = nn.functional.hardswish(bn.call(expand.call(map))).mean([2, 3]);
        h = nn.functional.hardswish(hidden.call(h));
        if (Dropout > 0) h = nn.functional.dropout(h, Dropout, training);
        return classifier.call(h);
    }
}
