namespace ElasticVit.Export;

/// <summary>
/// Serialises <see cref="OnnxModel"/> to ONNX protobuf bytes. Field numbers follow <c>onnx.proto</c>
/// (IR version 8); only the messages and fields the exporter needs are written.
/// </summary>
internal static class OnnxModelEncoder
{
    public static byte[] Encode(OnnxModel model) => ProtoWriter.Encode(writer =>
    {
        // ModelProto
        writer.WriteInt64(1, model.IrVersion);
        writer.WriteString(2, model.ProducerName);
        writer.WriteString(3, model.ProducerVersion);
        if (model.DocString.Length > 0) writer.WriteString(6, model.DocString);
        writer.WriteMessage(7, w => WriteGraph(w, model.Graph));
        writer.WriteMessage(8, w =>
        {
            // OperatorSetIdProto: empty domain = the default "ai.onnx" domain.
            w.WriteString(1, "");
            w.WriteInt64(2, model.OpsetVersion);
        });
        foreach (var (key, value) in model.Metadata)
            writer.WriteMessage(14, w =>
            {
                // StringStringEntryProto
                w.WriteString(1, key);
                w.WriteString(2, value);
            });
    });

    private static void WriteGraph(ProtoWriter w, OnnxGraph graph)
    {
        foreach (var node in graph.Nodes) w.WriteMessage(1, n => WriteNode(n, node));
        w.WriteString(2, graph.Name);
        foreach (var tensor in graph.Initializers) w.WriteMessage(5, t => WriteTensor(t, tensor));
        foreach (var input in graph.Inputs) w.WriteMessage(11, v => WriteValueInfo(v, input));
        foreach (var output in graph.Outputs) w.WriteMessage(12, v => WriteValueInfo(v, output));
    }

    private static void WriteNode(ProtoWriter w, OnnxNode node)
    {
        foreach (string input in node.Inputs) w.WriteString(1, input);
        foreach (string output in node.Outputs) w.WriteString(2, output);
        w.WriteString(3, node.Name);
        w.WriteString(4, node.OpType);
        foreach (var attribute in node.Attributes) w.WriteMessage(5, a => WriteAttribute(a, attribute));
    }

    private static void WriteAttribute(ProtoWriter w, OnnxAttribute attribute)
    {
        // AttributeProto: name = 1, type = 20 (AttributeType), then the one value field for that type.
        const int typeField = 20;
        w.WriteString(1, attribute.Name);
        switch (attribute)
        {
            case OnnxFloatAttribute a:
                w.WriteInt64(typeField, 1);
                w.WriteFloat(2, a.Value);
                break;
            case OnnxIntAttribute a:
                w.WriteInt64(typeField, 2);
                w.WriteInt64(3, a.Value);
                break;
            case OnnxStringAttribute a:
                w.WriteInt64(typeField, 3);
                w.WriteString(4, a.Value);
                break;
            case OnnxTensorAttribute a:
                w.WriteInt64(typeField, 4);
                w.WriteMessage(5, t => WriteTensor(t, a.Value));
                break;
            case OnnxFloatsAttribute a:
                w.WriteInt64(typeField, 6);
                w.WriteRepeatedFloat(7, a.Values);
                break;
            case OnnxIntsAttribute a:
                w.WriteInt64(typeField, 7);
                w.WriteRepeatedInt64(8, a.Values);
                break;
            default:
                throw new NotSupportedException($"attribute '{attribute.Name}' has unsupported kind {attribute.GetType().Name}");
        }
    }

    private static void WriteTensor(ProtoWriter w, OnnxTensor tensor)
    {
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
        w.WriteRepeatedInt64(1, tensor.Dims);
        w.WriteInt64(2, (long)tensor.ElementType);
        w.WriteString(8, tensor.Name);
        w.WriteBytes(9, tensor.RawData.Span);
    }

    private static void WriteValueInfo(ProtoWriter w, OnnxValueInfo info)
    {
        // ValueInfoProto { name = 1, type = 2 }; TypeProto { tensor_type = 1 };
        // TypeProto.Tensor { elem_type = 1, shape = 2 }; TensorShapeProto { dim = 1 };
        // Dimension { dim_value = 1 | dim_param = 2 }.
        w.WriteString(1, info.Name);
        w.WriteMessage(2, type => type.WriteMessage(1, tensorType =>
        {
            tensorType.WriteInt64(1, (long)info.ElementType);
            if (info.Shape is null) return;
            tensorType.WriteMessage(2, shape =>
            {
                foreach (var dim in info.Shape)
                    shape.WriteMessage(1, d =>
                    {
                        if (dim.Symbol is { } symbol) d.WriteString(2, symbol);
                        else d.WriteInt64(1, dim.Size!.Value);
                    });
            });
        }));
    }
}
