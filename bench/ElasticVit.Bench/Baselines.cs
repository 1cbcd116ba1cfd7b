using ElasticVit.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>
/// Hand-designed networks for 28×28 gray images, the yardsticks a user would otherwise write: trained alone, they show
/// what the supernet's inherited subnets must beat at equal latency. Each knows its multiply-accumulates and writes
/// itself as an ONNX graph (BatchNorm folded into the convolutions) for ONNX Runtime's latency.
/// </summary>
public abstract class Baseline(string name) : nn.Module<Tensor, Tensor>(name)
{
    public static Baseline Create(string name) => name switch
    {
        "cnn2" => new PlainCnn(),
        "mbv2" => new SmallMobileNetV2(),
        _ => throw new ArgumentException($"unknown baseline '{name}' (cnn2 or mbv2)"),
    };

    public abstract string Description { get; }

    /// <summary>Multiply-accumulates of one 28×28 image.</summary>
    public abstract double MacsM { get; }

    /// <summary>The eval-mode network as ONNX (input [N, 1, 28, 28] normalised images, output logits).</summary>
    public byte[] ToOnnx()
    {
        var g = new OnnxGraphBuilder("baseline");
        var x = g.Input("images", [OnnxDim.Symbolic("N"), OnnxDim.Fixed(1), OnnxDim.Fixed(28), OnnxDim.Fixed(28)]);
        g.Output(Emit(g, x));
        return g.Build("elasticvit-bench", "1", Description);
    }

    protected abstract string Emit(OnnxGraphBuilder g, string x);

    /// <summary>A convolution followed by BatchNorm, folded into one ONNX Conv: W·γ/σ and β − μ·γ/σ.</summary>
    protected static string ConvBn(OnnxGraphBuilder g, string x, Conv2d conv, BatchNorm2d bn, int stride, int padding, int groups = 1)
    {
        var w = conv.weight!.detach().cpu().data<float>().ToArray();
        var gamma = bn.weight!.detach().cpu().data<float>().ToArray();
        var beta = bn.bias!.detach().cpu().data<float>().ToArray();
        var mean = bn.running_mean!.cpu().data<float>().ToArray();
        var variance = bn.running_var!.cpu().data<float>().ToArray();
        var outChannels = gamma.Length;
        var perChannel = w.Length / outChannels;
        var bias = new float[outChannels];
        for (var o = 0; o < outChannels; o++)
        {
            var scale = gamma[o] / MathF.Sqrt(variance[o] + 1e-5f);
            for (var i = 0; i < perChannel; i++) w[o * perChannel + i] *= scale;
            bias[o] = beta[o] - mean[o] * scale;
        }
        var shape = conv.weight!.shape;
        return g.Conv(x, g.Initializer(Name("w"), w, shape), g.Initializer(Name("b"), bias, [outChannels]), stride, padding, group: groups);
    }

    protected static string Linear(OnnxGraphBuilder g, string x, Linear fc) =>
        g.Gemm(x, g.Initializer(Name("w"), fc.weight!.detach().cpu().data<float>().ToArray(), fc.weight!.shape),
            g.Initializer(Name("b"), fc.bias!.detach().cpu().data<float>().ToArray(), fc.bias!.shape), transB: true);

    private static int _initializers;
    private static string Name(string prefix) => $"{prefix}{Interlocked.Increment(ref _initializers)}";
}

/// <summary>The classic two-convolution CNN: 3×3 conv 32, 3×3 conv 64 stride 2, 2×2 average pool, FC 128, FC 10 (BN + ReLU after each conv).</summary>
public sealed class PlainCnn : Baseline
{
    private readonly Conv2d conv1 = nn.Conv2d(1, 32, 3, padding: 1, bias: false), conv2 = nn.Conv2d(32, 64, 3, stride: 2, padding: 1, bias: false);
    private readonly BatchNorm2d bn1 = nn.BatchNorm2d(32), bn2 = nn.BatchNorm2d(64);
    private readonly Linear fc1 = nn.Linear(64 * 7 * 7, 128), fc2 = nn.Linear(128, 10);

    public PlainCnn() : base("cnn2") => RegisterComponents();

    public override string Description => "plain CNN: conv3x3-32, conv3x3-64/2, avgpool2, fc128, fc10";
    public override double MacsM => (28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 3136 * 128 + 128 * 10) / 1e6;

    public override Tensor forward(Tensor x)
    {
        // Channels-last after the first layer, as the supernet and its static subnets run (far faster on CPUs).
        x = Supernet.Blocks.ChannelsLast(nn.functional.relu(bn1.forward(conv1.forward(x))));
        x = nn.functional.relu(bn2.forward(conv2.forward(x)));
        x = nn.functional.avg_pool2d(x, 2).flatten(1);
        return fc2.forward(nn.functional.relu(fc1.forward(x)));
    }

    protected override string Emit(OnnxGraphBuilder g, string x)
    {
        x = g.Relu(ConvBn(g, x, conv1, bn1, 1, 1));
        x = g.Relu(ConvBn(g, x, conv2, bn2, 2, 1));
        x = g.Flatten(g.AveragePool(x, 2, 2));
        return Linear(g, g.Relu(Linear(g, x, fc1)), fc2);
    }
}

/// <summary>
/// A small MobileNetV2: 3×3 stem 16, inverted residual blocks (expansion 4, 3×3 depthwise; residual when the shape
/// stays) 16 → 24/2 → 24 → 40/2 → 40 → 64/2, 1×1 conv 128, global average pool, FC 10; ReLU activations.
/// </summary>
public sealed class SmallMobileNetV2 : Baseline
{
    private sealed record Block(Conv2d Expand, BatchNorm2d Bn1, Conv2d Depthwise, BatchNorm2d Bn2, Conv2d Project, BatchNorm2d Bn3, int Stride, bool Residual, int Side);

    private readonly Conv2d stem = nn.Conv2d(1, 16, 3, padding: 1, bias: false);
    private readonly BatchNorm2d stemBn = nn.BatchNorm2d(16);
    private readonly ModuleList<nn.Module> blockModules = new();
    private readonly Conv2d last = nn.Conv2d(64, 128, 1, bias: false);
    private readonly BatchNorm2d lastBn = nn.BatchNorm2d(128);
    private readonly Linear classifier = nn.Linear(128, 10);
    private readonly List<Block> _blocks = [];
    private readonly double _macs;

    public SmallMobileNetV2() : base("mbv2")
    {
        var side = 28;
        double macs = side * side * 16 * 9;
        var channels = 16;
        foreach (var (output, stride) in new[] { (24, 2), (24, 1), (40, 2), (40, 1), (64, 2) })
        {
            var hidden = channels * 4;
            var outSide = (side + stride - 1) / stride;
            var b = new Block(nn.Conv2d(channels, hidden, 1, bias: false), nn.BatchNorm2d(hidden),
                nn.Conv2d(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden, bias: false), nn.BatchNorm2d(hidden),
                nn.Conv2d(hidden, output, 1, bias: false), nn.BatchNorm2d(output), stride, stride == 1 && channels == output, outSide);
            macs += side * side * channels * hidden + outSide * outSide * hidden * 9 + outSide * outSide * hidden * output;
            _blocks.Add(b);
            foreach (var m in new nn.Module[] { b.Expand, b.Bn1, b.Depthwise, b.Bn2, b.Project, b.Bn3 }) blockModules.Add(m);
            (channels, side) = (output, outSide);
        }
        _macs = macs + side * side * 64 * 128 + 128 * 10;
        RegisterComponents();
    }

    public override string Description => "small MobileNetV2: stem 16, IR(t4) 24/2, 24, 40/2, 40, 64/2, conv1x1 128, GAP, fc10";
    public override double MacsM => _macs / 1e6;

    public override Tensor forward(Tensor x)
    {
        x = Supernet.Blocks.ChannelsLast(nn.functional.relu(stemBn.forward(stem.forward(x))));
        foreach (var b in _blocks)
        {
            var h = nn.functional.relu(b.Bn1.forward(b.Expand.forward(x)));
            h = nn.functional.relu(b.Bn2.forward(b.Depthwise.forward(h)));
            h = b.Bn3.forward(b.Project.forward(h));
            x = b.Residual ? h.add(x, ElasticVit.Nn.ScalarOps.One) : h;
        }
        x = nn.functional.relu(lastBn.forward(last.forward(x)));
        return classifier.forward(x.mean([2, 3]));
    }

    protected override string Emit(OnnxGraphBuilder g, string x)
    {
        x = g.Relu(ConvBn(g, x, stem, stemBn, 1, 1));
        foreach (var b in _blocks)
        {
            var h = g.Relu(ConvBn(g, x, b.Expand, b.Bn1, 1, 0));
            h = g.Relu(ConvBn(g, h, b.Depthwise, b.Bn2, b.Stride, 1, groups: (int)b.Depthwise.weight!.shape[0]));
            h = ConvBn(g, h, b.Project, b.Bn3, 1, 0);
            x = b.Residual ? g.Add(h, x) : h;
        }
        x = g.Relu(ConvBn(g, x, last, lastBn, 1, 0));
        return Linear(g, g.Flatten(g.GlobalAveragePool(x)), classifier);
    }
}
