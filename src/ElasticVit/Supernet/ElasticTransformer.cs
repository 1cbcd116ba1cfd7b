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
public sealed class ElasticTransformerLayer : nn.Module<Tensor, Tensor>
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

    public override Tensor forward(Tensor x)
    {
        var (c, heads, vd, grid) = Active;
        long b = x.shape[0], n = x.shape[1];
        var h = ln1.forward(x);
        var qh = q.forward(h).view(b, n, heads, HeadDim).transpose(1, 2);             // [B, H, N, 16]
        var kh = k.forward(h).view(b, n, heads, HeadDim).transpose(1, 2);             // [B, H, N, 16]
        var vh = einsum("bnc,hdc->bhnd", h, ActiveV());                                // [B, H, N, vd]
        var vmap = vh.permute(0, 1, 3, 2).reshape(b, heads * vd, grid, grid);
        vmap = nn.functional.conv2d(vmap, ActiveVDw(), padding: [1, 1], groups: heads * vd);
        vh = vmap.reshape(b, heads, vd, n).permute(0, 1, 3, 2);
        var bias = RelativePosition.Bias(rel_pos, _indexMaps[grid], heads, (int)n);  // [H, N, N]
        var attn = qh.matmul(kh.transpose(-2, -1)).Times(1.0 / Math.Sqrt(HeadDim)).Plus(bias).softmax(-1);
        var o = nn.functional.hardswish(attn.matmul(vh));                             // [B, H, N, vd]
        x = x.Plus(einsum("bhnd,chd->bnc", o, ActiveProj())).Plus(proj_bias.narrow(0, 0, c));
        return x.Plus(fc2.forward(nn.functional.hardswish(fc1.forward(ln2.forward(x)))));
    }
}

/// <summary>MobileNetV3-style head: per-token C→mul·C (1×1) + BN + Hswish, mean over tokens, Linear → hidden + Hswish, dropout, Linear → classes.</summary>
public sealed class ElasticHead : nn.Module<Tensor, Tensor>
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

    public override Tensor forward(Tensor map)
    {
        var h = nn.functional.hardswish(bn.forward(expand.forward(map))).mean([2, 3]);
        h = nn.functional.hardswish(hidden.forward(h));
        if (Dropout > 0) h = nn.functional.dropout(h, Dropout, training);
        return classifier.forward(h);
    }
}
