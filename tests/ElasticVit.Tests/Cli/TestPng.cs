using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ElasticVit.Tests.Cli;

/// <summary>Writes 8-bit PNGs with a chosen filter per row, to test the decoder on every filter type.</summary>
internal static class TestPng
{
    public static byte[] Encode(int width, int height, int colorType, byte[] samples, byte[]? palette = null, Func<int, int>? filterOfRow = null,
        int bitDepth = 8, int interlace = 0)
    {
        var bpp = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        var stride = width * bpp;
        var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            var filter = filterOfRow?.Invoke(y) ?? 0;
            raw.WriteByte((byte)filter);
            for (var x = 0; x < stride; x++)
            {
                int i = y * stride + x, a = x >= bpp ? samples[i - bpp] : 0, b = y > 0 ? samples[i - stride] : 0,
                    c = x >= bpp && y > 0 ? samples[i - stride - bpp] : 0;
                var predictor = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => Paeth(a, b, c) };
                raw.WriteByte((byte)(samples[i] - predictor));
            }
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw.ToArray());

        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9], header[12]) = ((byte)bitDepth, (byte)colorType, (byte)interlace);
        Chunk(png, "IHDR", header);
        if (palette is not null) Chunk(png, "PLTE", palette);
        var data = compressed.ToArray();
        Chunk(png, "IDAT", data[..(data.Length / 2)]);   // image data split over two IDAT chunks
        Chunk(png, "IDAT", data[(data.Length / 2)..]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        png.Write(buffer);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, Crc32(typed));
        png.Write(buffer);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
