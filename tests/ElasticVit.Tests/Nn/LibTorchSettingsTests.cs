using ElasticVit.Nn;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Nn;

/// <summary>
/// The process-wide libtorch settings: NNPACK off; fp32 convolutions agree with fp64 (which oneDNN does not run). With oneDNN's
/// AVX-512 kernels, AMD Zen 5 got 1×1 convolutions of channels-last maps into 72 or 80 channels wrong by 50–80 % of
/// their scale (session 23); capped at AVX2 they agree to 10⁻⁷.
/// </summary>
public class LibTorchSettingsTests
{
    [Fact]
    public void OneDnn_is_capped_at_avx2_unless_the_user_chose_otherwise()
    {
        var chosen = Environment.GetEnvironmentVariable("ELASTICVIT_TEST_USER_DNNL_ISA");   // set by a run that overrides the cap on purpose
        Assert.Equal(chosen ?? LibTorchSettings.OneDnnCap, LibTorchSettings.OneDnnIsa);
    }

    [Fact]
    public void NNPACK_is_off_so_libtorch_never_asks_for_it()
    {
        Assert.True(LibTorchSettings.NnpackOff, "libtorch's NNPACK switch was not found or not turned off");
    }

    [Theory]
    [InlineData(16, 80, 1, 2, 16)]   // the expansion of a searched winner whose export failed on Zen 5
    [InlineData(16, 80, 1, 64, 16)]  // the same at the training batch
    [InlineData(24, 72, 1, 2, 8)]
    [InlineData(16, 64, 1, 2, 16)]
    [InlineData(32, 160, 1, 2, 8)]
    [InlineData(80, 80, 5, 2, 8)]
    public void A_channels_last_convolution_in_fp32_matches_fp64(int inChannels, int outChannels, int kernel, int batch, int size)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(23);
        var weight = randn([outChannels, kernel == 5 ? 1 : inChannels, kernel, kernel], generator: generator);
        var x = Blocks.ChannelsLast(randn([batch, inChannels, size, size], generator: generator));
        var groups = kernel == 5 ? inChannels : 1;
        var fp32 = nn.functional.conv2d(x, weight, padding: [kernel / 2, kernel / 2], groups: groups).to(float64);
        var fp64 = nn.functional.conv2d(x.to(float64), weight.to(float64), padding: [kernel / 2, kernel / 2], groups: groups);
        var relative = ((fp32 - fp64).abs().max() / fp64.abs().max()).item<double>();
        Assert.True(relative < 1e-5, $"max |fp32 − fp64| is {relative:E2} of the output's scale");
    }
}
