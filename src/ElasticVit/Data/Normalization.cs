namespace ElasticVit.Data;

/// <summary>
/// Per-channel normalisation of pixels scaled to [0, 1]: x = (p / 255 - Mean[c]) / Std[c].
/// Computed once from the training split and stored so exported models can embed it.
/// </summary>
public sealed record Normalization(IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    public int Channels => Mean.Count;

    /// <summary>Mean and (population) standard deviation of each channel over all images.</summary>
    public static Normalization Compute(LabeledImages images)
    {
        int c = images.Channels, plane = images.Height * images.Width;
        var sum = new long[c];
        var sumSquares = new long[c];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images.Image(i);
            for (int ch = 0; ch < c; ch++)
            {
                foreach (byte p in image.Slice(ch * plane, plane))
                {
                    sum[ch] += p;
                    sumSquares[ch] += p * p;
                }
            }
        }
        double n = (double)images.Count * plane;
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = sum[ch] / n, variance = Math.Max(0, sumSquares[ch] / n - m * m);
            mean[ch] = (float)(m / 255);
            double s = Math.Sqrt(variance) / 255;
            std[ch] = s > 1e-6 ? (float)s : 1f; // a constant channel is only centred
        }
        return new(mean, std);
    }

    /// <summary>Scaling to [0, 1] only.</summary>
    public static Normalization None(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());
}
