using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Loftr.Backbone;

/// <summary>Residual block of two 3x3 convolutions; a 1x1 projection shortcut when the stride is 2.</summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the state-dict keys
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn1;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;
#pragma warning restore IDE1006

    public BasicBlock(long inPlanes, long planes, long stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv3x3(inPlanes, planes, stride);
        conv2 = Conv3x3(planes, planes, 1);
        bn1 = BatchNorm2d(planes);
        bn2 = BatchNorm2d(planes);
        if (stride != 1)
            downsample = Sequential(Conv1x1(inPlanes, planes, stride), BatchNorm2d(planes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(BatchNorms.Forward(bn1, conv1.forward(x)));
        y = BatchNorms.Forward(bn2, conv2.forward(y));
        Tensor shortcut = x;
        if (downsample is not null)
        {
            var parts = downsample.children().ToArray();
            shortcut = BatchNorms.Forward((BatchNorm2d)parts[1], ((Conv2d)parts[0]).forward(x));
        }
        return functional.relu(shortcut.add(y, Scalars.One)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Eval-mode forward without autograd (see <see cref="ResNetFpn"/>): batch norms folded into the convolutions,
    /// activations and the residual add in place on the fresh convolution outputs. <paramref name="x"/> is not modified.
    /// </summary>
    internal Tensor ForwardFolded(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = ConvBn.Forward(conv1, bn1, x).relu_();
        var y = ConvBn.Forward(conv2, bn2, hidden);
        hidden.Dispose();
        if (downsample is null)
            y.add_(x, Scalars.One);
        else
        {
            var parts = downsample.children().ToArray();
            y.add_(ConvBn.Forward((Conv2d)parts[0], (BatchNorm2d)parts[1], x), Scalars.One);
        }
        return y.relu_().MoveToOuterDisposeScope();
    }

    internal static Conv2d Conv1x1(long inPlanes, long outPlanes, long stride = 1) =>
        Conv2d(inPlanes, outPlanes, kernel_size: 1, stride: stride, padding: 0L, bias: false);

    internal static Conv2d Conv3x3(long inPlanes, long outPlanes, long stride = 1) =>
        Conv2d(inPlanes, outPlanes, kernel_size: 3, stride: stride, padding: 1L, bias: false);
}

/// <summary>
/// LeakyReLU with the slope 0.01 of LoFTR's FPN blocks: <c>nn.LeakyReLU(0.01)</c> without the temporary slope Scalar its
/// forward makes (see <see cref="Scalars"/>). No parameters or buffers, so the state dict is the same.
/// </summary>
internal sealed class LeakyRelu : Module<Tensor, Tensor>
{
    /// <summary>The negative slope.</summary>
    internal static readonly Scalar Slope = 0.01.ToScalar();

    public LeakyRelu() : base(nameof(LeakyRelu))
    {
    }

    public override Tensor forward(Tensor x) => x.leaky_relu(Slope);
}

/// <summary>
/// TorchSharp's <c>BatchNorm2d.forward</c> without its temporary Scalar: in training it counts the batch with
/// <c>num_batches_tracked.add_(1)</c> (see <see cref="Scalars"/>). Same arguments to <c>batch_norm</c> otherwise.
/// </summary>
internal static class BatchNorms
{
    public static Tensor Forward(BatchNorm2d bn, Tensor x)
    {
        bool training = bn.training;
        double factor = bn.momentum ?? 0.0;
        if (training && bn.track_running_stats && bn.num_batches_tracked is { } count)
        {
            count.add_(Scalars.One, Scalars.One);
            factor = bn.momentum ?? 1.0 / count.item<long>();
        }
        bool useRunningStats = !training || bn.track_running_stats;
        bool batchStats = training || (bn.running_mean is null && bn.running_var is null);
        return functional.batch_norm(x, useRunningStats ? bn.running_mean : null, useRunningStats ? bn.running_var : null,
            bn.weight, bn.bias, batchStats, factor, bn.eps);
    }
}

/// <summary>
/// A convolution followed by an eval-mode batch norm, computed as one convolution: the norm's affine map
/// y = (x - mean) / sqrt(var + eps) * gamma + beta is folded into the weight (scaled per output channel) and a bias.
/// The folded tensors are rebuilt from the current parameters and running statistics on every call (a few MB, well
/// under 1 % of a forward pass), so nothing can go stale when weights are loaded, trained or converted.
/// </summary>
internal static class ConvBn
{
    public static Tensor Forward(Conv2d conv, BatchNorm2d bn, Tensor x)
    {
        using var scope = NewDisposeScope();
        var weight = conv.weight!;
        var dtype = weight.dtype;
        // The same per-channel factors as the CPU batch-norm kernel (alpha = gamma / sqrt(var + eps), beta - mean * alpha)
        using var eps = bn.eps.ToScalar();
        var scale = bn.running_var!.add(eps, Scalars.One).rsqrt();
        if (bn.weight is { } gamma) scale = scale * gamma;
        var shift = -bn.running_mean! * scale;
        if (bn.bias is { } beta) shift = shift.add(beta, Scalars.One);
        var folded = weight.to(ScalarType.Float32) * scale.view(-1, 1, 1, 1);
        if (ResNetFpn.IsChannelsLast(weight)) folded = ResNetFpn.ToChannelsLast(folded);
        var bias = conv.bias is { } b ? shift.add(b.to(ScalarType.Float32), Scalars.One) : shift;
        return functional.conv2d(x, folded.to(dtype), bias.to(dtype), conv.stride, conv.padding, conv.dilation, conv.groups)
            .MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet with a feature pyramid: coarse features at 1/8 (or 1/16) and fine features at 1/2 (or 1/4) of the input.
/// Input [N, 1, H, W] with H, W multiples of the coarse resolution; output (coarse [N, Cc, H/8, W/8], fine [N, Cf, H/2, W/2]).
/// </summary>
public sealed class ResNetFpn : Module<Tensor, (Tensor Coarse, Tensor Fine)>
{
#pragma warning disable IDE1006 // field names are the state-dict keys
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential? layer4;
    private readonly Conv2d? layer4_outconv;
    private readonly Conv2d layer3_outconv;
    private readonly Sequential? layer3_outconv2;
    private readonly Conv2d layer2_outconv;
    private readonly Sequential layer2_outconv2;
    private readonly Conv2d? layer1_outconv;
    private readonly Sequential? layer1_outconv2;
#pragma warning restore IDE1006
    private readonly bool _is16x4;

    /// <summary>
    /// Whether convolutions run on channels-last (NHWC) tensors, which oneDNN computes about twice as fast on this class
    /// of CPU. Results differ from the NCHW path only by float rounding. Set with <see cref="SetChannelsLast"/>.
    /// </summary>
    public bool ChannelsLast { get; private set; }

    /// <summary>Converts the convolution weights (and, in forward, the input) to the channels-last layout, or back.</summary>
    public void SetChannelsLast(bool enabled)
    {
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            if (m is Conv2d conv && conv.weight is { } w)
            {
                var converted = enabled ? ToChannelsLast(w.detach()) : w.detach().contiguous();
                conv.weight = new Parameter(converted, w.requires_grad);
            }
        }
        ChannelsLast = enabled;
    }

    /// <summary>The dtype of the convolution weights (the input is cast to it).</summary>
    public ScalarType ConvolutionType => conv1.weight!.dtype;

    /// <summary>
    /// Converts the convolution weights to <paramref name="dtype"/>; BatchNorm parameters and statistics stay float32
    /// (the CPU kernel accepts bfloat16 input with float32 parameters).
    /// </summary>
    public void SetConvolutionType(ScalarType dtype)
    {
        foreach (var (_, m) in named_modules())
            if (m is Conv2d conv) conv.to(dtype);
        if (ChannelsLast) SetChannelsLast(true);
    }

    /// <summary>
    /// The same NCHW tensor with NHWC strides (TorchSharp has no memory_format argument for contiguous). The strides are
    /// set explicitly: for one channel (the first convolution's weight) <c>contiguous</c> keeps the NCHW strides, and
    /// libtorch then computes that convolution's output in NCHW, and layer1 with it (the residual add keeps the layout
    /// of the shortcut; about 10 % of the backbone's time at 640x480).
    /// </summary>
    internal static Tensor ToChannelsLast(Tensor x)
    {
        var nhwc = x.permute(0, 2, 3, 1).contiguous();
        long c = x.shape[1], h = x.shape[2], w = x.shape[3];
        long[] strides = [h * w * c, 1, w * c, c];
        var result = nhwc.permute(0, 3, 1, 2);
        return result.stride().SequenceEqual(strides) ? result : nhwc.as_strided(x.shape, strides);
    }

    /// <summary>Whether <paramref name="x"/> [N, C, H, W] has channels-last strides (channels stride 1).</summary>
    internal static bool IsChannelsLast(Tensor x) => x.dim() == 4 && x.stride(1) == 1 && x.stride(3) == x.shape[1];

    /// <summary>Optional observer of named intermediate tensors (used by parity tests); not called when null.</summary>
    internal Action<string, Tensor>? Tap { get; set; }

    /// <summary>Builds the backbone for resolution (8, 2) or (16, 4).</summary>
    public ResNetFpn(BackboneConfig config) : base("backbone")
    {
        ArgumentNullException.ThrowIfNull(config);
        var dims = config.BlockDims.Select(d => (long)d).ToArray();
        _is16x4 = config.CoarseResolution == 16;
        if (dims.Length != (_is16x4 ? 4 : 3))
            throw new ArgumentException($"ResNetFPN_{config.CoarseResolution}_{config.FineResolution} needs {(_is16x4 ? 4 : 3)} block dims, got {dims.Length}.");

        long inPlanes = config.InitialDim;
        conv1 = Conv2d(1, config.InitialDim, kernel_size: 7, stride: 2, padding: 3L, bias: false);
        bn1 = BatchNorm2d(config.InitialDim);
        layer1 = MakeLayer(ref inPlanes, dims[0], 1);
        layer2 = MakeLayer(ref inPlanes, dims[1], 2);
        layer3 = MakeLayer(ref inPlanes, dims[2], 2);

        if (_is16x4)
        {
            layer4 = MakeLayer(ref inPlanes, dims[3], 2);
            layer4_outconv = BasicBlock.Conv1x1(dims[3], dims[3]);
            layer3_outconv = BasicBlock.Conv1x1(dims[2], dims[3]);
            layer3_outconv2 = OutConv2(dims[3], dims[2]);
            layer2_outconv = BasicBlock.Conv1x1(dims[1], dims[2]);
            layer2_outconv2 = OutConv2(dims[2], config.FineDim);
        }
        else
        {
            layer3_outconv = BasicBlock.Conv1x1(dims[2], dims[2]);
            layer2_outconv = BasicBlock.Conv1x1(dims[1], dims[2]);
            layer2_outconv2 = OutConv2(dims[2], dims[1]);
            layer1_outconv = BasicBlock.Conv1x1(dims[0], dims[1]);
            layer1_outconv2 = OutConv2(dims[1], config.FineDim);
        }
        RegisterComponents();
        ResetParameters();
    }

    private static Sequential MakeLayer(ref long inPlanes, long dim, long stride)
    {
        var layer = Sequential(new BasicBlock(inPlanes, dim, stride), new BasicBlock(dim, dim, 1));
        inPlanes = dim;
        return layer;
    }

    private static Sequential OutConv2(long mid, long output) => Sequential(
        BasicBlock.Conv3x3(mid, mid), BatchNorm2d(mid), new LeakyRelu(), BasicBlock.Conv3x3(mid, output));

    private void ResetParameters()
    {
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            if (m is Conv2d conv)
                init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
            else if (m is BatchNorm2d bn)
            {
                init.constant_(bn.weight, Scalars.One);
                init.constant_(bn.bias, Scalars.Zero);
            }
        }
    }

    /// <summary>
    /// Eval mode without autograd (inference_mode or no_grad) takes a faster path with the same results up to float
    /// rounding: batch norms folded into the convolutions, activations and additions in place. Training mode, or eval
    /// with gradients, runs the modules as they are.
    /// </summary>
    public override (Tensor Coarse, Tensor Fine) forward(Tensor x)
    {
        if (!training && !is_grad_enabled()) return ForwardFolded(x);
        using var scope = NewDisposeScope();
        if (ChannelsLast) x = ToChannelsLast(x);
        var x0 = functional.relu(BatchNorms.Forward(bn1, conv1.forward(x)));
        var x1 = layer1.forward(x0);
        var x2 = layer2.forward(x1);
        var x3 = layer3.forward(x2);
        Tap?.Invoke("layer3_out", x3);

        Tensor coarse, fine;
        if (!_is16x4)
        {
            coarse = layer3_outconv.forward(x3);
            var x2Out = layer2_outconv.forward(x2);
            x2Out = OutConv2Unfolded(layer2_outconv2, x2Out.add(Upsample2x(coarse, x2Out), Scalars.One));
            var x1Out = layer1_outconv!.forward(x1);
            fine = OutConv2Unfolded(layer1_outconv2!, x1Out.add(Upsample2x(x2Out, x1Out), Scalars.One));
        }
        else
        {
            var x4 = layer4!.forward(x3);
            coarse = layer4_outconv!.forward(x4);
            var x3Out = layer3_outconv.forward(x3);
            x3Out = OutConv2Unfolded(layer3_outconv2!, x3Out.add(Upsample2x(coarse, x3Out), Scalars.One));
            var x2Out = layer2_outconv.forward(x2);
            fine = OutConv2Unfolded(layer2_outconv2, x2Out.add(Upsample2x(x3Out, x2Out), Scalars.One));
        }
        return (coarse.MoveToOuterDisposeScope(), fine.MoveToOuterDisposeScope());
    }

    private (Tensor Coarse, Tensor Fine) ForwardFolded(Tensor x)
    {
        // Intermediates are disposed as soon as they are used up: at large sizes the 1/2-resolution maps are GBs each.
        using var scope = NewDisposeScope();
        if (ChannelsLast) x = ToChannelsLast(x);
        var x0 = ConvBn.Forward(conv1, bn1, x).relu_();
        var x1 = Blocks(layer1, x0, disposeInput: true);
        var x2 = Blocks(layer2, x1);
        var x3 = Blocks(layer3, x2);
        Tap?.Invoke("layer3_out", x3);

        Tensor coarse, fine;
        if (!_is16x4)
        {
            coarse = layer3_outconv.forward(x3);
            x3.Dispose();
            var x2Out = UpsampleAdd(layer2_outconv.forward(x2), coarse);
            x2.Dispose();
            x2Out = OutConv2Folded(layer2_outconv2, x2Out);
            var x1Out = layer1_outconv!.forward(x1);
            x1.Dispose();
            fine = OutConv2Folded(layer1_outconv2!, UpsampleAdd(x1Out, x2Out));
        }
        else
        {
            var x4 = Blocks(layer4!, x3);
            coarse = layer4_outconv!.forward(x4);
            x4.Dispose();
            var x3Out = UpsampleAdd(layer3_outconv.forward(x3), coarse);
            x3.Dispose();
            x3Out = OutConv2Folded(layer3_outconv2!, x3Out);
            var x2Out = layer2_outconv.forward(x2);
            x2.Dispose();
            fine = OutConv2Folded(layer2_outconv2, UpsampleAdd(x2Out, x3Out));
        }
        return (coarse.MoveToOuterDisposeScope(), fine.MoveToOuterDisposeScope());
    }

    /// <summary><paramref name="lateral"/> += bilinear 2x upsampling of <paramref name="top"/> (the upsampled copy is freed at once).</summary>
    private static Tensor UpsampleAdd(Tensor lateral, Tensor top)
    {
        using var up = Upsample2x(top, lateral);
        return lateral.add_(up, Scalars.One);
    }

    /// <summary>Runs the blocks of a layer; each block's input is disposed once used, except the layer's own input
    /// unless <paramref name="disposeInput"/>.</summary>
    private static Tensor Blocks(Sequential layer, Tensor x, bool disposeInput = false)
    {
        bool owned = disposeInput;
        foreach (var block in layer.children())
        {
            var y = ((BasicBlock)block).ForwardFolded(x);
            if (owned) x.Dispose();
            x = y;
            owned = true;
        }
        return x;
    }

    /// <summary>conv3x3, BN, LeakyReLU(0.01), conv3x3: the block's modules in turn, the norm through <see cref="BatchNorms"/>.</summary>
    private static Tensor OutConv2Unfolded(Sequential outConv2, Tensor x)
    {
        var m = outConv2.children().ToArray();
        var y = BatchNorms.Forward((BatchNorm2d)m[1], ((Conv2d)m[0]).forward(x));
        return ((Conv2d)m[3]).forward(((LeakyRelu)m[2]).forward(y));
    }

    /// <summary>
    /// conv3x3, BN, LeakyReLU(0.01), conv3x3 with the norm folded and the activation in place. Disposes
    /// <paramref name="x"/> (an FPN sum nothing else uses) once the first convolution has read it.
    /// </summary>
    private static Tensor OutConv2Folded(Sequential outConv2, Tensor x)
    {
        var m = outConv2.children().ToArray();
        var y = ConvBn.Forward((Conv2d)m[0], (BatchNorm2d)m[1], x);
        x.Dispose();
        y.leaky_relu_(LeakyRelu.Slope);
        var result = ((Conv2d)m[3]).forward(y);
        y.Dispose();
        return result;
    }

    /// <summary>Bilinear 2x upsampling with aligned corners, to the spatial size of <paramref name="like"/>.</summary>
    private static Tensor Upsample2x(Tensor x, Tensor like) =>
        functional.interpolate(x, size: [like.shape[2], like.shape[3]], mode: InterpolationMode.Bilinear, align_corners: true);
}
