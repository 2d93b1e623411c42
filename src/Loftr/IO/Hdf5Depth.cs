using Loftr.Imaging;
using PureHDF;

namespace Loftr.IO;

/// <summary>
/// Reads a depth map stored as a 2-D floating-point HDF5 dataset (MegaDepth's <c>*.h5</c> files hold one dataset
/// <c>depth</c>, float32, metres up to scale, 0 = unknown), as the reference's <c>read_megadepth_depth</c> does with h5py.
/// Pure managed reader (PureHDF): contiguous, compact and chunked layouts, deflate/shuffle filters.
/// </summary>
public static class Hdf5Depth
{
    /// <summary>Reads dataset <paramref name="dataset"/> of <paramref name="path"/> as an image of depths.</summary>
    /// <param name="path">The HDF5 file.</param>
    /// <param name="dataset">Dataset path inside the file (default <c>depth</c>).</param>
    /// <returns>The depths as float32, row-major [height, width].</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not an HDF5 file, no such dataset, not 2-D or not floating point.</exception>
    public static GrayImage Read(string path, string dataset = "depth")
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(dataset);
        if (!File.Exists(path)) throw new FileNotFoundException($"Depth map not found: {path}", path);
        try
        {
            using var file = H5File.OpenRead(path);
            if (!file.LinkExists(dataset))
                throw new InvalidDataException($"{path}: the HDF5 file has no dataset '{dataset}'.");
            var ds = file.Dataset(dataset);
            var dims = ds.Space.Dimensions;
            if (dims.Length != 2 || dims[0] == 0 || dims[1] == 0 || dims[0] * dims[1] > int.MaxValue)
                throw new InvalidDataException($"{path}: dataset '{dataset}' has shape [{string.Join(", ", dims)}], expected a non-empty 2-D depth map.");
            if (ds.Type.Class != H5DataTypeClass.FloatingPoint)
                throw new InvalidDataException($"{path}: dataset '{dataset}' holds {ds.Type.Class} values, expected floating point depths.");
            int height = (int)dims[0], width = (int)dims[1];
            float[] pixels = ds.Type.Size switch
            {
                4 => ds.Read<float[]>(),
                8 => Array.ConvertAll(ds.Read<double[]>(), v => (float)v),
                2 => Array.ConvertAll(ds.Read<Half[]>(), v => (float)v),
                _ => throw new InvalidDataException($"{path}: dataset '{dataset}' has {ds.Type.Size}-byte floats, expected 2, 4 or 8."),
            };
            if (pixels.Length != width * height)
                throw new InvalidDataException($"{path}: dataset '{dataset}' returned {pixels.Length} values for {height}x{width}.");
            return new GrayImage(pixels, width, height);
        }
        catch (Exception e) when (e is not InvalidDataException and not FileNotFoundException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a readable HDF5 depth file ({e.GetType().Name}: {e.Message}).", e);
        }
    }
}
