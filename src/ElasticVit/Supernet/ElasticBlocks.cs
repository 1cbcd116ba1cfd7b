using ElasticVit.Nn;
using ElasticVit.Spaces;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>
/// A block of the supernet that runs as one layer of a subnet's plan (once-for-all's dynamic layer): it activates its
/// slice for that layer, and builds the layer's static twin with the active slices copied in.
/// </summary>
public interface IElasticLayer
{
    void SetActive(LayerSpec spec);

    /// <summary>The static layer of <paramref name="spec"/> (the active one) holding copies of this block's active slices, on the block's dtype and device.</summary>
    nn.Module<Tensor, Tensor> ToStatic(LayerSpec spec, string name);
}

/// <summary>Stem conv 3×3 (fixed input channels) + BN + Hardswish with elastic output width.</summary>
public sealed class ElasticStem : nn.Module<Tensor, Tensor>, IElasticLayer
{
    public readonly ElasticConv2d conv;
    public readonly ElasticBatchNorm2d bn;

    public ElasticStem(int inChannels, int maxWidth, int stride) : base("stem")
    {
        conv = new ElasticConv2d("conv", inChannels, maxWidth, 3, stride);
        bn = new ElasticBatchNorm2d("bn", maxWidth);
        RegisterComponents();
    }

    public void SetActive(LayerSpec l) => conv.ActiveOut = l.OutChannels;

    public nn.Module<Tensor, Tensor> ToStatic(LayerSpec l, string name) => StaticLayers.Twin(new StemLayer(l), conv.Weight, s =>
    {
        StaticLayers.Copy(s.conv.weight!, conv.ActiveWeight());
        StaticLayers.CopyBn(s.bn, bn);
    });

    public override Tensor forward(Tensor x) => nn.functional.hardswish(bn.forward(conv.forward(x)));
}

/// <summary>Stage-0 layer: depthwise k×k + BN + Hardswish, pointwise C→C + BN, identity residual.</summary>
public sealed class ElasticStage0Layer : nn.Module<Tensor, Tensor>, IElasticLayer
{
    public readonly ElasticConv2d dw;
    public readonly ElasticBatchNorm2d bn1;
    public readonly ElasticConv2d pw;
    public readonly ElasticBatchNorm2d bn2;

    public ElasticStage0Layer(string name, int maxWidth, int maxKernel) : base(name)
    {
        dw = new ElasticConv2d("dw", maxWidth, maxWidth, maxKernel, depthwise: true);
        bn1 = new ElasticBatchNorm2d("bn1", maxWidth);
        pw = new ElasticConv2d("pw", maxWidth, maxWidth, 1);
        bn2 = new ElasticBatchNorm2d("bn2", maxWidth);
        RegisterComponents();
    }

    public void SetActive(LayerSpec l)
    {
        (dw.ActiveOut, dw.ActiveKernel) = (l.InChannels, l.Kernel);
        (pw.ActiveIn, pw.ActiveOut) = (l.InChannels, l.OutChannels);
    }

    public nn.Module<Tensor, Tensor> ToStatic(LayerSpec l, string name) => StaticLayers.Twin(new Stage0Layer(name, l), dw.Weight, s =>
    {
        StaticLayers.Copy(s.dw.weight!, dw.ActiveWeight());
        StaticLayers.CopyBn(s.bn1, bn1);
        StaticLayers.Copy(s.pw.weight!, pw.ActiveWeight());
        StaticLayers.CopyBn(s.bn2, bn2);
    });

    public override Tensor forward(Tensor x) =>
        x.Plus(bn2.forward(pw.forward(nn.functional.hardswish(bn1.forward(dw.forward(x))))));
}

/// <summary>Squeeze-and-excitation on the first C channels: avg-pool, 1×1 to C/4 (bias), ReLU, 1×1 back (bias), Hardsigmoid.</summary>
public sealed class ElasticSe : nn.Module<Tensor, Tensor>
{
    public readonly ElasticConv2d reduce;
    public readonly ElasticConv2d expand;

    public ElasticSe(string name, int maxChannels) : base(name)
    {
        reduce = new ElasticConv2d("reduce", maxChannels, maxChannels / 4, 1, hasBias: true);
        expand = new ElasticConv2d("expand", maxChannels / 4, maxChannels, 1, hasBias: true);
        RegisterComponents();
    }

    public void SetActive(int channels)
    {
        (reduce.ActiveIn, reduce.ActiveOut) = (channels, channels / 4);
        (expand.ActiveIn, expand.ActiveOut) = (channels / 4, channels);
    }

    /// <summary>Copies the active slices into the static SE of an extracted MBConv layer.</summary>
    public void CopyTo(SeModule target)
    {
        StaticLayers.Copy(target.reduce.weight!, reduce.ActiveWeight());
        StaticLayers.Copy(target.reduce.bias!, reduce.ActiveBias()!);
        StaticLayers.Copy(target.expand.weight!, expand.ActiveWeight());
        StaticLayers.Copy(target.expand.bias!, expand.ActiveBias()!);
    }

    public override Tensor forward(Tensor x)
    {
        var s = x.mean([2, 3], keepdim: true);
        s = nn.functional.hardsigmoid(expand.forward(nn.functional.relu(reduce.forward(s))));
        return x * s;
    }
}

/// <summary>
/// MBConv: PW expand + BN + Hswish → DW k×k (stride) + BN + Hswish → optional SE → PW project + BN.
/// Residual: identity when shapes match, otherwise avg-pool (when strided) + 1×1 conv with bias.
/// </summary>
public sealed class ElasticMbConvLayer : nn.Module<Tensor, Tensor>, IElasticLayer
{
    public readonly ElasticConv2d expand;
    public readonly ElasticBatchNorm2d bn1;
    public readonly ElasticConv2d dw;
    public readonly ElasticBatchNorm2d bn2;
    public readonly ElasticSe? se;
    public readonly ElasticConv2d project;
    public readonly ElasticBatchNorm2d bn3;
    public readonly ElasticConv2d? shortcut;
    public int Stride { get; }
    private bool _shortcutConv;

    public ElasticMbConvLayer(string name, int maxIn, int maxOut, int maxExpansion, int maxKernel, int stride, bool hasSe, bool canChangeShape) : base(name)
    {
        var maxMid = maxIn * maxExpansion;
        Stride = stride;
        expand = new ElasticConv2d("expand", maxIn, maxMid, 1);
        bn1 = new ElasticBatchNorm2d("bn1", maxMid);
        dw = new ElasticConv2d("dw", maxMid, maxMid, maxKernel, stride, depthwise: true);
        bn2 = new ElasticBatchNorm2d("bn2", maxMid);
        if (hasSe) se = new ElasticSe("se", maxMid);
        project = new ElasticConv2d("project", maxMid, maxOut, 1);
        bn3 = new ElasticBatchNorm2d("bn3", maxOut);
        if (canChangeShape) shortcut = new ElasticConv2d("shortcut", maxIn, maxOut, 1, hasBias: true);
        RegisterComponents();
    }

    public void SetActive(LayerSpec l)
    {
        var mid = l.Mid;
        (expand.ActiveIn, expand.ActiveOut) = (l.InChannels, mid);
        (dw.ActiveOut, dw.ActiveKernel) = (mid, l.Kernel);
        se?.SetActive(mid);
        (project.ActiveIn, project.ActiveOut) = (mid, l.OutChannels);
        _shortcutConv = l.HasShortcutConv;
        if (_shortcutConv)
        {
            if (shortcut is null) throw new InvalidOperationException($"{GetName()} cannot change shape");
            (shortcut.ActiveIn, shortcut.ActiveOut) = (l.InChannels, l.OutChannels);
        }
    }

    public nn.Module<Tensor, Tensor> ToStatic(LayerSpec l, string name) => StaticLayers.Twin(new MbConvLayer(name, l), expand.Weight, s =>
    {
        StaticLayers.Copy(s.expand.weight!, expand.ActiveWeight());
        StaticLayers.CopyBn(s.bn1, bn1);
        StaticLayers.Copy(s.dw.weight!, dw.ActiveWeight());
        StaticLayers.CopyBn(s.bn2, bn2);
        if (s.se is not null) se!.CopyTo(s.se);
        StaticLayers.Copy(s.project.weight!, project.ActiveWeight());
        StaticLayers.CopyBn(s.bn3, bn3);
        if (s.shortcut is not null)
        {
            StaticLayers.Copy(s.shortcut.weight!, shortcut!.ActiveWeight());
            StaticLayers.Copy(s.shortcut.bias!, shortcut.ActiveBias()!);
        }
    });

    public override Tensor forward(Tensor x)
    {
        var h = nn.functional.hardswish(bn1.forward(expand.forward(x)));
        h = nn.functional.hardswish(bn2.forward(dw.forward(h)));
        if (se is not null) h = se.forward(h);
        h = bn3.forward(project.forward(h));
        return h.Plus(Shortcut(x));
    }

    private Tensor Shortcut(Tensor x)
    {
        if (!_shortcutConv) return x;
        if (Stride > 1) x = Blocks.ShortcutPool(x, Stride);
        return shortcut!.forward(x);
    }
}

/// <summary>Helpers shared by the elastic and static blocks so both compute exactly the same function.</summary>
public static class Blocks
{
    /// <summary>Average pool for strided shortcuts; ceil mode so odd maps match the strided conv's output side.</summary>
    public static Tensor ShortcutPool(Tensor x, int stride) =>
        nn.functional.avg_pool2d(x, [stride, stride], [stride, stride], ceil_mode: true, count_include_pad: false);

    /// <summary>[B, C, R, R] → [B, R·R, C].</summary>
    public static Tensor ToTokens(Tensor map) => map.flatten(2).transpose(1, 2);

    /// <summary>[B, N, C] → [B, C, R, R], a channels-last view of the tokens.</summary>
    public static Tensor ToMap(Tensor tokens, int grid)
    {
        var map = tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], grid, grid);
        return map.shape[0] == 1 ? ChannelsLast(map) : map;
    }

    /// <summary>
    /// The same [B, C, H, W] tensor stored channels-last (NHWC). TorchSharp's CPU convolutions and training-mode BatchNorm
    /// run 1.5–9× faster on it than on NCHW, and conv, BN, activations and adds keep the layout, so one conversion serves
    /// the whole network (bench/results/search.md, session 4).
    /// </summary>
    public static Tensor ChannelsLast(Tensor map)
    {
        var nhwc = map.permute(0, 2, 3, 1).contiguous();
        if (map.shape[0] > 1) return nhwc.permute(0, 3, 1, 2);
        // libtorch reads the layout from the strides, and a dimension of size 1 may carry any stride: a batch of one
        // whose batch stride is not H·W·C is taken for NCHW, and the next convolution switches back to it (batch-1
        // inference then ran every stage after the first transformer stage in NCHW). Explicit strides say it plainly.
        var (c, h, w) = (map.shape[1], map.shape[2], map.shape[3]);
        return nhwc.as_strided([1, c, h, w], [h * w * c, 1, w * c, c], nhwc.storage_offset());
    }

    public static Tensor Resize(Tensor x, int resolution) =>
        x.shape[^1] == resolution && x.shape[^2] == resolution
            ? x
            : nn.functional.interpolate(x, [resolution, resolution], mode: InterpolationMode.Bilinear, align_corners: false);
}
