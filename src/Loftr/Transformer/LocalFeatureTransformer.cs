using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Loftr.Transformer;

/// <summary>
/// One LoFTR encoder layer: message = norm1(merge(attn(q_proj x, k_proj src, v_proj src)));
/// out = x + norm2(mlp([x, message])). Input x [N, L, C], source [N, S, C]; output [N, L, C].
/// </summary>
public sealed class LoftrEncoderLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are the state-dict keys
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear merge;
    private readonly Sequential mlp;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
#pragma warning restore IDE1006
    private readonly int _nhead;
    private readonly int _dim;
    private readonly IAttention _attention;

    /// <summary>Creates a layer of width <paramref name="dModel"/> with <paramref name="nhead"/> heads.</summary>
    public LoftrEncoderLayer(int dModel, int nhead, AttentionType attention) : base("LoFTREncoderLayer")
    {
        _nhead = nhead;
        _dim = dModel / nhead;
        q_proj = Linear(dModel, dModel, hasBias: false);
        k_proj = Linear(dModel, dModel, hasBias: false);
        v_proj = Linear(dModel, dModel, hasBias: false);
        _attention = attention == AttentionType.Linear ? new LinearAttention() : new FullAttention();
        merge = Linear(dModel, dModel, hasBias: false);
        mlp = Sequential(Linear(dModel * 2, dModel * 2, hasBias: false), ReLU(), Linear(dModel * 2, dModel, hasBias: false));
        norm1 = LayerNorm(dModel);
        norm2 = LayerNorm(dModel);
        RegisterComponents();
    }

    /// <summary>
    /// Updates <paramref name="x"/> [N, L, C] with a message from <paramref name="source"/> [N, S, C]. The linear layers
    /// compute in their weights' dtype (bfloat16 after <see cref="Model.LoftrModel.SetPrecision"/>); the residual stream,
    /// the layer norms and the attention sums stay in the dtype of <paramref name="x"/>.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor source, Tensor? xMask, Tensor? sourceMask)
    {
        using var scope = NewDisposeScope();
        long bs = x.shape[0];
        var linearType = q_proj.weight!.dtype;
        var xs = x.to(linearType);
        var src = source.to(linearType);
        var query = q_proj.forward(xs).view(bs, -1, _nhead, _dim);
        var key = k_proj.forward(src).view(bs, -1, _nhead, _dim);
        var value = v_proj.forward(src).view(bs, -1, _nhead, _dim);
        var message = _attention.Attend(query, key, value, xMask, sourceMask);
        message = norm1.forward(merge.forward(message.view(bs, -1, _nhead * _dim)).to(x.dtype));
        message = norm2.forward(Mlp(cat([xs, message.to(linearType)], 2)).to(x.dtype));
        return x.add(message, Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Linear, ReLU, Linear; without autograd the ReLU works in place on the first layer's fresh output.</summary>
    private Tensor Mlp(Tensor x)
    {
        if (is_grad_enabled()) return mlp.forward(x);
        var layers = mlp.children().ToArray();
        var hidden = ((Linear)layers[0]).forward(x);
        return ((Linear)layers[2]).forward(hidden.relu_());
    }

    /// <summary>Converts the linear layers (not the layer norms) to <paramref name="dtype"/>.</summary>
    internal void SetLinearType(ScalarType dtype)
    {
        foreach (var (_, m) in named_modules())
            if (m is Linear l) l.to(dtype);
    }
}

/// <summary>
/// The LoFTR module: a sequence of self- and cross-attention encoder layers applied to both images.
/// Inputs feat0 [N, L, C], feat1 [N, S, C] and optional masks [N, L], [N, S] (bool, true = valid).
/// </summary>
public sealed class LocalFeatureTransformer : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<LoftrEncoderLayer> layers;
#pragma warning restore IDE1006
    private readonly IReadOnlyList<TransformerLayerType> _layerTypes;

    /// <summary>Optional observer of per-layer outputs ("layer{k}.feat0/1"), for parity tests.</summary>
    internal Action<string, Tensor>? Tap { get; set; }

    /// <summary>Builds the layers of <paramref name="config"/> with Xavier-uniform initialisation.</summary>
    public LocalFeatureTransformer(TransformerConfig config, string name) : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        _layerTypes = config.Layers.ToArray();
        layers = new ModuleList<LoftrEncoderLayer>(
            _layerTypes.Select(_ => new LoftrEncoderLayer(config.DModel, config.NHead, config.Attention)).ToArray());
        RegisterComponents();
        using var _ = no_grad();
        foreach (var p in parameters())
            if (p.dim() > 1) init.xavier_uniform_(p);
    }

    /// <summary>Converts the linear layers of every encoder layer to <paramref name="dtype"/> (layer norms stay float32).</summary>
    internal void SetLinearType(ScalarType dtype)
    {
        foreach (var layer in layers) layer.SetLinearType(dtype);
    }

    /// <summary>Runs all layers; returns the updated (feat0, feat1).</summary>
    public (Tensor Feat0, Tensor Feat1) Forward(Tensor feat0, Tensor feat1, Tensor? mask0 = null, Tensor? mask1 = null)
    {
        using var scope = NewDisposeScope();
        for (int k = 0; k < _layerTypes.Count; k++)
        {
            var layer = layers[k];
            if (_layerTypes[k] == TransformerLayerType.Self)
            {
                feat0 = layer.Forward(feat0, feat0, mask0, mask0);
                feat1 = layer.Forward(feat1, feat1, mask1, mask1);
            }
            else
            {
                feat0 = layer.Forward(feat0, feat1, mask0, mask1);
                feat1 = layer.Forward(feat1, feat0, mask1, mask0);
            }
            if (Tap is not null)
            {
                Tap($"layer{k}.feat0", feat0);
                Tap($"layer{k}.feat1", feat1);
            }
        }
        return (feat0.MoveToOuterDisposeScope(), feat1.MoveToOuterDisposeScope());
    }
}
