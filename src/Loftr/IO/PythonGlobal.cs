namespace Loftr.IO;

/// <summary>
/// An inert reference to a Python class or object by its qualified name, as found in a pickle (for example a
/// PyTorch-Lightning callback class used as a dictionary key, or <c>torch.float32</c>). It is only a name: nothing
/// is ever imported or called.
/// </summary>
/// <param name="Module">The Python module, e.g. <c>pytorch_lightning.callbacks.model_checkpoint</c>.</param>
/// <param name="Name">The attribute name, e.g. <c>ModelCheckpoint</c>.</param>
public sealed record PythonGlobal(string Module, string Name)
{
    /// <summary>"module.name".</summary>
    public string FullName => Module + "." + Name;

    /// <summary>Returns <see cref="FullName"/>.</summary>
    public override string ToString() => FullName;
}
