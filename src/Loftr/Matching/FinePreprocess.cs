using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Loftr.Matching;

/// <summary>
/// Crops a W x W window of the fine feature map around every selected coarse match (centred on fine pixel
/// (stride*y, stride*x), zero outside the map) and merges the transformed coarse feature of the match into it.
/// Gathers only the needed windows (the reference unfolds whole maps; the values are identical).
/// Output: two [M, W*W, Cf] tensors, window positions in row-major order.
/// </summary>
public sealed class FinePreprocess : nn.Module
{
#pragma warning disable IDE1006 // state-dict keys
    private readonly Linear? down_proj;
    private readonly Linear? merge_feat;
#pragma warning restore IDE1006
    private readonly int _window;
    private readonly int _fineDim;

    /// <summary>Creates the layer for <paramref name="config"/>.</summary>
    public FinePreprocess(LoftrConfig config) : base("fine_preprocess")
    {
        ArgumentNullException.ThrowIfNull(config);
        _window = config.FineWindowSize;
        _fineDim = config.Fine.DModel;
        if (config.FineConcatCoarseFeat)
        {
            down_proj = Linear(config.Coarse.DModel, config.Fine.DModel, hasBias: true);
            merge_feat = Linear(2 * config.Fine.DModel, config.Fine.DModel, hasBias: true);
        }
        RegisterComponents();
        using var _ = no_grad();
        foreach (var p in parameters())
            if (p.dim() > 1) init.kaiming_normal_(p, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
    }

    /// <summary>Converts the linear layers to <paramref name="dtype"/> (inputs are cast, outputs keep the input dtype).</summary>
    internal void SetLinearType(ScalarType dtype)
    {
        down_proj?.to(dtype);
        merge_feat?.to(dtype);
    }

    /// <summary>
    /// Fine maps [N, Cf, Hf, Wf], transformed coarse features [N, L, Cc] / [N, S, Cc], and the selected windows.
    /// </summary>
    public (Tensor Feat0, Tensor Feat1) Forward(Tensor featF0, Tensor featF1, Tensor featC0, Tensor featC1,
        CoarseMatches matches, PairGeometry geometry)
    {
        using var scope = NewDisposeScope();
        long ww = (long)_window * _window;
        long m = matches.BIds.shape[0];
        if (m == 0)
        {
            return (empty(0, ww, _fineDim, device: featF0.device, dtype: featF0.dtype).MoveToOuterDisposeScope(),
                    empty(0, ww, _fineDim, device: featF0.device, dtype: featF0.dtype).MoveToOuterDisposeScope());
        }
        long stride = geometry.Fine0.H / geometry.Coarse0.H;
        var centre0 = CellCentres(matches.IIds, geometry.Coarse0.W, stride);
        var centre1 = CellCentres(matches.JIds, geometry.Coarse1.W, stride);
        var c0 = featC0.index([TensorIndex.Tensor(matches.BIds), TensorIndex.Tensor(matches.IIds)]);
        var c1 = featC1.index([TensorIndex.Tensor(matches.BIds), TensorIndex.Tensor(matches.JIds)]);
        var (f0, f1) = ForwardAt(featF0, featF1, c0, c1, matches.BIds, centre0, centre1);
        return (f0.MoveToOuterDisposeScope(), f1.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Windows centred on arbitrary fine pixels: fine maps [N, Cf, Hf, Wf], the coarse feature of each match [M, Cc] in
    /// either image, the batch index [M] and the window centres [M, 2] (x, y, int64 fine pixels inside the maps).
    /// The first pass centres the windows on the coarse cells; the second fine pass of <see cref="Model.LoftrModel.Forward"/>
    /// on the refined matches.
    /// </summary>
    internal (Tensor Feat0, Tensor Feat1) ForwardAt(Tensor featF0, Tensor featF1, Tensor coarse0, Tensor coarse1, Tensor bIds,
        Tensor centre0, Tensor centre1)
    {
        using var scope = NewDisposeScope();
        long ww = (long)_window * _window;
        var f0 = GatherWindows(featF0, bIds, centre0);
        var f1 = GatherWindows(featF1, bIds, centre1);
        if (down_proj is not null && merge_feat is not null)
        {
            var linearType = down_proj.weight!.dtype;
            var cWin = down_proj.forward(cat([coarse0, coarse1], 0).to(linearType));
            var merged = merge_feat.forward(cat([cat([f0, f1], 0).to(linearType), cWin.unsqueeze(1).expand(-1, ww, -1)], -1))
                .to(featF0.dtype);
            var chunks = merged.chunk(2, 0);
            f0 = chunks[0];
            f1 = chunks[1];
        }
        return (f0.MoveToOuterDisposeScope(), f1.MoveToOuterDisposeScope());
    }

    /// <summary>Fine pixel (x, y) [M, 2] at the centre of coarse cells <paramref name="ids"/> (stride * column, stride * row).</summary>
    private static Tensor CellCentres(Tensor ids, long coarseWidth, long stride)
    {
        using var width = coarseWidth.ToScalar();
        using var step = stride.ToScalar();
        return stack([ids.remainder(width).mul(step), ids.div(width, RoundingMode.floor).mul(step)], 1);
    }

    /// <summary>[M, W*W, C] windows of <paramref name="fine"/> [N, C, Hf, Wf] centred on fine pixels <paramref name="centres"/> [M, 2] (x, y).</summary>
    private Tensor GatherWindows(Tensor fine, Tensor bIds, Tensor centres)
    {
        int r = _window / 2;
        long c = fine.shape[1];
        var padded = nn.functional.pad(fine, [r, r, r, r]);   // zero padding as F.unfold(padding=W//2)
        var flat = padded.flatten(2).transpose(1, 2);          // [N, Hp*Wp, C]
        using var paddedWidth = padded.shape[3].ToScalar();
        var k = Scalars.Arange(_window, ScalarType.Int64, fine.device);
        // with the padding of r, the window's top row / left column in padded coordinates is the centre's row / column
        var rows = centres[.., 1].unsqueeze(1).add(k.unsqueeze(0), Scalars.One).unsqueeze(2);   // [M, W, 1]
        var cols = centres[.., 0].unsqueeze(1).add(k.unsqueeze(0), Scalars.One).unsqueeze(1);   // [M, 1, W]
        var lin = rows.mul(paddedWidth).add(cols, Scalars.One).flatten(1);                      // [M, W*W]
        var windows = flat.index([TensorIndex.Tensor(bIds.unsqueeze(1)), TensorIndex.Tensor(lin)]);
        return windows.view(-1, (long)_window * _window, c);
    }
}
