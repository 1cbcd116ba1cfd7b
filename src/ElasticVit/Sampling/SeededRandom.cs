using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;

namespace ElasticVit.Sampling;

/// <summary>
/// A deterministic <see cref="Random"/>: xoshiro256** seeded through SplitMix64. Unlike <see cref="Random"/>
/// its whole state can be read and restored (<see cref="State"/>), so a resumed training run continues the
/// exact random sequence. Every public <see cref="Random"/> method is overridden, bounded integers are
/// unbiased (Lemire's method) and results do not depend on the platform or runtime version.
/// </summary>
public sealed class SeededRandom : Random
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(long seed)
    {
        var seeder = new Data.SplitMix64(unchecked((ulong)seed));
        (_s0, _s1, _s2, _s3) = (seeder.Next(), seeder.Next(), seeder.Next(), seeder.Next());
    }

    /// <summary>
    /// The generator state as 64 lowercase hex digits (four 64-bit words). Setting it restores a state read
    /// earlier; the sequence then continues exactly as it did after that read.
    /// </summary>
    public string State
    {
        get => string.Create(CultureInfo.InvariantCulture, $"{_s0:x16}{_s1:x16}{_s2:x16}{_s3:x16}");
        set
        {
            if (value is null || value.Length != 64)
                throw new FormatException($"random state must be 64 hex digits, got '{value}'");
            var w = new ulong[4];
            for (var i = 0; i < 4; i++)
                if (!ulong.TryParse(value.AsSpan(16 * i, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out w[i]))
                    throw new FormatException($"random state must be 64 hex digits, got '{value}'");
            if ((w[0] | w[1] | w[2] | w[3]) == 0) throw new FormatException("random state must not be all zero");
            (_s0, _s1, _s2, _s3) = (w[0], w[1], w[2], w[3]);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    public override int Next() => (int)Below(int.MaxValue);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (int)Below((ulong)maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        var range = (ulong)((long)maxValue - minValue);
        return range <= 1 ? minValue : (int)(minValue + (long)Below(range));
    }

    public override long NextInt64() => (long)Below(long.MaxValue);

    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (long)Below((ulong)maxValue);
    }

    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        var range = unchecked((ulong)(maxValue - minValue));
        return range <= 1 ? minValue : unchecked(minValue + (long)Below(range));
    }

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public override float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    protected override double Sample() => NextDouble();

    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    public override void NextBytes(Span<byte> buffer)
    {
        while (buffer.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, NextUInt64());
            buffer = buffer[8..];
        }
        if (buffer.IsEmpty) return;
        Span<byte> last = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(last, NextUInt64());
        last[..buffer.Length].CopyTo(buffer);
    }

    /// <summary>An unbiased integer in [0, n) for n ≥ 1 (Lemire's multiply-and-reject).</summary>
    private ulong Below(ulong n)
    {
        var high = Math.BigMul(NextUInt64(), n, out var low);
        if (low < n)
        {
            var threshold = (0 - n) % n;
            while (low < threshold) high = Math.BigMul(NextUInt64(), n, out low);
        }
        return high;
    }
}
