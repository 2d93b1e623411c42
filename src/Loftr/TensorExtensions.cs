using static TorchSharp.torch;

namespace Loftr;

internal static class TensorExtensions
{
    /// <summary>Moves every tensor one dispose scope out (from the scope that owns it to the enclosing one).</summary>
    public static void MoveToOuterDisposeScope(this IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.MoveToOuterDisposeScope();
    }
}
