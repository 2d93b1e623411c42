using System.Security.Cryptography;
using Loftr.Model;

namespace Loftr;

/// <summary>
/// The model trained by this project and shipped inside the library (see <c>docs/model-card.md</c>): a small LoFTR
/// trained on CPU with homography self-supervision. Used when no weights are given.
/// </summary>
public static class DefaultModel
{
    private const string ResourceName = "Loftr.DefaultModel.safetensors";
    private static readonly Lock Gate = new();
    private static string? _extracted;

    /// <summary>Whether this build of the library carries the default model.</summary>
    public static bool IsAvailable => typeof(DefaultModel).Assembly.GetManifestResourceInfo(ResourceName) is not null;

    /// <summary>
    /// The default weights as a <c>.safetensors</c> file on disk: extracted once from the assembly into
    /// <see cref="PretrainedWeights.DefaultCacheDirectory"/> (or the temporary folder when that is not writable),
    /// named by their SHA-256 so different versions never collide.
    /// </summary>
    /// <exception cref="InvalidOperationException">This build carries no default model.</exception>
    public static string WeightsPath
    {
        get
        {
            lock (Gate)
            {
                if (_extracted is not null && File.Exists(_extracted)) return _extracted;
                byte[] bytes = ReadBytes();
                string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                string name = $"loftr-default-{sha[..16]}.safetensors";
                foreach (string dir in new[] { PretrainedWeights.DefaultCacheDirectory, Path.Combine(Path.GetTempPath(), "loftr-dotnet") })
                {
                    try
                    {
                        Directory.CreateDirectory(dir);
                        string path = Path.Combine(dir, name);
                        if (!File.Exists(path) || new FileInfo(path).Length != bytes.Length)
                        {
                            string tmp = path + "." + Environment.ProcessId + ".tmp";
                            File.WriteAllBytes(tmp, bytes);
                            File.Move(tmp, path, overwrite: true);
                        }
                        return _extracted = path;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // try the next folder
                    }
                }
                throw new IOException($"Cannot write the default model to {PretrainedWeights.DefaultCacheDirectory} or the temporary folder.");
            }
        }
    }

    /// <summary>Loads the default model (configuration from the file's metadata).</summary>
    /// <exception cref="InvalidOperationException">This build carries no default model.</exception>
    public static LoftrModel Load() => LoftrCheckpoint.LoadModel(WeightsPath);

    private static byte[] ReadBytes()
    {
        using var stream = typeof(DefaultModel).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("This build of the Loftr library carries no default model (models/loftr-default.safetensors was absent at build time); pass weights explicitly.");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}
