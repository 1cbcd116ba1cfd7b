using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Nn;

/// <summary>BatchNorm2d over the first C channels: affine parameters and running statistics are sliced alike.</summary>
public sealed class ElasticBatchNorm2d : nn.Module<Tensor, Tensor>
{
    public const double Eps = 1e-5;
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;

    /// <summary>Momentum of the running statistics; BN recalibration switches it to a cumulative average.</summary>
    public double Momentum { get; set; } = 0.1;

    public ElasticBatchNorm2d(string name, int maxChannels, bool zeroGamma = false) : base(name)
    {
        weight = new Parameter(zeroGamma ? zeros(maxChannels) : ones(maxChannels));
        bias = new Parameter(zeros(maxChannels));
        running_mean = zeros(maxChannels);
        running_var = ones(maxChannels);
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public Parameter Bias => bias;
    public Tensor RunningMean => running_mean;
    public Tensor RunningVar => running_var;

    public override Tensor forward(Tensor x)
    {
        var c = x.shape[1];
        return nn.functional.batch_norm(x, running_mean.narrow(0, 0, c), running_var.narrow(0, 0, c),
            weight.narrow(0, 0, c), bias.narrow(0, 0, c), training, Momentum, Eps);
    }

    /// <summary>Resets the statistics of the first <paramref name="channels"/> channels (BN recalibration).</summary>
    public void ResetRunningStats(long channels)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();   // the narrow views are temporaries (docs/native-ownership.md)
        running_mean.narrow(0, 0, channels).zero_();
        running_var.narrow(0, 0, channels).fill_(ScalarOps.One);
    }
}

/// <summary>LayerNorm over the last dimension, using the first C entries of its affine parameters.</summary>
public sealed class ElasticLayerNorm : nn.Module<Tensor, Tensor>
{
    public const double Eps = 1e-5;
    private readonly Parameter weight;
    private readonly Parameter bias;

    public ElasticLayerNorm(string name, int maxChannels) : base(name)
    {
        weight = new Parameter(ones(maxChannels));
        bias = new Parameter(zeros(maxChannels));
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public Parameter Bias => bias;

    public override Tensor forward(Tensor x)
    {
        var c = x.shape[^1];
        return nn.functional.layer_norm(x, [c], weight.narrow(0, 0, c), bias.narrow(0, 0, c), Eps);
    }
}

/// <summary>A linear layer whose active weight is <c>weight[:out, :in]</c>.</summary>
public sealed class ElasticLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    public int ActiveIn { get; set; }
    public int ActiveOut { get; set; }

    public ElasticLinear(string name, int maxIn, int maxOut, bool hasBias) : base(name)
    {
        weight = new Parameter(empty(maxOut, maxIn));
        Init.TruncNormal(weight, 0.02);
        if (hasBias) bias = new Parameter(zeros(maxOut));
        (ActiveIn, ActiveOut) = (maxIn, maxOut);
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public Tensor ActiveWeight() => weight.narrow(0, 0, ActiveOut).narrow(1, 0, ActiveIn);
    public Tensor? ActiveBias() => bias?.narrow(0, 0, ActiveOut);
    public override Tensor forward(Tensor x) => nn.functional.linear(x, ActiveWeight(), ActiveBias());
}
