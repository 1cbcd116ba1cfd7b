using ElasticVit.Export.Proto;
using Google.Protobuf;

namespace ElasticVit.Export;

/// <summary>
/// Serialises <see cref="OnnxModel"/> to ONNX protobuf bytes through the messages generated from <c>Onnx.proto</c>.
/// Initializer data is wrapped, not copied, until the final serialisation.
/// </summary>
internal static class OnnxModelEncoder
{
    public static byte[] Encode(OnnxModel model)
    {
        var proto = new ModelProto
        {
            IrVersion = model.IrVersion,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            Graph = Graph(model.Graph),
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = model.OpsetVersion } },
        };
        if (model.DocString.Length > 0) proto.DocString = model.DocString;
        proto.MetadataProps.AddRange(model.Metadata.Select(kv => new StringStringEntryProto { Key = kv.Key, Value = kv.Value }));
        return proto.ToByteArray();
    }

    private static GraphProto Graph(OnnxGraph graph)
    {
        var proto = new GraphProto { Name = graph.Name };
        proto.Node.AddRange(graph.Nodes.Select(Node));
        proto.Initializer.AddRange(graph.Initializers.Select(Tensor));
        proto.Input.AddRange(graph.Inputs.Select(ValueInfo));
        proto.Output.AddRange(graph.Outputs.Select(ValueInfo));
        proto.ValueInfo.AddRange(graph.ShapeHints.Select(ValueInfo));
        return proto;
    }

    private static NodeProto Node(OnnxNode node)
    {
        var proto = new NodeProto { Name = node.Name, OpType = node.OpType };
        proto.Input.AddRange(node.Inputs);
        proto.Output.AddRange(node.Outputs);
        proto.Attribute.AddRange(node.Attributes.Select(Attribute));
        return proto;
    }

    private static AttributeProto Attribute(OnnxAttribute attribute)
    {
        var proto = new AttributeProto { Name = attribute.Name };
        switch (attribute)
        {
            case OnnxFloatAttribute a:
                (proto.Type, proto.F) = (AttributeProto.Types.AttributeType.Float, a.Value);
                break;
            case OnnxIntAttribute a:
                (proto.Type, proto.I) = (AttributeProto.Types.AttributeType.Int, a.Value);
                break;
            case OnnxStringAttribute a:
                (proto.Type, proto.S) = (AttributeProto.Types.AttributeType.String, ByteString.CopyFromUtf8(a.Value));
                break;
            case OnnxTensorAttribute a:
                (proto.Type, proto.T) = (AttributeProto.Types.AttributeType.Tensor, Tensor(a.Value));
                break;
            case OnnxFloatsAttribute a:
                proto.Type = AttributeProto.Types.AttributeType.Floats;
                proto.Floats.AddRange(a.Values);
                break;
            case OnnxIntsAttribute a:
                proto.Type = AttributeProto.Types.AttributeType.Ints;
                proto.Ints.AddRange(a.Values);
                break;
            default:
                throw new NotSupportedException($"attribute '{attribute.Name}' has unsupported kind {attribute.GetType().Name}");
        }
        return proto;
    }

    private static TensorProto Tensor(OnnxTensor tensor)
    {
        // The tensor's bytes are never changed after it is made: wrapping them saves a copy of every weight.
        var proto = new TensorProto { Name = tensor.Name, DataType = (int)tensor.ElementType, RawData = UnsafeByteOperations.UnsafeWrap(tensor.RawData) };
        proto.Dims.AddRange(tensor.Dims);
        return proto;
    }

    private static ValueInfoProto ValueInfo(OnnxValueInfo info)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)info.ElementType };
        if (info.Shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            tensorType.Shape.Dim.AddRange(info.Shape.Select(dim => dim.Symbol is { } symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = dim.Size!.Value }));
        }
        return new ValueInfoProto { Name = info.Name, Type = new TypeProto { TensorType = tensorType } };
    }
}
