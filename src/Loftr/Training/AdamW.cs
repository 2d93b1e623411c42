using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>Per-parameter state of <see cref="AdamW"/> (the fields of PyTorch's <c>optimizer.state[p]</c>).</summary>
public sealed class AdamWState : IDisposable
{
    /// <summary>Number of updates applied to the parameter.</summary>
    public long Step { get; set; }
    /// <summary>First moment (same shape as the parameter, float32).</summary>
    public required Tensor ExpAvg { get; init; }
    /// <summary>Second moment.</summary>
    public required Tensor ExpAvgSq { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
    }
}

/// <summary>
/// Adam with decoupled weight decay, the update of PyTorch's <c>torch.optim.AdamW</c> (single-tensor path, no amsgrad):
/// p *= 1 - lr*wd; m = lerp(m, g, 1-b1); v = b2 v + (1-b2) g²; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
/// With <see cref="Decoupled"/> false it is <c>torch.optim.Adam</c> (L2 decay added to the gradient). Written out so
/// its state can be saved in PyTorch's layout and the parameters can be fp32 masters of a bf16 model. Parameters
/// without a gradient are skipped, as in PyTorch.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly Parameter[] _params;
    private readonly AdamWState?[] _state;

    /// <summary>Creates the optimizer.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double learningRate, double weightDecay = 0.01,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, bool decoupled = true)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _params = parameters.ToArray();
        _state = new AdamWState?[_params.Length];
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        Decoupled = decoupled;
    }

    /// <summary>Learning rate of the next step.</summary>
    public double LearningRate { get; set; }
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; }
    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }
    /// <summary>True for AdamW (decoupled decay), false for Adam (L2 decay in the gradient).</summary>
    public bool Decoupled { get; }

    /// <summary>The optimised parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => _params;

    /// <summary>State of parameter <paramref name="index"/>, null before its first update.</summary>
    public AdamWState? State(int index) => _state[index];

    /// <summary>Replaces the state of parameter <paramref name="index"/> (copies the tensors).</summary>
    public void SetState(int index, long step, Tensor expAvg, Tensor expAvgSq)
    {
        var p = _params[index];
        if (!expAvg.shape.SequenceEqual(p.shape) || !expAvgSq.shape.SequenceEqual(p.shape))
            throw new ArgumentException($"Optimizer state of parameter {index} has shape [{string.Join(", ", expAvg.shape)}], the parameter [{string.Join(", ", p.shape)}].");
        _state[index]?.Dispose();
        _state[index] = new AdamWState
        {
            Step = step,
            ExpAvg = expAvg.detach().to(ScalarType.Float32).clone().DetachFromDisposeScope(),
            ExpAvgSq = expAvgSq.detach().to(ScalarType.Float32).clone().DetachFromDisposeScope(),
        };
    }

    /// <summary>Sets every gradient to null.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _params)
        {
            var g = p.grad;
            if (g is null) continue;
            p.grad = null;
            g.Dispose();
        }
    }

    /// <summary>Applies one update with the current gradients.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int k = 0; k < _params.Length; k++)
        {
            var p = _params[k];
            var grad = p.grad;
            if (grad is null) continue;
            var st = _state[k] ??= new AdamWState
            {
                ExpAvg = zeros_like(p, dtype: ScalarType.Float32).DetachFromDisposeScope(),
                ExpAvgSq = zeros_like(p, dtype: ScalarType.Float32).DetachFromDisposeScope(),
            };
            st.Step++;
            if (Decoupled)
            {
                using var decay = (1 - LearningRate * WeightDecay).ToScalar();
                p.mul_(decay);
            }
            else if (WeightDecay != 0)
            {
                using var decay = WeightDecay.ToScalar();
                grad = grad.add(p, alpha: decay);
            }
            using var expAvgWeight = tensor(1 - Beta1); // lerp_ takes its weight as a (float64) tensor
            using var beta2 = Beta2.ToScalar();
            using var expAvgSqWeight = (1 - Beta2).ToScalar();
            st.ExpAvg.lerp_(grad, expAvgWeight);
            st.ExpAvgSq.mul_(beta2).addcmul_(grad, grad, value: expAvgSqWeight);
            double bias1 = 1 - Math.Pow(Beta1, st.Step);
            using var bias2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, st.Step)).ToScalar();
            using var eps = Eps.ToScalar();
            using var stepSize = (-LearningRate / bias1).ToScalar();
            var denom = st.ExpAvgSq.sqrt().div(bias2Sqrt).add_(eps, Scalars.One);
            p.addcdiv_(st.ExpAvg, denom, value: stepSize);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _state) s?.Dispose();
        Array.Clear(_state);
    }
}
