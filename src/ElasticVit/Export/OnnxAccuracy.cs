using ElasticVit.Data;

namespace ElasticVit.Export;

/// <summary>Top-1 accuracy of an exported model in ONNX Runtime on raw dataset images (bytes / 255, as deployed).</summary>
public static class OnnxAccuracy
{
    public static double Measure(OnnxClassifier model, LabeledImages images, int batchSize = 500)
    {
        if (images.Channels != model.Channels || images.Height != model.Height || images.Width != model.Width)
            throw new OnnxException($"{model.Source}: expects {model.Channels}x{model.Height}x{model.Width} images, the dataset has {images.Channels}x{images.Height}x{images.Width}");
        long correct = 0;
        for (var start = 0; start < images.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, images.Count - start);
            var pixels = images.Pixels.AsSpan(start * images.ImageSize, n * images.ImageSize);
            var batch = new float[pixels.Length];
            for (var i = 0; i < batch.Length; i++) batch[i] = pixels[i] / 255f;
            var logits = model.Logits(batch);
            for (var i = 0; i < n; i++)
                if (ArgMax(logits[i]) == images.Labels[start + i]) correct++;
        }
        return (double)correct / images.Count;
    }

    private static int ArgMax(float[] v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
