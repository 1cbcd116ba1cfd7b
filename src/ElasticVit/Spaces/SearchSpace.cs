using ElasticVit.IO;
namespace ElasticVit.Spaces;

public enum StageKind { MbConv, Transformer }

/// <summary>Choices of the stem conv and of the stage-0 layers (expansion 1, no SE) behind it.</summary>
public sealed record StemSpace(IReadOnlyList<int> Widths, int MinDepth, int MaxDepth, IReadOnlyList<int> Kernels, int Stride);

/// <summary>Choices of one stage. MBConv stages use expansions/kernels; transformer stages use MLP ratios/V scales.</summary>
public sealed record StageSpace(
    string Name,
    StageKind Kind,
    int Stride,
    bool Se,
    IReadOnlyList<int> Widths,
    int MinDepth,
    int MaxDepth,
    IReadOnlyList<int> Expansions,
    IReadOnlyList<int> Kernels,
    IReadOnlyList<int> MlpRatios,
    IReadOnlyList<int> VScales)
{
    public int MaxWidth => Widths[^1];
    public int MinWidth => Widths[0];
}

/// <summary>One FLOPs level of complexity-aware sampling with the min subnet that anchors it.</summary>
public sealed record FlopsLevel(double FlopsM, Subnet MinSubnet);

/// <summary>Input expected by the models of a space: the dataset's native images and the normalisation.</summary>
public sealed record InputSpec(int Channels, int NativeSize);

/// <summary>A hybrid CNN + ViT search space, loaded from JSON (see <see cref="SpaceLoader"/>).</summary>
public sealed class SearchSpace
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required InputSpec Input { get; init; }
    public required int Classes { get; init; }
    public required int HeadDim { get; init; }
    public required int ClassifierMul { get; init; }
    public required int ClassifierHidden { get; init; }
    public required IReadOnlyList<int> Resolutions { get; init; }
    public required StemSpace Stem { get; init; }
    public required IReadOnlyList<StageSpace> Stages { get; init; }
    public required double FlopsBoundM { get; init; }
    public required IReadOnlyList<FlopsLevel> Levels { get; init; }
    public required IReadOnlyDictionary<string, Subnet> NamedModels { get; init; }

    /// <summary>The JSON this space was parsed from (empty if built in code); deployed checkpoints embed it.</summary>
    public string SourceJson { get; init; } = "";

    public int MaxResolution => Resolutions[^1];

    /// <summary>The largest subnet: every dimension at its maximum.</summary>
    public Subnet MaxSubnet => new(
        Resolutions[^1],
        new StemConfig(Stem.Widths[^1], Stem.MaxDepth, Stem.Kernels[^1]),
        Stages.Select(s => s.Kind == StageKind.MbConv
            ? StageConfig.MbConv(s.Name, s.Widths[^1], s.MaxDepth, s.Expansions[^1], s.Kernels[^1])
            : StageConfig.Transformer(s.Name, s.Widths[^1], s.MaxDepth, s.MlpRatios[^1], s.VScales[^1], HeadDim)).ToArray());

    /// <summary>The smallest subnet: every dimension at its minimum.</summary>
    public Subnet MinSubnet => new(
        Resolutions[0],
        new StemConfig(Stem.Widths[0], Stem.MinDepth, Stem.Kernels[0]),
        Stages.Select(s => s.Kind == StageKind.MbConv
            ? StageConfig.MbConv(s.Name, s.Widths[0], s.MinDepth, s.Expansions[0], s.Kernels[0])
            : StageConfig.Transformer(s.Name, s.Widths[0], s.MinDepth, s.MlpRatios[0], s.VScales[0], HeadDim)).ToArray());

    /// <summary>Why images of <paramref name="channels"/> channels labelled with <paramref name="classes"/> classes cannot train this space's models, or null when they can.</summary>
    public string? DataMismatch(int channels, int classes) => channels == Input.Channels && classes == Classes ? null
        : $"space {Name} expects {Input.Channels} channels and {Classes} classes, the data has {channels} and {classes}";

    public int MaxHeads(int stage) => Stages[stage].MaxWidth / HeadDim;

    /// <summary>Side of the square feature map after the stem for a given input resolution.</summary>
    public int StemOutSize(int resolution) => CeilDiv(resolution, Stem.Stride);

    /// <summary>Output side of every stage for a resolution (strided stages halve with ceil).</summary>
    public int[] StageOutSizes(int resolution)
    {
        var sizes = new int[Stages.Count];
        var h = StemOutSize(resolution);
        for (var i = 0; i < Stages.Count; i++)
        {
            h = CeilDiv(h, Stages[i].Stride);
            sizes[i] = h;
        }
        return sizes;
    }

    /// <summary>
    /// Resolves a subnet given as a named (released) model, a key string or a path to a subnet JSON file;
    /// fails with <see cref="SpaceException"/>.
    /// </summary>
    public Subnet Resolve(string arch)
    {
        if (NamedModels.TryGetValue(arch, out var named)) return named;
        if (arch.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(arch))
        {
            if (!File.Exists(arch)) throw new SpaceException($"subnet file '{arch}' does not exist");
            return SubnetJson.Parse(InputFile.ReadText(arch, SubnetJson.MaxFileBytes, m => new SpaceException(m)), this, arch);
        }
        if (!arch.Contains('-'))
            throw new SpaceException($"unknown model '{arch}' in {Name} (named models: {string.Join(", ", NamedModels.Keys)}; or give a key or a JSON file)");
        return Subnet.Parse(arch, this);
    }

    /// <summary>Throws <see cref="SpaceException"/> naming the first field of <paramref name="subnet"/> outside this space.</summary>
    public void Validate(Subnet subnet) => SubnetValidator.Validate(this, subnet);

    public bool IsValid(Subnet subnet)
    {
        try { Validate(subnet); return true; }
        catch (SpaceException) { return false; }
    }

    internal static int CeilDiv(int a, int b) => (a + b - 1) / b;
}

/// <summary>Any invalid space file, subnet key or subnet config. The message is one line meant for users.</summary>
public sealed class SpaceException(string message) : UserError(message);
