using ElasticVit.Nn;
using ElasticVit.Training;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Training;

public class LossTests
{
    [Fact]
    public void AlphaDivergence_IsZeroWhenStudentMatchesTarget_AndPositiveOtherwise()
    {
        var logits = tensor(new float[] { 1, 2, 3, 0.5f, -1, 2 }).view(2, 3);
        Assert.True(Losses.AdaptiveAlphaDivergence(logits, logits.softmax(-1)).item<float>() < 1e-6);
        var other = tensor(new float[] { 3, 0, -1, 2, 2, 2 }).view(2, 3).softmax(-1);
        Assert.True(Losses.AdaptiveAlphaDivergence(logits, other).item<float>() > 0.05);
    }

    [Fact]
    public void AlphaDivergence_TakesTheLargerOfKlAndReverseDivergence()
    {
        var logits = tensor(new double[] { 2, 0, -2 }).view(1, 3);
        var p = tensor(new double[] { 0.2, 0.3, 0.5 }).view(1, 3);
        var q = logits.softmax(-1);
        var kl = (p * (p.log() - q.log())).sum().item<double>();
        var reverse = 0.5 * (q * (q / p).ClampMax(5).sub(ScalarOps.One)).sum().item<double>();
        Assert.Equal(Math.Max(kl, reverse), Losses.AdaptiveAlphaDivergence(logits, p).item<double>(), 9);
    }

    [Fact]
    public void CosineSchedule_WarmsUpThenDecaysToTheFloor()
    {
        var s = new CosineSchedule(1e-3, 100, 10);
        Assert.Equal(1e-6, s.At(0), 12);
        Assert.Equal(1e-3, s.At(10), 12);
        Assert.True(s.At(50) < s.At(20));
        Assert.Equal(5e-6, s.At(100), 12);
    }
}
