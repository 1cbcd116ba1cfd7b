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
        return t.normal_(0, std).clamp_(-2 * std, 2 * std);
    }
}
