using ElasticVit.Data;
using ElasticVit.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>Top-1 accuracy of a static model in TorchSharp (eval mode, normalised images).</summary>
public static class StaticAccuracy
{
    public static double Measure(nn.Module<Tensor, Tensor> model, LabeledImages images, Normalization normalization, int batchSize = 500)
    {
        model.eval();
        long correct = 0;
        var device = model.parameters().First().device;
        using var _ = no_grad();
        foreach (var batch in new BatchLoader(images, normalization, LoaderOptions.Evaluation(batchSize)).HostBatches(0))
        {
            using var scope = NewDisposeScope();
            var (x, y) = batch.ToTensors();
            correct += model.forward(x.to(device)).argmax(1).eq(y.to(device)).sum().item<long>();
        }
        return (double)correct / images.Count;
    }
}
