using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>Predicts the latency of a subnet on one device from its plain config (no tensors); cheap enough for search.</summary>
public interface ILatencyPredictor
{
    /// <summary>Device the prediction is for, e.g. "ort-cpu-1t" or "pixel4-tflite".</summary>
    string Device { get; }

    double PredictMs(Subnet subnet);
}
