using static TorchSharp.torch;

namespace Loftr;

internal static class TensorExtensions
{
    /// <summary>Moves every tensor one dispose scope out (from the scope that owns it to the enclosing one).</summary>
    public static void MoveToOuterDisposeScope(this IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.MoveToOuterDisposeScope();
    }

    /// <summary>The tensor's values as an array; empty for a tensor without elements (where <c>data&lt;T&gt;().ToArray()</c> throws).</summary>
    public static T[] ToArrayOrEmpty<T>(this Tensor tensor) where T : unmanaged =>
        tensor.numel() == 0 ? [] : tensor.data<T>().ToArray();
}
