using ElasticVit.Spaces;
using ElasticVit.Supernet;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>
/// Measures gradient conflict: the cosine similarity between the full-supernet gradients of different subnets on the
/// same batch (same loss: label-smoothed cross-entropy). Leaves the gradients zeroed.
/// </summary>
public static class GradientProbe
{
    public static double[] Gradient(ElasticSupernet net, Subnet subnet, Tensor x, Tensor y)
    {
        net.zero_grad();
        net.SetActive(subnet);
        using (var scope = NewDisposeScope()) Losses.LabelSmoothedCrossEntropy(net.forward(x), y).backward();
        using var _ = no_grad();
        var parts = net.parameters().Select(p => p.grad is null ? zeros(p.numel()) : p.grad.flatten().cpu().to(float32)).ToArray();
        var flat = cat(parts).data<float>().ToArray();
        foreach (var part in parts) part.Dispose();
        net.zero_grad();
        return Array.ConvertAll(flat, v => (double)v);
    }

    public static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
