namespace ElasticVit.Data;

/// <summary>
/// A small seeded generator (SplitMix64) whose sequence is fixed by this code rather than by the
/// runtime's <see cref="Random"/>, so splits, epoch orders and augmentations stay reproducible
/// across .NET versions and can be keyed by (seed, epoch, batch) without storing state.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (multiply-shift; the bias is below 2^-32 for the n used here).</summary>
    public int NextInt(int n) => (int)(((Next() >> 32) * (ulong)n) >> 32);

    public bool NextBool() => (Next() >> 63) != 0;

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator whose stream depends only on the given key parts.</summary>
    public static SplitMix64 For(params ReadOnlySpan<long> key)
    {
        ulong h = 0x243F6A8885A308D3UL;
        foreach (long part in key) h = new SplitMix64(h ^ (ulong)part).Next();
        return new SplitMix64(h);
    }
}

/// <summary>Tags that keep the random streams of different uses apart.</summary>
internal enum RandomStream : long { HeldOut = 1, FolderTestSplit = 2, EpochOrder = 3, Augment = 4 }
