namespace Loftr.Colmap;

/// <summary>
/// COLMAP's image-pair identifier: <c>pair_id = id1 * 2147483647 + id2</c> with <c>id1 &lt; id2</c>, so a pair
/// has one id whatever order its images are given in.
/// </summary>
public static class ColmapPairId
{
    /// <summary>COLMAP's <c>kMaxNumImages</c> (2^31 - 1): image ids must be below it.</summary>
    public const long MaxImageId = 2147483647;

    /// <summary>The pair id of two images, in either order.</summary>
    /// <param name="imageId1">One image id (positive, below <see cref="MaxImageId"/>).</param>
    /// <param name="imageId2">The other image id (different from <paramref name="imageId1"/>).</param>
    /// <returns>The pair id.</returns>
    public static long Encode(int imageId1, int imageId2)
    {
        RequireValid(imageId1, nameof(imageId1));
        RequireValid(imageId2, nameof(imageId2));
        if (imageId1 == imageId2) throw new ArgumentException($"A pair needs two different images, got image {imageId1} twice.");
        if (imageId1 > imageId2) (imageId1, imageId2) = (imageId2, imageId1);
        return imageId1 * MaxImageId + imageId2;
    }

    /// <summary>The two image ids of a pair id, smaller first.</summary>
    /// <param name="pairId">A pair id from <see cref="Encode"/>.</param>
    /// <returns>(id1, id2) with id1 &lt; id2.</returns>
    public static (int ImageId1, int ImageId2) Decode(long pairId)
    {
        if (pairId <= 0) throw new ArgumentOutOfRangeException(nameof(pairId), $"Invalid COLMAP pair id {pairId}.");
        long id2 = pairId % MaxImageId;
        long id1 = (pairId - id2) / MaxImageId;
        return ((int)id1, (int)id2);
    }

    /// <summary>
    /// True when a pair given as (<paramref name="imageId1"/>, <paramref name="imageId2"/>) is stored the other way
    /// round, so match columns must be swapped (and F, E transposed, H inverted).
    /// </summary>
    /// <param name="imageId1">First image of the pair as given.</param>
    /// <param name="imageId2">Second image of the pair as given.</param>
    /// <returns>Whether COLMAP stores the pair swapped.</returns>
    public static bool IsSwapped(int imageId1, int imageId2) => imageId1 > imageId2;

    private static void RequireValid(int id, string name)
    {
        if (id <= 0 || id >= MaxImageId)
            throw new ArgumentOutOfRangeException(name, $"COLMAP image ids must be in [1, {MaxImageId}), got {id}.");
    }
}
