using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Transformer;

/// <summary>
/// 2-D sinusoidal position encoding added to the coarse feature map. Channel c uses
/// sin(x f) (c % 4 == 0), cos(x f) (1), sin(y f) (2), cos(y f) (3), with positions counted from 1 and
/// f[k] = exp(2k * -ln(10000) / (d/2)) when <c>tempBugFix</c> is true, exp(-2k) otherwise (the released
/// models were trained with the latter). Input and output [N, C, H, W]. The table is a non-persistent buffer
/// (not in checkpoints) built for 256x256 cells and grown on demand for larger inputs.
/// </summary>
public sealed class PositionEncodingSine : nn.Module<Tensor, Tensor>
{
    private const int InitialCells = 256;
    private readonly int _dModel;
    private readonly bool _tempBugFix;
#pragma warning disable IDE1006
    private Tensor pe;
#pragma warning restore IDE1006

    /// <summary>Creates the encoding for <paramref name="dModel"/> channels (a multiple of 4).</summary>
    public PositionEncodingSine(int dModel, bool tempBugFix) : base("pos_encoding")
    {
        if (dModel % 4 != 0) throw new ArgumentException($"d_model must be a multiple of 4, got {dModel}.", nameof(dModel));
        _dModel = dModel;
        _tempBugFix = tempBugFix;
        pe = Build(dModel, InitialCells, InitialCells, tempBugFix);
        register_buffer(nameof(pe), pe, persistent: false);
    }

    /// <summary>The encoding table [1, d, H, W] for an H x W grid (positions start at 1).</summary>
    internal static Tensor Build(int dModel, long height, long width, bool tempBugFix)
    {
        using var scope = NewDisposeScope();
        var yPos = ones(height, width, dtype: ScalarType.Float32).cumsum(0).unsqueeze(0);
        var xPos = ones(height, width, dtype: ScalarType.Float32).cumsum(1).unsqueeze(0);
        // Python: arange(0, d//2, 2).float() * (-log(10000) / (d//2))  or, in the original, (-log(10000) / d // 2) = -1.0
        double factor = tempBugFix ? -Math.Log(10000.0) / (dModel / 2) : Math.Floor(-Math.Log(10000.0) / dModel / 2);
        using var divFactor = factor.ToScalar();
        using var end = (dModel / 2).ToScalar();
        var divTerm = exp(arange(Scalars.Zero, end, Scalars.Two, dtype: ScalarType.Float32).mul(divFactor)).view(-1, 1, 1);
        var pe = zeros(dModel, height, width, dtype: ScalarType.Float32);
        var xs = xPos * divTerm;
        var ys = yPos * divTerm;
        pe[TensorIndex.Slice(0, null, 4)] = xs.sin();
        pe[TensorIndex.Slice(1, null, 4)] = xs.cos();
        pe[TensorIndex.Slice(2, null, 4)] = ys.sin();
        pe[TensorIndex.Slice(3, null, 4)] = ys.cos();
        return pe.unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        long h = x.shape[2], w = x.shape[3];
        if (h > pe.shape[2] || w > pe.shape[3])
        {
            var grown = Build(_dModel, Math.Max(h, pe.shape[2]), Math.Max(w, pe.shape[3]), _tempBugFix).to(pe.device);
            var old = pe;
            pe = grown;
            // Replaces the registered buffer (register_buffer throws for a name that is already registered)
            ConditionallyRegisterBuffer(nameof(pe), pe, persistent: false);
            old.Dispose();
        }
        using var slice = pe[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, h), TensorIndex.Slice(0, w)];
        return x.add(slice.to(x.dtype), Scalars.One);
    }
}
