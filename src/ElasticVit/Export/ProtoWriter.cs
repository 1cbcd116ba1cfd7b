using System.Buffers.Binary;
using System.Text;

namespace ElasticVit.Export;

/// <summary>
/// Minimal protocol-buffers wire-format writer: varints, fixed32 floats, length-delimited bytes,
/// strings and nested messages. Enough for the proto2 subset of <c>onnx.proto</c> the exporter emits.
/// Repeated scalars are written unpacked unless the caller asks for packed encoding.
/// A nested message's length prefix comes from a counting pass over its body (a writer that only adds up sizes),
/// so every byte, a model's megabytes of weights included, is written once into one buffer of the final size.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private byte[]? _buffer;   // null: a counting writer
    private int _length;

    private ProtoWriter(byte[]? buffer) => _buffer = buffer;

    /// <summary>The encoding of whatever <paramref name="writeBody"/> writes, in a buffer sized by a counting pass first.</summary>
    public static byte[] Encode(Action<ProtoWriter> writeBody)
    {
        var counter = new ProtoWriter(null);
        writeBody(counter);
        var writer = new ProtoWriter(new byte[counter._length]);
        writeBody(writer);
        if (writer._length != counter._length) throw new InvalidOperationException($"protobuf body wrote {writer._length} bytes after counting {counter._length}");
        return writer._buffer!;
    }

    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireVarint);
        WriteVarint(unchecked((ulong)value));
    }

    public void WriteFloat(int field, float value)
    {
        WriteTag(field, WireFixed32);
        if (_buffer is not null) BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)value.Length);
        if (_buffer is not null) value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Writes a nested message whose fields <paramref name="writeBody"/> writes.</summary>
    public void WriteMessage(int field, Action<ProtoWriter> writeBody)
    {
        var counter = new ProtoWriter(null);
        writeBody(counter);
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)counter._length);
        if (_buffer is null) _length += counter._length;
        else writeBody(this);
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

    private void WriteTag(int field, int wireType)
    {
        if (field <= 0) throw new ArgumentOutOfRangeException(nameof(field), field, "field numbers start at 1");
        WriteVarint(((ulong)field << 3) | (uint)wireType);
    }

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    private void WriteByte(byte b)
    {
        if (_buffer is not null) _buffer[_length] = b;
        _length++;
    }
}
