using ElasticVit.Export;

namespace ElasticVit.Tests.Export;

/// <summary>Wire-format bytes from the protobuf encoding guide.</summary>
public sealed class ProtoWriterTests
{
    private static byte[] Write(Action<ProtoWriter> write) => ProtoWriter.Encode(write);

    [Fact]
    public void Varint_150_InField1() => Assert.Equal([0x08, 0x96, 0x01], Write(w => w.WriteInt64(1, 150)));

    [Fact]
    public void NegativeInt64_IsTenByteTwosComplement() =>
        Assert.Equal([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], Write(w => w.WriteInt64(1, -1)));

    [Fact]
    public void String_IsLengthDelimitedUtf8() =>
        Assert.Equal([0x12, 0x07, .. "testing"u8.ToArray()], Write(w => w.WriteString(2, "testing")));

    [Fact]
    public void Float_IsFixed32LittleEndian() => Assert.Equal([0x15, 0x00, 0x00, 0x80, 0x3F], Write(w => w.WriteFloat(2, 1f)));

    [Fact]
    public void NestedMessage_IsPrefixedWithItsLength() =>
        Assert.Equal([0x1A, 0x03, 0x08, 0x96, 0x01], Write(w => w.WriteMessage(3, m => m.WriteInt64(1, 150))));

    [Fact]
    public void LargeFieldNumber_UsesMultiByteTag() =>
        Assert.Equal([0xA0, 0x01, 0x07], Write(w => w.WriteInt64(20, 7)));

    [Fact]
    public void DeeplyNestedLongMessages_CarryTheirExactLengths()
    {
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var bytes = Write(w => w.WriteMessage(1, a => a.WriteMessage(2, b => { b.WriteBytes(3, payload); b.WriteInt64(4, 1); })));
        // innermost: tag 0x1A, length 300 (0xAC 0x02), payload, then 0x20 0x01 → 305 bytes; middle: 0x12, 305 (0xB1 0x02) → 308.
        Assert.Equal([0x0A, 0xB4, 0x02, 0x12, 0xB1, 0x02, 0x1A, 0xAC, 0x02], bytes[..9]);
        Assert.Equal(payload, bytes[9..309]);
        Assert.Equal([0x20, 0x01], bytes[309..]);
    }
}
