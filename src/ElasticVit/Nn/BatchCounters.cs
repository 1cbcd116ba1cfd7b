using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Nn;

/// <summary>
/// TorchSharp's <see cref="BatchNorm"/> counts its batches in training mode with <c>num_batches_tracked.add_(1)</c>,
/// whose implicit Scalar only the finalizer frees — possibly while libtorch still reads it ("Unknown scalar type",
/// docs/native-ownership.md). The count is read only when the momentum is unset; a network trained with TorchSharp's
/// BatchNorm modules drops the counters first. (The supernet's own BatchNorm is functional and has none.)
/// </summary>
public static class BatchCounters
{
    /// <summary>Removes every BatchNorm's batch counter from <paramref name="module"/> (and its state dict).</summary>
    public static void Drop(nn.Module module)
    {
        foreach (var bn in module.modules().OfType<BatchNorm>())
        {
            if (bn.momentum is null or 0) throw new InvalidOperationException("a BatchNorm without momentum averages by its batch count, which this would remove");
            bn.num_batches_tracked = null;
        }
    }
}
