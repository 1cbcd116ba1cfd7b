using ElasticVit.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>Training losses of METHOD.md §4. Inputs are logits [B, K]; targets are labels [B] or probabilities [B, K].</summary>
public static class Losses
{
    public const double LabelSmoothing = 0.1;

    public static Tensor LabelSmoothedCrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits, labels, label_smoothing: LabelSmoothing);

    /// <summary>Cross-entropy against soft targets (teacher distillation): −Σ p·log q, averaged over the batch.</summary>
    public static Tensor SoftCrossEntropy(Tensor logits, Tensor targetProbs) =>
        -(targetProbs * logits.log_softmax(-1)).sum(-1).mean();

    /// <summary>
    /// Adaptive α-divergence (AlphaNet) of the student q from the target p, per sample the larger of D_α⁺ and D_α⁻,
    /// with α⁺ = 1 (KL(p‖q)) and α⁻ = −1 (½·Σ q·(q/p − 1), the ratio q/p clipped at <paramref name="ratioClip"/>).
    /// The target is treated as a constant.
    /// </summary>
    public static Tensor AdaptiveAlphaDivergence(Tensor studentLogits, Tensor targetProbs, double alphaMin = -1, double alphaMax = 1, double ratioClip = 5)
    {
        if (alphaMin != -1 || alphaMax != 1) throw new NotSupportedException("only α ∈ [−1, 1] is implemented");
        var p = targetProbs.detach().ClampMin(1e-8);
        var logQ = studentLogits.log_softmax(-1);
        var q = logQ.exp();
        var klPositive = (p * (p.log() - logQ)).sum(-1);                       // α = +1
        var ratio = (q / p).ClampMax(ratioClip);
        var negative = (q * (ratio - ScalarOps.One)).sum(-1).Times(0.5);                       // α = −1
        return maximum(klPositive, negative).mean();
    }
}
