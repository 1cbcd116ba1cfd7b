using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Latency;

public class LayerKeysTests
{
    [Fact]
    public void LayerFileName_ReplacesColonsAndRoundTripsForEveryRequiredKey()
    {
        Assert.Equal("mbconv_c16-24_e3_k3_s2_i28_se0.onnx", LayerKeys.LayerFileName("mbconv:c16-24:e3:k3:s2:i28:se0"));
        foreach (var name in new[] { "elasticvit-fmnist", "elasticvit-imagenet" })
        foreach (var key in LatencyTable.RequiredKeys(SpaceLoader.Load(name)))
        {
            var file = LayerKeys.LayerFileName(key);
            Assert.True(file.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && !file.Contains(':'), file);
            Assert.Equal(key, LayerKeys.KeyOfFileName(file));
            Assert.Equal(key, LayerKeys.KeyOfFileName(Path.Combine("exports", "layers", LayerKeys.LayerFileName(key, ".tflite"))));
        }
    }

    [Theory]
    [InlineData("model.onnx")]
    [InlineData("mbconv_c16-24_e3.k3.onnx")]
    [InlineData("conv_c16_k3.onnx")]
    [InlineData("stem_c1-8.onnx")]
    [InlineData("mbconv_c16-24_e3_k3_s2_i28_se2.onnx")]
    public void KeyOfFileName_RejectsNamesThatAreNoLayerKeys(string file) =>
        Assert.Contains("is not a layer file name", Assert.Throws<LatencyException>(() => LayerKeys.KeyOfFileName(file)).Message);
}
