using System.Buffers.Binary;
using System.Text;

namespace ElasticVit.Export;

/// <summary>
/// Minimal protocol-buffers wire-format writer: varints, fixed32 floats, length-delimited bytes,
/// strings and nested messages. Enough for the proto2 subset of <c>onnx.proto</c> the exporter emits.
/// Repeated scalars are written unpacked unless the caller asks for packed encoding.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly MemoryStream _buffer = new();

    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireVarint);
        WriteVarint(unchecked((ulong)value));
    }

    public void WriteFloat(int field, float value)
    {
        WriteTag(field, WireFixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    public void WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    /// <summary>Writes a nested message whose fields <paramref name="writeBody"/> writes.</summary>
    public void WriteMessage(int field, Action<ProtoWriter> writeBody)
    {
        var nested = new ProtoWriter();
        writeBody(nested);
        WriteBytes(field, nested._buffer.GetBuffer().AsSpan(0, (int)nested._buffer.Length));
    }

    /// <summary>Writes each element as its own field entry (proto2 default for non-packed repeated fields).</summary>
    public void WriteRepeatedInt64(int field, IEnumerable<long> values)
    {
        foreach (long value in values) WriteInt64(field, value);
    }

    public void WriteRepeatedFloat(int field, IEnumerable<float> values)
    {
        foreach (float value in values) WriteFloat(field, value);
    }

    public byte[] ToArray() => _buffer.ToArray();

    private void WriteTag(int field, int wireType)
    {
        if (field <= 0) throw new ArgumentOutOfRangeException(nameof(field), field, "field numbers start at 1");
        WriteVarint(((ulong)field << 3) | (uint)wireType);
    }

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}
