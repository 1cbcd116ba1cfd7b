using ElasticVit.Cli.Images;

namespace ElasticVit.Tests.Cli;

public sealed class PngDecoderTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(4, 2)]
    [InlineData(2, 3)]
    [InlineData(6, 4)]
    public void Decode_UndoesEveryRowFilter(int colorType, int channels)
    {
        const int width = 7, height = 10;
        var rng = new Random(colorType);
        var samples = new byte[width * height * channels];
        rng.NextBytes(samples);
        var png = TestPng.Encode(width, height, colorType, samples, filterOfRow: y => y % 5);

        var image = PngDecoder.Decode(png, "t.png");
        Assert.Equal((width, height, channels), (image.Width, image.Height, image.Channels));
        Assert.Equal(samples, image.Pixels);
    }

    [Fact]
    public void Decode_ExpandsPaletteImagesToRgb()
    {
        byte[] palette = [10, 20, 30, 40, 50, 60];
        var image = PngDecoder.Decode(TestPng.Encode(2, 2, 3, [0, 1, 1, 0], palette, y => 4), "p.png");
        Assert.Equal(3, image.Channels);
        Assert.Equal([10, 20, 30, 40, 50, 60, 40, 50, 60, 10, 20, 30], image.Pixels);
    }

    [Fact]
    public void ToPlanar_DropsAlpha_RepeatsGray_AndTakesLumaOfRgb()
    {
        var rgba = new DecodedImage(2, 1, 4, [255, 0, 0, 7, 0, 0, 255, 7]);
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 1f], rgba.ToPlanar(3));
        Assert.Equal([0.299f, 0.114f], rgba.ToPlanar(1));
        Assert.Equal([0.2f, 0.2f, 0.2f], new DecodedImage(1, 1, 1, [51]).ToPlanar(3));
    }

    [Theory]
    [InlineData("16-bit", "16-bit PNG is not supported")]
    [InlineData("interlaced", "interlaced PNG is not supported")]
    [InlineData("truncated", "truncated")]
    [InlineData("not png", "not a PNG file")]
    public void Decode_UnsupportedOrBrokenFiles_FailWithOneLineNamingTheFile(string kind, string expected)
    {
        var png = kind switch
        {
            "16-bit" => TestPng.Encode(2, 2, 0, new byte[8], bitDepth: 16),
            "interlaced" => TestPng.Encode(2, 2, 0, new byte[4], interlace: 1),
            "truncated" => TestPng.Encode(2, 2, 0, new byte[4])[..40],
            _ => "GIF89a"u8.ToArray(),
        };
        var e = Assert.Throws<ElasticVit.Data.DataException>(() => PngDecoder.Decode(png, "x.png"));
        Assert.StartsWith("x.png: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Decode_RefusesImageDataThatInflatesBeyondItsHeader()
    {
        // A 2×2000 gray image whose header is edited to claim 2×2: its data inflates to 1,000 times what 2×2 needs.
        var png = TestPng.Encode(2, 2000, 0, new byte[2 * 2000]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 2);   // IHDR height
        var e = Assert.Throws<ElasticVit.Data.DataException>(() => PngDecoder.Decode(png, "bomb.png"));
        Assert.Contains("inflates to more than the 6 bytes", e.Message);
    }
}
