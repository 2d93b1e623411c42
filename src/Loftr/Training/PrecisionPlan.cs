using Loftr.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>
/// How the trainer holds the weights for a <see cref="ComputePrecision"/>. Float32: the optimizer updates the model's
/// parameters directly. BFloat16 (autocast-like, TorchSharp has no autocast): the weights of every convolution and linear
/// layer live in the model as bfloat16 working copies, refreshed from float32 masters before each forward pass; their
/// gradients are copied to the masters, which the optimizer updates. BatchNorm, LayerNorm and the Sinkhorn dustbin stay
/// float32 (libtorch runs bf16 activations through float32 norm parameters), and the matching layers compute in float32.
/// </summary>
internal sealed class PrecisionPlan : IDisposable
{
    private readonly LoftrModel _model;
    private readonly List<(string Name, Parameter Working, Parameter Master)> _cast = [];
    private readonly Dictionary<string, Tensor> _masterByName = new(StringComparer.Ordinal);

    private PrecisionPlan(LoftrModel model, ComputePrecision precision)
    {
        _model = model;
        Precision = precision;
    }

    public ComputePrecision Precision { get; }

    /// <summary>The float32 parameters the optimizer updates, named by <see cref="Names"/>.</summary>
    public List<Parameter> MasterParameters { get; } = [];

    /// <summary>The state-dict name of each master parameter.</summary>
    public List<string> Names { get; } = [];

    public static PrecisionPlan Create(ComputePrecision precision, LoftrModel model)
    {
        var plan = new PrecisionPlan(model, precision);
        var castModules = precision == ComputePrecision.BFloat16
            ? model.named_modules().Where(m => m.module is Conv2d or Linear).Select(m => m.name).ToHashSet(StringComparer.Ordinal)
            : [];
        var masters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var (name, p) in model.named_parameters())
        {
            string owner = name.Contains('.') ? name[..name.LastIndexOf('.')] : "";
            if (castModules.Contains(owner))
                masters[name] = new Parameter(p.detach().clone().to(ScalarType.Float32), requires_grad: true);
        }
        if (castModules.Count > 0)
            foreach (var (name, module) in model.named_modules())
                if (castModules.Contains(name)) module.to(ScalarType.BFloat16);
        foreach (var (name, p) in model.named_parameters())
        {
            plan.Names.Add(name);
            if (masters.TryGetValue(name, out var master))
            {
                plan._cast.Add((name, p, master));
                plan._masterByName[name] = master;
                plan.MasterParameters.Add(master);
            }
            else
            {
                plan.MasterParameters.Add(p);
            }
        }
        return plan;
    }

    /// <summary>The batch in the precision of the first convolution (images cast to bf16 in BFloat16 mode).</summary>
    public TrainingBatch Prepare(TrainingBatch batch)
    {
        if (Precision == ComputePrecision.Float32) return batch;
        var prepared = new TrainingBatch
        {
            Image0 = batch.Image0.to(ScalarType.BFloat16),
            Image1 = batch.Image1.to(ScalarType.BFloat16),
            Mask0 = batch.Mask0,
            Mask1 = batch.Mask1,
            Scale0 = batch.Scale0,
            Scale1 = batch.Scale1,
            Depth = batch.Depth,
            Homography = batch.Homography,
            Names = batch.Names,
        };
        batch.Image0.Dispose();
        batch.Image1.Dispose();
        return prepared;
    }

    /// <summary>Refreshes the bf16 working weights from the masters.</summary>
    public void BeforeForward()
    {
        using var noGrad = no_grad();
        foreach (var (_, working, master) in _cast) working.copy_(master);
    }

    /// <summary>Hands the gradients of the working weights to the masters.</summary>
    public void AfterBackward()
    {
        foreach (var (_, working, master) in _cast)
        {
            using var g = working.grad;
            master.grad = g is null ? null : g.to(ScalarType.Float32);
        }
    }

    /// <summary>Clears the gradients of the working weights.</summary>
    public void ZeroModelGrads()
    {
        foreach (var (_, working, _) in _cast)
        {
            var g = working.grad;
            if (g is null) continue;
            working.grad = null;
            g.Dispose();
        }
    }

    /// <summary>The model's state dict with float32 values (masters for the bf16 layers); tensors belong to the caller's scope.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in _model.state_dict())
            sd[name] = _masterByName.TryGetValue(name, out var master) ? master.detach() : t.detach();
        return sd;
    }

    public void Dispose()
    {
        foreach (var (_, _, master) in _cast) master.Dispose();
    }
}
