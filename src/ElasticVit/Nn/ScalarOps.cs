using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Nn;

/// <summary>
/// Tensor arithmetic with numbers, written so that every <see cref="Scalar"/> it needs is owned: TorchSharp's own
/// shortcuts (<c>t * 0.5</c>, <c>a + b</c>, <c>square()</c>, <c>clamp_min(1e-6)</c>) make temporary Scalars that
/// only the finalizer frees — possibly while the native call reading them still runs (docs/native-ownership.md).
/// Here a Scalar is either a constant kept for the whole program or disposed after the call that used it.
/// </summary>
public static class ScalarOps
{
    /// <summary>1, for <c>add(other, alpha)</c>; never disposed.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary><c>a + b</c> without TorchSharp's temporary alpha of 1.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a + b</c> for a number b.</summary>
    public static Tensor Plus(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.add(s, One);
    }

    /// <summary><c>a · factor</c>.</summary>
    public static Tensor Times(this Tensor a, double factor)
    {
        using var s = factor.ToScalar();
        return a.mul(s);
    }

    /// <summary><c>a · a</c>, elementwise.</summary>
    public static Tensor Squared(this Tensor a) => a.mul(a);

    public static Tensor ClampMin(this Tensor a, double min)
    {
        using var s = min.ToScalar();
        return a.clamp_min(s);
    }

    public static Tensor ClampMax(this Tensor a, double max)
    {
        using var s = max.ToScalar();
        return a.clamp_max(s);
    }
}
