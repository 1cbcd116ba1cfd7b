using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Export;

/// <summary>Runs an in-memory ONNX model in ONNX Runtime on float32 TorchSharp tensors.</summary>
internal sealed class OnnxTestSession(byte[] model) : IDisposable
{
    private readonly InferenceSession _session = new(model);

    public InferenceSession Session => _session;

    /// <summary>Runs the model and returns its outputs in declaration order.</summary>
    public Tensor[] Run(params (string Name, Tensor Value)[] inputs)
    {
        var values = inputs
            .Select(i => OrtValue.CreateTensorValueFromMemory(i.Value.contiguous().data<float>().ToArray(), i.Value.shape))
            .ToList();
        try
        {
            using var options = new RunOptions();
            using var outputs = _session.Run(options, inputs.Select(i => i.Name).ToArray(), values, _session.OutputNames);
            return outputs
                .Select(o => torch.tensor(o.GetTensorDataAsSpan<float>().ToArray(), o.GetTensorTypeAndShape().Shape))
                .ToArray();
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    public Tensor RunSingle(params (string Name, Tensor Value)[] inputs) => Run(inputs).Single();

    public void Dispose() => _session.Dispose();
}
