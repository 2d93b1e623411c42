using System.Runtime.InteropServices;

namespace Loftr;

/// <summary>Process-wide settings that matter for CPU inference speed. Nothing here is applied implicitly.</summary>
public static partial class LoftrRuntime
{
    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;

    /// <summary>Sets the number of threads libtorch uses for intra-op parallelism (default: all cores).</summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        TorchSharp.torch.set_num_threads(threads);
    }

    /// <summary>
    /// Tunes glibc's allocator for large tensors: no mmap for big blocks and no trimming, so freed tensor memory is
    /// reused instead of being returned to the kernel and faulted in (and zeroed) again on the next forward pass.
    /// The resident size then stays at its peak instead of shrinking between calls. Returns false where glibc's
    /// <c>mallopt</c> is not available (other C libraries, other operating systems).
    /// </summary>
    public static bool TuneAllocator()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return mallopt(MMmapMax, 0) == 1 && mallopt(MTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Returns the freed heap memory to the kernel (glibc's <c>malloc_trim</c>), e.g. after matching very large images
    /// with the allocator tuned (<see cref="TuneAllocator"/> keeps freed memory for reuse). Returns false where it is not
    /// available or released nothing.
    /// </summary>
    public static bool ReleaseFreeMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return malloc_trim(0) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);
}
