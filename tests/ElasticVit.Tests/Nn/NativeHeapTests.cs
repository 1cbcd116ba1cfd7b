using ElasticVit.Nn;
using TorchSharp;
using Xunit;

namespace ElasticVit.Tests.Nn;

public class NativeHeapTests
{
    [Fact]
    public void LargeBlocksAreKeptInTheHeapOnceTheLibraryIsLoaded()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(NativeHeap.OptOutVariable) == "1") return;
        Assert.True(NativeHeap.KeepsLargeBlocks, "mallopt was refused: large activations would be mmapped afresh by every op");

        // A tensor above glibc's 32 MB mmap threshold is allocated, written and freed correctly through the heap.
        for (var round = 0; round < 3; round++)
        {
            using var value = (round + 1f).ToScalar();
            using var big = torch.full([10_000_000], value);
            Assert.Equal(10_000_000.0 * (round + 1), big.sum().item<float>(), 10_000.0);
        }
    }
}
