namespace ElasticVit.Export;

/// <summary>A node attribute (ONNX <c>AttributeProto</c>); create one with the static factories.</summary>
public abstract record OnnxAttribute(string Name)
{
    public static OnnxAttribute Int(string name, long value) => new OnnxIntAttribute(name, value);

    public static OnnxAttribute Float(string name, float value) => new OnnxFloatAttribute(name, value);

    public static OnnxAttribute String(string name, string value) => new OnnxStringAttribute(name, value);

    public static OnnxAttribute Ints(string name, params long[] values) => new OnnxIntsAttribute(name, values);

    public static OnnxAttribute Floats(string name, params float[] values) => new OnnxFloatsAttribute(name, values);

    public static OnnxAttribute Tensor(string name, OnnxTensor value) => new OnnxTensorAttribute(name, value);
}

public sealed record OnnxIntAttribute(string Name, long Value) : OnnxAttribute(Name);

public sealed record OnnxFloatAttribute(string Name, float Value) : OnnxAttribute(Name);

public sealed record OnnxStringAttribute(string Name, string Value) : OnnxAttribute(Name);

public sealed record OnnxIntsAttribute(string Name, IReadOnlyList<long> Values) : OnnxAttribute(Name);

public sealed record OnnxFloatsAttribute(string Name, IReadOnlyList<float> Values) : OnnxAttribute(Name);

public sealed record OnnxTensorAttribute(string Name, OnnxTensor Value) : OnnxAttribute(Name);
