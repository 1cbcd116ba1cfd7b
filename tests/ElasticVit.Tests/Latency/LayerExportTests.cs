using ElasticVit.Export;
using ElasticVit.Latency;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Tests.Export;
using ElasticVit.Tests.Data;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Latency;

public class LayerExportTests
{
    [Fact]
    public void Export_layers_writes_loadable_onnx_files_with_the_layers_output_shapes_and_a_csv_template()
    {
        using var temp = new TempDir();
        var dir = temp.Path;
        var space = ProfilingTestData.Tiny;
        var (code, _, error) = ProfilingTestData.Cli("latency", "export-layers", "--space", ProfilingTestData.WriteTiny(dir),
            "--out", Path.Combine(dir, "layers"), "--resolutions", "24", "--models", "2");
        Assert.True(code == 0, error);
        var layers = LatencyTable.RequiredLayers(space, [24]);
        foreach (var layer in layers)
        {
            var file = Path.Combine(dir, "layers", LayerKeys.LayerFileName(layer.Key));
            using var session = new OnnxTestSession(File.ReadAllBytes(file));
            var output = session.RunSingle((OnnxLayerExporter.InputName, rand(StandaloneLayer.InputShape(space, layer))));
            Assert.Equal(StandaloneLayer.OutputShape(layer), output.shape);
        }
        var template = Path.Combine(dir, "layers", "latency-template.csv");
        var lines = File.ReadAllLines(template);
        Assert.Equal(layers.Count, lines.Count(l => l.EndsWith(".onnx,,,", StringComparison.Ordinal)));
        // Filled in, the template imports as a complete table with an overhead fitted on its two models.
        var filled = lines.Select(l => l.EndsWith(",,,", StringComparison.Ordinal) ? l.Replace(",,,", ",0.5,,") : l.EndsWith(',') ? l + "9" : l);
        File.WriteAllLines(template, filled);
        var lut = Path.Combine(dir, "phone.json");
        var import = ProfilingTestData.Cli("latency", "import", "--csv", template, "--device", "phone", "--out", lut, "--space", Path.Combine(dir, "latency-tiny.json"));
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("fitted on 2 models", import.Out);
        var table = LatencyTable.Load(lut);
        Assert.Equal("phone", table.Device.Name);
        Assert.Empty(table.MissingKeys(space, [24]));
    }

    [Fact]
    public void A_layer_export_computes_what_the_layer_computes_stem_preprocessing_included()
    {
        var space = LatencyTestData.Fmnist;
        using var _ = no_grad();
        foreach (var layer in LayerPlan.Of(space, space.NamedModels["mid"]).DistinctBy(l => l.Kind))
        {
            using var module = StandaloneLayer.Create(layer);
            module.eval();
            var x = rand(StandaloneLayer.InputShape(space, layer));
            var expected = StandaloneLayer.Forward(module, layer, x);
            using var session = new OnnxTestSession(OnnxLayerExporter.Export(space, layer, module));
            var actual = session.RunSingle((OnnxLayerExporter.InputName, x));
            Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-4), $"{layer.Key}: max diff {(expected - actual).abs().max().item<float>()}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Copies_of_a_layer_on_one_input_compute_the_sum_of_their_outputs(int copies)
    {
        var space = LatencyTestData.Fmnist;
        using var _ = no_grad();
        foreach (var layer in LayerPlan.Of(space, space.NamedModels["mid"]).DistinctBy(l => l.Kind))
        {
            var modules = Enumerable.Range(0, copies).Select(_ => StandaloneLayer.Create(layer)).ToArray();
            var onnx = OnnxLayerExporter.ExportCopies(space, layer, modules);
            var x = rand(StandaloneLayer.InputShape(space, layer));
            var outputs = modules.Select(m => { m.eval(); return StandaloneLayer.Forward(m, layer, x); }).ToArray();
            var expected = stack(copies == 1 ? [outputs[0], outputs[0]] : outputs).sum(dim: 0L);
            using var session = new OnnxTestSession(onnx);
            var actual = session.RunSingle((OnnxLayerExporter.InputName, x));
            Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-4), $"{layer.Key} ×{copies}: max diff {(expected - actual).abs().max().item<float>()}");
            foreach (var m in modules) m.Dispose();
        }
    }
}
