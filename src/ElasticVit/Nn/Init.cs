using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Nn;

public static class Init
{
    /// <summary>
    /// Normal(0, std) clipped to ±2·std. (TorchSharp 0.107's trunc_normal_ occasionally yields NaN on large tensors,
    /// so this is done by hand.)
    /// </summary>
    public static Tensor TruncNormal(Tensor t, double std)
    {
        using var _ = no_grad();
        using var min = (-2 * std).ToScalar();
        using var max = (2 * std).ToScalar();
        return t.normal_(0, std).clamp_(min, max);
    }
}
