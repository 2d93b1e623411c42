using TorchSharp;
using static TorchSharp.torch;

namespace Loftr;

/// <summary>
/// TorchSharp scalars that live as long as the process, and the few calls that would otherwise make a temporary one.
/// </summary>
/// <remarks>
/// A TorchSharp <see cref="Scalar"/> owns a native c10::Scalar, has a finalizer, and no dispose scope tracks it. One
/// made on the fly is referenced by nothing once its handle has been read for the native call, so a garbage collection
/// triggered by another thread during that call can run its finalizer and free it while libtorch still reads it: a
/// random "Expected false to be true ... toDouble" error, a crash, or a wrong value. Such temporaries come from the
/// implicit conversion of a number (<c>x.add_(1e-6)</c>, <c>x.clamp_min(0)</c>, <c>x.masked_fill(m, -1e9)</c>), from
/// TorchSharp's operators with a number (<c>x * 2.0</c>, <c>1 - x</c>), and from overloads that fill in a number
/// themselves: <c>add(Tensor)</c> and <c>a + b</c> pass alpha = 1, <c>square()</c> the exponent 2, <c>arange(n)</c>
/// the start 0 and step 1, <c>elu(double)</c> its scales, <c>nn.LeakyReLU</c>'s forward its slope and BatchNorm's
/// forward (in training) its batch counter increment. The library therefore keeps every Scalar referenced until the
/// call has returned: a <c>using var</c> local for a computed value, a static field for a constant (never disposed,
/// never finalized while the type is loaded). tests/Loftr.Tests/TorchSharpUsageTests.cs scans the compiled library for
/// the unsafe forms. Each constant keeps the C# type TorchSharp used (an int 1 stays an int Scalar), so integer tensors
/// keep their dtype.
/// </remarks>
internal static class Scalars
{
    /// <summary>The int 0.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>
    /// The int 1, also the alpha TorchSharp passes for a plain addition: <c>a.add(b, Scalars.One)</c> is <c>a + b</c>.
    /// </summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The int 2 (the exponent of <c>square()</c>).</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary>The double 1.0.</summary>
    public static readonly Scalar OneDouble = 1.0.ToScalar();

    /// <summary>The bool true.</summary>
    public static readonly Scalar True = true.ToScalar();

    /// <summary>The bool false.</summary>
    public static readonly Scalar False = false.ToScalar();

    /// <summary><c>arange(n)</c>: 0, 1, ..., n - 1 as TorchSharp computes it (int start 0 and step 1).</summary>
    public static Tensor Arange(long n, ScalarType dtype, Device? device = null)
    {
        using var end = n.ToScalar();
        return arange(Zero, end, One, dtype, device);
    }
}
