using ElasticVit.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Supernet;

/// <summary>
/// One transformer layer's weights as plain tensors: a static layer's own, or an elastic layer's active slices. V rows
/// and projection columns are head-major (h·vd + d); <see cref="PositionBias"/> is the relative-position bias [H, N, N].
/// </summary>
public sealed record TransformerWeights(
    Tensor Ln1Weight, Tensor Ln1Bias, Tensor Q, Tensor K, Tensor V, Tensor VDepthwise, Tensor Proj, Tensor ProjBias, Tensor PositionBias,
    Tensor Ln2Weight, Tensor Ln2Bias, Tensor Fc1, Tensor Fc1Bias, Tensor Fc2, Tensor Fc2Bias);

/// <summary>
/// The transformer layer's function (METHOD.md §2), the one definition the elastic and the static layer both run: pre-norm
/// attention with separate Q/K/V, a depthwise 3×3 conv on V's token map, a relative-position bias and a Hardswish on the
/// attention output, then a pre-norm Hardswish MLP; both branches residual.
/// </summary>
public static class TransformerMath
{
    public static Tensor Forward(Tensor x, TransformerWeights w, int heads, int headDim, int grid)
    {
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var vd = w.V.shape[0] / heads;
        var h = nn.functional.layer_norm(x, [c], w.Ln1Weight, w.Ln1Bias, ElasticLayerNorm.Eps);
        var qh = nn.functional.linear(h, w.Q).view(b, n, heads, headDim).transpose(1, 2);      // [B, H, N, hd]
        var kh = nn.functional.linear(h, w.K).view(b, n, heads, headDim).transpose(1, 2);      // [B, H, N, hd]
        // V as tokens [B, N, H·vd] is the channels-last layout of its [B, H·vd, R, R] map: the depthwise conv reads it as is.
        var vmap = nn.functional.linear(h, w.V).view(b, grid, grid, heads * vd).permute(0, 3, 1, 2);
        vmap = nn.functional.conv2d(vmap, w.VDepthwise, padding: [1, 1], groups: heads * vd);
        var vh = vmap.permute(0, 2, 3, 1).reshape(b, n, heads, vd).transpose(1, 2);             // [B, H, N, vd]
        var attn = qh.matmul(kh.transpose(-2, -1)).Times(1.0 / Math.Sqrt(headDim)).Plus(w.PositionBias).softmax(-1);
        var o = nn.functional.hardswish(attn.matmul(vh)).transpose(1, 2).reshape(b, n, heads * vd);
        x = x.Plus(nn.functional.linear(o, w.Proj, w.ProjBias));
        var mlp = nn.functional.hardswish(nn.functional.linear(nn.functional.layer_norm(x, [c], w.Ln2Weight, w.Ln2Bias, ElasticLayerNorm.Eps), w.Fc1, w.Fc1Bias));
        return x.Plus(nn.functional.linear(mlp, w.Fc2, w.Fc2Bias));
    }
}
