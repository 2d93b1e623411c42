namespace Loftr.Training;

/// <summary>
/// A small, fast, seedable random generator (SplitMix64) whose output depends only on its seed, on every platform and
/// .NET version. Training derives one generator per (seed, stream, index) with <see cref="For"/>, so that every random
/// choice of step k is a pure function of k: runs are reproducible and resuming needs no generator state.
/// </summary>
public sealed class TrainingRandom
{
    private ulong _state;
    private double? _spareNormal;

    /// <summary>A generator started from <paramref name="seed"/>.</summary>
    public TrainingRandom(ulong seed)
    {
        _state = seed;
    }

    /// <summary>The generator of item <paramref name="index"/> of stream <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public static TrainingRandom For(long seed, string stream, long index)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ulong h = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        foreach (char c in stream) h = Mix(h ^ c);
        h = Mix(h ^ (ulong)index);
        return new TrainingRandom(h);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="n"/>) without modulo bias.</summary>
    public long NextLong(long n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The range must be positive.");
        ulong range = (ulong)n;
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return (long)(x % range);
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box-Muller).</summary>
    public double Normal()
    {
        if (_spareNormal is double s)
        {
            _spareNormal = null;
            return s;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A random permutation of 0..<paramref name="n"/>-1 (Fisher-Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)NextLong(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
