namespace ElasticVit.Export;

/// <summary>
/// How a subnet is written to ONNX. The default graph (opset 17) takes any batch size. A <see cref="Portable"/> graph is
/// for runtimes whose ONNX importers know fewer operators and need static shapes, such as OpenCV's DNN module: opset 13,
/// one image per run, the input resize to constant sizes, and LayerNormalization and HardSwish spelled out in primitive
/// operators. Both compute the same function.
/// </summary>
public sealed record OnnxExportOptions
{
    public static readonly OnnxExportOptions Default = new();
    public static readonly OnnxExportOptions PortableGraph = new() { Portable = true };

    /// <summary>The lowest opset whose Resize takes its target sizes alone (no scales input); LayerNormalization needs 17.</summary>
    public const long PortableOpset = 13;

    /// <summary>
    /// The fixed batch of a portable graph: OpenCV 4.6 (Debian 12) runs the portable graph for one image but fails on the
    /// token reshapes for a larger fixed batch.
    /// </summary>
    public const int PortableBatch = 1;

    public bool Portable { get; init; }

    public long Opset => Portable ? PortableOpset : OnnxGraphBuilder.DefaultOpset;

    /// <summary>The input's fixed batch (<see cref="PortableBatch"/> in a portable graph), or null for a symbolic one.</summary>
    public int? FixedBatch => Portable ? PortableBatch : null;
}
