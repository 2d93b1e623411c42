using Loftr.Model;
using TorchSharp;

namespace Loftr.Training;

/// <summary>
/// The modules of a model that a run does not train (<see cref="TrainerOptions.Freeze"/>): their parameters get no
/// gradient (the optimizer skips them) and they stay in evaluation mode, so their BatchNorm layers use and keep their
/// running statistics.
/// </summary>
internal sealed class FrozenModules
{
    private readonly List<torch.nn.Module> _modules;

    private FrozenModules(List<torch.nn.Module> modules, long frozenParameters)
    {
        _modules = modules;
        FrozenParameters = frozenParameters;
    }

    /// <summary>Number of frozen parameter values.</summary>
    public long FrozenParameters { get; }

    /// <summary>Freezes the modules named <paramref name="names"/> (state-dict names, e.g. <c>loftr_coarse</c>).</summary>
    /// <exception cref="ArgumentException">A name is not a module of the model, or nothing would be left to train.</exception>
    public static FrozenModules Apply(LoftrModel model, IReadOnlyList<string> names)
    {
        var byName = model.named_modules().Where(m => m.name.Length > 0).ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        var modules = new List<torch.nn.Module>();
        foreach (string name in names.Distinct(StringComparer.Ordinal))
        {
            if (!byName.TryGetValue(name, out var module))
            {
                string top = string.Join(", ", byName.Keys.Where(k => !k.Contains('.')).Order(StringComparer.Ordinal));
                throw new ArgumentException($"Cannot freeze '{name}': the model has no such module (its top-level modules: {top}; " +
                    "deeper ones are named like the state-dict keys, e.g. backbone.layer3).", nameof(names));
            }
            modules.Add(module);
        }
        var frozen = new HashSet<IntPtr>();
        long count = 0;
        foreach (var module in modules)
            foreach (var p in module.parameters())
            {
                p.requires_grad_(false);
                if (frozen.Add(p.Handle)) count += p.numel();
            }
        if (model.parameters().All(p => !p.requires_grad))
            throw new ArgumentException($"Freezing {string.Join(", ", names)} leaves nothing to train.", nameof(names));
        return new FrozenModules(modules, count);
    }

    /// <summary>Puts the model in training mode except for the frozen modules.</summary>
    public void Train(LoftrModel model)
    {
        model.train();
        foreach (var module in _modules) module.eval();
    }
}
