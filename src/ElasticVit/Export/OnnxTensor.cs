using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ElasticVit.Export;

/// <summary>A named constant tensor (initializer or <c>Constant</c> value), its data little-endian as ONNX <c>raw_data</c>.</summary>
public sealed record OnnxTensor
{
    private OnnxTensor(string name, OnnxElementType elementType, long[] dims, byte[] rawData)
    {
        Name = name;
        ElementType = elementType;
        Dims = dims;
        RawData = rawData;
    }

    public string Name { get; }

    public OnnxElementType ElementType { get; }

    public IReadOnlyList<long> Dims { get; }

    public ReadOnlyMemory<byte> RawData { get; }

    public static OnnxTensor FromFloats(string name, ReadOnlySpan<float> data, long[] dims)
    {
        CheckLength(name, data.Length, dims);
        byte[] raw;
        if (BitConverter.IsLittleEndian) raw = MemoryMarshal.AsBytes(data).ToArray();
        else
        {
            raw = new byte[data.Length * sizeof(float)];
            for (int i = 0; i < data.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), data[i]);
        }
        return new(name, OnnxElementType.Float, (long[])dims.Clone(), raw);
    }

    public static OnnxTensor FromInt64s(string name, ReadOnlySpan<long> data, long[] dims)
    {
        CheckLength(name, data.Length, dims);
        var raw = new byte[data.Length * sizeof(long)];
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), data[i]);
        return new(name, OnnxElementType.Int64, (long[])dims.Clone(), raw);
    }

    private static void CheckLength(string name, int length, long[] dims)
    {
        long count = 1;
        foreach (long dim in dims)
        {
            if (dim < 0) throw new ArgumentException($"tensor '{name}': negative dimension in [{string.Join(", ", dims)}]", nameof(dims));
            count *= dim;
        }
        if (count != length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", dims)}] holds {count} elements but {length} were given", nameof(dims));
    }
}
