using ElasticVit.Data;

namespace ElasticVit.Tests.Data;

public sealed class NormalizationTests
{
    [Fact]
    public void Compute_GivesPerChannelMeanAndPopulationStd_OfPixelsOver255()
    {
        // Two 2-channel 1x2 images. Channel 0: 0, 255, 255, 255; channel 1 constant 51.
        var images = new LabeledImages([0, 255, 51, 51, 255, 255, 51, 51], [0, 0], ["x"], channels: 2, height: 1, width: 2);

        var norm = Normalization.Compute(images);

        Assert.Equal(0.75f, norm.Mean[0], 6);
        Assert.Equal((float)Math.Sqrt(0.75 * 0.25), norm.Std[0], 6);
        Assert.Equal(0.2f, norm.Mean[1], 6);
        Assert.Equal(1f, norm.Std[1]); // constant channel: centred, not divided by zero
    }
}
