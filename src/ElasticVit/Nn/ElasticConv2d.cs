using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Nn;

/// <summary>
/// A conv whose active weight is the front slice <c>weight[:out, :in]</c> of the largest weight, with a smaller
/// kernel taken as the centred crop. Depthwise convs slice the channel dimension only.
/// </summary>
public sealed class ElasticConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    public int MaxIn { get; }
    public int MaxOut { get; }
    public int MaxKernel { get; }
    public int Stride { get; }
    public bool Depthwise { get; }

    /// <summary>Active shape, set by the owning block in SetActive (never in forward).</summary>
    public int ActiveIn { get; set; }
    public int ActiveOut { get; set; }
    public int ActiveKernel { get; set; }

    public ElasticConv2d(string name, int maxIn, int maxOut, int maxKernel, int stride = 1, bool depthwise = false, bool hasBias = false) : base(name)
    {
        (MaxIn, MaxOut, MaxKernel, Stride, Depthwise) = (maxIn, maxOut, maxKernel, stride, depthwise);
        weight = new Parameter(empty(maxOut, depthwise ? 1 : maxIn, maxKernel, maxKernel));
        nn.init.kaiming_normal_(weight, mode: nn.init.FanInOut.FanOut);
        if (hasBias) bias = new Parameter(zeros(maxOut));
        (ActiveIn, ActiveOut, ActiveKernel) = (maxIn, maxOut, maxKernel);
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public Parameter? Bias => bias;

    /// <summary>The active weight as a view (no copy).</summary>
    public Tensor ActiveWeight()
    {
        var start = (MaxKernel - ActiveKernel) / 2;
        var w = weight.narrow(0, 0, ActiveOut);
        if (!Depthwise) w = w.narrow(1, 0, ActiveIn);
        return ActiveKernel == MaxKernel ? w : w.narrow(2, start, ActiveKernel).narrow(3, start, ActiveKernel);
    }

    public Tensor? ActiveBias() => bias?.narrow(0, 0, ActiveOut);

    public override Tensor forward(Tensor x)
    {
        var pad = ActiveKernel / 2;
        return nn.functional.conv2d(x, ActiveWeight(), ActiveBias(), strides: [Stride, Stride], padding: [pad, pad],
            groups: Depthwise ? ActiveOut : 1);
    }
}
