using ElasticVit.Export;

namespace ElasticVit.Tests.Export;

public sealed class BatchNormFoldingTests
{
    [Fact]
    public void FoldIntoConv_ScalesEachOutputChannel_AndShiftsTheBias()
    {
        // Two output channels of two weights each; s = γ / √(σ² + ε) = [1/2, 2].
        var folded = BatchNormFolding.FoldIntoConv(
            convWeight: [2f, 4f, 3f, -1f], convBias: null,
            gamma: [1f, 2f], beta: [0.5f, 0f], runningMean: [1f, -1f], runningVar: [3f, 0f], eps: 1.0);

        Assert.Equal([1f, 2f, 6f, -2f], folded.Weight);
        Assert.Equal([0f, 2f], folded.Bias);  // (0 − 1)·½ + ½, (0 + 1)·2 + 0
    }

    [Fact]
    public void FoldIntoConv_KeepsTheConvBias()
    {
        var folded = BatchNormFolding.FoldIntoConv([1f], [3f], [1f], [0f], [1f], [0f], eps: 0.25);
        Assert.Equal([2f], folded.Weight);
        Assert.Equal([4f], folded.Bias);  // (3 − 1)·2
    }

    [Fact]
    public void FoldIntoConv_WithMismatchedChannelCounts_Throws() =>
        Assert.Throws<ArgumentException>(() =>
            BatchNormFolding.FoldIntoConv(new float[6], null, new float[4], new float[4], new float[4], new float[4], 1e-5));
}
