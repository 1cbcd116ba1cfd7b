using ElasticVit.Nn;
using ElasticVit.Spaces;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>
/// Pre-norm transformer layer on tokens [B, N, C] with elastic width, heads, V scale and MLP ratio.
/// Q/K/V are separate; V rows and projection columns are laid out head-major (h·vMax + d), so fewer heads or a
/// smaller V scale are front slices of a [H, vd, C] view. V additionally passes a depthwise 3×3 conv on the token map.
/// </summary>
public sealed class ElasticTransformerLayer : nn.Module<Tensor, Tensor>, IElasticLayer
{
    public readonly ElasticLayerNorm ln1;
    public readonly ElasticLinear q;
    public readonly ElasticLinear k;
    public readonly Parameter v;
    public readonly Parameter v_dw;
    public readonly Parameter proj;
    public readonly Parameter proj_bias;
    public readonly Parameter rel_pos;
    public readonly ElasticLayerNorm ln2;
    public readonly ElasticLinear fc1;
    public readonly ElasticLinear fc2;
    private readonly Dictionary<int, Tensor> _indexMaps = new();

    public int MaxWidth { get; }
    public int MaxHeads { get; }
    public int HeadDim { get; }
    public int MaxVDim { get; }
    public int TableGrid { get; }
    public (int Width, int Heads, int VDim, int Grid) Active { get; private set; }

    public ElasticTransformerLayer(string name, int maxWidth, int headDim, int maxVScale, int maxMlpRatio, IEnumerable<int> grids) : base(name)
    {
        (MaxWidth, HeadDim, MaxHeads, MaxVDim) = (maxWidth, headDim, maxWidth / headDim, headDim * maxVScale);
        var gridList = grids.Distinct().ToArray();
        TableGrid = gridList.Max();
        ln1 = new ElasticLayerNorm("ln1", maxWidth);
        q = new ElasticLinear("q", maxWidth, MaxHeads * headDim, false);
        k = new ElasticLinear("k", maxWidth, MaxHeads * headDim, false);
        v = new Parameter(Init.TruncNormal(empty(MaxHeads * MaxVDim, maxWidth), 0.02));
        v_dw = new Parameter(nn.init.kaiming_normal_(empty(MaxHeads * MaxVDim, 1, 3, 3), mode: nn.init.FanInOut.FanOut));
        proj = new Parameter(Init.TruncNormal(empty(maxWidth, MaxHeads * MaxVDim), 0.02));
        proj_bias = new Parameter(zeros(maxWidth));
        var side = 2 * TableGrid - 1;
        rel_pos = new Parameter(Init.TruncNormal(empty(side * side, MaxHeads), 0.02));
        ln2 = new ElasticLayerNorm("ln2", maxWidth);
        fc1 = new ElasticLinear("fc1", maxWidth, maxMlpRatio * maxWidth, true);
        fc2 = new ElasticLinear("fc2", maxMlpRatio * maxWidth, maxWidth, true);
        RegisterComponents();
        foreach (var g in gridList)
        {
            _indexMaps[g] = tensor(RelativePosition.IndexMap(g, TableGrid));
            register_buffer($"rel_index_{g}", _indexMaps[g], persistent: false);
        }
    }

    public void SetActive(LayerSpec l)
    {
        if (!_indexMaps.ContainsKey(l.InSize)) throw new InvalidOperationException($"{GetName()}: no relative-position map for grid {l.InSize}");
        Active = (l.InChannels, l.Heads, l.HeadDim * l.VScale, l.InSize);
        (q.ActiveIn, q.ActiveOut) = (l.InChannels, l.Heads * HeadDim);
        (k.ActiveIn, k.ActiveOut) = (l.InChannels, l.Heads * HeadDim);
        (fc1.ActiveIn, fc1.ActiveOut) = (l.InChannels, l.MlpRatio * l.InChannels);
        (fc2.ActiveIn, fc2.ActiveOut) = (l.MlpRatio * l.InChannels, l.InChannels);
    }

    /// <summary>Active V weight [H, vd, C] (view).</summary>
    public Tensor ActiveV() => v.view(MaxHeads, MaxVDim, MaxWidth).narrow(0, 0, Active.Heads).narrow(1, 0, Active.VDim).narrow(2, 0, Active.Width);

    /// <summary>Active depthwise-V kernels [H·vd, 1, 3, 3]. The only gather in forward: at most H·vd·9 values.</summary>
    public Tensor ActiveVDw() => v_dw.view(MaxHeads, MaxVDim, 1, 3, 3).narrow(0, 0, Active.Heads).narrow(1, 0, Active.VDim)
        .reshape(Active.Heads * Active.VDim, 1, 3, 3);

    /// <summary>Active projection weight [C, H, vd] (view).</summary>
    public Tensor ActiveProj() => proj.view(MaxWidth, MaxHeads, MaxVDim).narrow(0, 0, Active.Width).narrow(1, 0, Active.Heads).narrow(2, 0, Active.VDim);

    public Tensor ActiveRelPosTable() => rel_pos.narrow(1, 0, Active.Heads);

    /// <summary>The active slices as plain weights; V and the projection are copied into their [H·vd, C] and [C, H·vd] matrices.</summary>
    public TransformerWeights ActiveWeights()
    {
        var (c, heads, vd, _) = Active;
        return new TransformerWeights(ln1.Weight.narrow(0, 0, c), ln1.Bias.narrow(0, 0, c), q.ActiveWeight(), k.ActiveWeight(),
            ActiveV().reshape(heads * vd, c), ActiveVDw(), ActiveProj().reshape(c, heads * vd), proj_bias.narrow(0, 0, c),
            RelativePosition.Bias(rel_pos, _indexMaps[Active.Grid], heads, Active.Grid * Active.Grid),
            ln2.Weight.narrow(0, 0, c), ln2.Bias.narrow(0, 0, c), fc1.ActiveWeight(), fc1.ActiveBias()!, fc2.ActiveWeight(), fc2.ActiveBias()!);
    }

    public nn.Module<Tensor, Tensor> ToStatic(LayerSpec l, string name) => StaticLayers.Twin(new TransformerLayer(name, l), v, s =>
    {
        var c = l.InChannels;
        StaticLayers.Copy(s.ln1.weight!, ln1.Weight.narrow(0, 0, c));
        StaticLayers.Copy(s.ln1.bias!, ln1.Bias.narrow(0, 0, c));
        StaticLayers.Copy(s.q.weight!, q.ActiveWeight());
        StaticLayers.Copy(s.k.weight!, k.ActiveWeight());
        StaticLayers.Copy(s.v.weight!, ActiveV().reshape(s.v.weight!.shape));
        StaticLayers.Copy(s.v_dw.weight!, ActiveVDw());
        StaticLayers.Copy(s.proj.weight!, ActiveProj().reshape(s.proj.weight!.shape));
        StaticLayers.Copy(s.proj.bias!, proj_bias.narrow(0, 0, c));
        // The static layer's table covers its own grid only: the rows of the shared table that grid uses.
        var rows = tensor(RelativePosition.RowsFor(l.InSize, TableGrid), device: rel_pos.device);
        StaticLayers.Copy(s.rel_pos, ActiveRelPosTable().index_select(0, rows));
        StaticLayers.Copy(s.ln2.weight!, ln2.Weight.narrow(0, 0, c));
        StaticLayers.Copy(s.ln2.bias!, ln2.Bias.narrow(0, 0, c));
        StaticLayers.Copy(s.fc1.weight!, fc1.ActiveWeight());
        StaticLayers.Copy(s.fc1.bias!, fc1.ActiveBias()!);
        StaticLayers.Copy(s.fc2.weight!, fc2.ActiveWeight());
        StaticLayers.Copy(s.fc2.bias!, fc2.ActiveBias()!);
    });

    public override Tensor forward(Tensor x) => TransformerMath.Forward(x, ActiveWeights(), Active.Heads, HeadDim, Active.Grid);
}

/// <summary>MobileNetV3-style head: per-token C→mul·C (1×1) + BN + Hswish, mean over tokens, Linear → hidden + Hswish, dropout, Linear → classes.</summary>
public sealed class ElasticHead : nn.Module<Tensor, Tensor>, IElasticLayer
{
    public readonly ElasticConv2d expand;
    public readonly ElasticBatchNorm2d bn;
    public readonly ElasticLinear hidden;
    public readonly Linear classifier;
    public double Dropout { get; set; }

    public ElasticHead(int maxWidth, int mul, int hiddenWidth, int classes) : base("head")
    {
        expand = new ElasticConv2d("expand", maxWidth, mul * maxWidth, 1);
        bn = new ElasticBatchNorm2d("bn", mul * maxWidth);
        hidden = new ElasticLinear("hidden", mul * maxWidth, hiddenWidth, true);
        classifier = nn.Linear(hiddenWidth, classes);
        Init.TruncNormal(classifier.weight, 0.02);
        nn.init.zeros_(classifier.bias);
        RegisterComponents();
    }

    public void SetActive(LayerSpec l)
    {
        (expand.ActiveIn, expand.ActiveOut) = (l.InChannels, l.InChannels * l.Expansion);
        hidden.ActiveIn = l.InChannels * l.Expansion;
    }

    public nn.Module<Tensor, Tensor> ToStatic(LayerSpec l, string name) => StaticLayers.Twin(new HeadLayer(l), expand.Weight, s =>
    {
        StaticLayers.Copy(s.expand.weight!, expand.ActiveWeight());
        StaticLayers.CopyBn(s.bn, bn);
        StaticLayers.Copy(s.hidden.weight!, hidden.ActiveWeight());
        StaticLayers.Copy(s.hidden.bias!, hidden.ActiveBias()!);
        StaticLayers.Copy(s.classifier.weight!, classifier.weight!);
        StaticLayers.Copy(s.classifier.bias!, classifier.bias!);
    });

    public override Tensor forward(Tensor map)
    {
        var h = nn.functional.hardswish(bn.forward(expand.forward(map))).mean([2, 3]);
        h = nn.functional.hardswish(hidden.forward(h));
        if (Dropout > 0) h = nn.functional.dropout(h, Dropout, training);
        return classifier.forward(h);
    }
}
