using System.Globalization;
using System.Text;

namespace ElasticVit.Spaces;

public sealed record StemConfig(int Width, int Depth, int Kernel);

/// <summary>
/// One stage of a subnet. MBConv stages use <see cref="Expansion"/> and <see cref="Kernel"/>;
/// transformer stages use <see cref="MlpRatio"/>, <see cref="VScale"/> and <see cref="Heads"/> (0 where unused).
/// </summary>
public sealed record StageConfig(string Name, StageKind Kind, int Width, int Depth, int Expansion, int Kernel, int MlpRatio, int VScale, int Heads)
{
    public static StageConfig MbConv(string name, int width, int depth, int expansion, int kernel) =>
        new(name, StageKind.MbConv, width, depth, expansion, kernel, 0, 0, 0);

    public static StageConfig Transformer(string name, int width, int depth, int mlpRatio, int vScale, int headDim = 16) =>
        new(name, StageKind.Transformer, width, depth, 0, 0, mlpRatio, vScale, width / headDim);

    internal string KeyPart => Kind == StageKind.MbConv
        ? $"{Name}:{Width}x{Depth}e{Expansion}k{Kernel}"
        : $"{Name}:{Width}x{Depth}m{MlpRatio}v{VScale}";
}

/// <summary>
/// One point of a search space, stage-wise: resolution, stem, and one entry per stage.
/// Immutable; equality and hashing follow the canonical <see cref="Key"/>.
/// </summary>
public sealed class Subnet : IEquatable<Subnet>
{
    public int Resolution { get; }
    public StemConfig Stem { get; }
    public IReadOnlyList<StageConfig> Stages { get; }

    /// <summary>Canonical compact key, e.g. <c>r192-s16x1k3-C1:24x3e3k3-…-T4:272x2m4v2</c>.</summary>
    public string Key { get; }

    public Subnet(int resolution, StemConfig stem, IReadOnlyList<StageConfig> stages)
    {
        Resolution = resolution;
        Stem = stem;
        Stages = stages.ToArray();
        var key = new StringBuilder();
        key.Append(CultureInfo.InvariantCulture, $"r{resolution}-s{stem.Width}x{stem.Depth}k{stem.Kernel}");
        foreach (var s in Stages) key.Append('-').Append(s.KeyPart);
        Key = key.ToString();
    }

    public Subnet WithResolution(int resolution) => new(resolution, Stem, Stages);

    public bool Equals(Subnet? other) => other is not null && other.Key == Key;
    public override bool Equals(object? obj) => obj is Subnet s && Equals(s);
    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Key;
    public static bool operator ==(Subnet? a, Subnet? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Subnet? a, Subnet? b) => !(a == b);

    /// <summary>Parses a key and validates it against <paramref name="space"/>.</summary>
    public static Subnet Parse(string key, SearchSpace space)
    {
        var subnet = SubnetKey.Parse(key, space);
        space.Validate(subnet);
        return subnet;
    }

    /// <summary>True when every dimension of this subnet is ≥ the same dimension of <paramref name="floor"/>.</summary>
    public bool Dominates(Subnet floor)
    {
        if (Resolution < floor.Resolution || Stem.Width < floor.Stem.Width || Stem.Depth < floor.Stem.Depth || Stem.Kernel < floor.Stem.Kernel)
            return false;
        for (var i = 0; i < Stages.Count; i++)
        {
            var (a, b) = (Stages[i], floor.Stages[i]);
            if (a.Width < b.Width || a.Depth < b.Depth || a.Expansion < b.Expansion || a.Kernel < b.Kernel
                || a.MlpRatio < b.MlpRatio || a.VScale < b.VScale)
                return false;
        }
        return true;
    }
}
