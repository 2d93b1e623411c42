using System.Runtime.InteropServices;

namespace Loftr;

/// <summary>Process-wide settings that matter for CPU inference speed and memory. Nothing here is applied implicitly.</summary>
public static partial class LoftrRuntime
{
    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;
    private const int MMmapThreshold = -3;

    /// <summary>Block size from which <see cref="BoundAllocator"/> serves allocations with mmap (16 MiB).</summary>
    public const int BoundedMmapThreshold = 16 << 20;

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
        => Glibc(() => mallopt(MMmapMax, 0) == 1 && mallopt(MTrimThreshold, int.MaxValue) == 1);

    /// <summary>
    /// Bounds glibc's allocator for large images: blocks of <see cref="BoundedMmapThreshold"/> and more are always mapped
    /// and unmapped on their own, so a freed tensor goes back to the kernel at once. glibc's default raises this
    /// threshold to 32 MiB after the first large free, and the many freed 16-32 MiB blocks (a 1920x1080 coarse map is
    /// 32 MB) then fragment the heap: measured at 1920x1080, full model, peak RSS 4.3 GB with glibc's default and
    /// 5.5-9.3 GB with <see cref="TuneAllocator"/>, 2.25-2.6 GB with this fixed threshold. It costs speed on small
    /// images (640x480, 2 threads: 3.78 s against 3.17 s tuned; docs/benchmarks*.md). The <c>loftr</c> tool calls this at
    /// start. Returns false where glibc's <c>mallopt</c> is not available.
    /// </summary>
    public static bool BoundAllocator()
        => Glibc(() => mallopt(MMmapThreshold, BoundedMmapThreshold) == 1);

    /// <summary>
    /// Returns the freed heap memory to the kernel (glibc's <c>malloc_trim</c>), e.g. after matching very large images
    /// with the allocator tuned (<see cref="TuneAllocator"/> keeps freed memory for reuse). Returns false where it is not
    /// available or released nothing.
    /// </summary>
    public static bool ReleaseFreeMemory()
        => Glibc(() => malloc_trim(0) == 1);

    /// <summary>Runs a glibc call; false on other operating systems or C libraries.</summary>
    private static bool Glibc(Func<bool> call)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return call();
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
