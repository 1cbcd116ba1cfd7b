using TorchSharp;
using Xunit.Sdk;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Export;

/// <summary>Seeded random float32 tensors and a max-abs-difference assertion.</summary>
internal static class TorchTestTensors
{
    /// <summary>Standard-normal values times <paramref name="scale"/>, from <paramref name="rng"/> (no global torch seed).</summary>
    public static Tensor Randn(Random rng, float scale, params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[count];
        for (long i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            data[i] = scale * (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        return torch.tensor(data, shape);
    }

    /// <summary>Uniform values in [low, high).</summary>
    public static Tensor Uniform(Random rng, float low, float high, params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = low + (high - low) * (float)rng.NextDouble();
        return torch.tensor(data, shape);
    }

    public static float[] ToArray(Tensor tensor) => tensor.contiguous().data<float>().ToArray();

    public static long[] Dims(Tensor tensor) => tensor.shape;

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.shape, actual.shape);
        double maxDiff = (expected - actual).abs().max().item<float>();
        if (!(maxDiff <= tolerance))
            throw new XunitException($"max |expected - actual| = {maxDiff:E3} exceeds {tolerance:E1}");
    }
}
