namespace ElasticVit.Export;

/// <summary>A convolution's weight and bias after an eval-mode BatchNorm was folded into it.</summary>
public sealed record FoldedConv(float[] Weight, float[] Bias);

/// <summary>
/// Folds eval-mode BatchNorm (y = γ·(x − μ)/√(σ² + ε) + β) into the convolution before it:
/// W' = W·s and b' = (b − μ)·s + β per output channel, with s = γ/√(σ² + ε). Computed in double.
/// </summary>
public static class BatchNormFolding
{
    /// <param name="convWeight">Conv weight, flattened [out, in/group, kH, kW] (output channel outermost).</param>
    /// <param name="convBias">Conv bias [out], or null for a bias-free conv.</param>
    public static FoldedConv FoldIntoConv(
        float[] convWeight, float[]? convBias,
        float[] gamma, float[] beta, float[] runningMean, float[] runningVar, double eps)
    {
        int channels = gamma.Length;
        if (channels == 0) throw new ArgumentException("BatchNorm has no channels", nameof(gamma));
        if (beta.Length != channels || runningMean.Length != channels || runningVar.Length != channels)
            throw new ArgumentException($"BatchNorm parameters disagree on the channel count ({channels}, {beta.Length}, {runningMean.Length}, {runningVar.Length})");
        if (convWeight.Length % channels != 0)
            throw new ArgumentException($"conv weight of {convWeight.Length} elements does not split into {channels} output channels", nameof(convWeight));
        if (convBias is not null && convBias.Length != channels)
            throw new ArgumentException($"conv bias has {convBias.Length} elements, BatchNorm {channels}", nameof(convBias));

        int perChannel = convWeight.Length / channels;
        var weight = new float[convWeight.Length];
        var bias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double scale = gamma[c] / Math.Sqrt(runningVar[c] + eps);
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++)
                weight[i] = (float)(convWeight[i] * scale);
            bias[c] = (float)(((convBias?[c] ?? 0.0) - runningMean[c]) * scale + beta[c]);
        }
        return new FoldedConv(weight, bias);
    }
}
