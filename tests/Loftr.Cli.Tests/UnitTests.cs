using Loftr.Cli.Input;
using Loftr.Cli.Matching;
using Loftr.Cli.Output;
using Loftr.Cli.Tests.Infrastructure;
using Loftr.IO;
using OpenCvSharp;

namespace Loftr.Cli.Tests;

public sealed class RotationTests
{
    [Theory]
    [InlineData(90)]
    [InlineData(180)]
    [InlineData(270)]
    public void MappingMatchesCv2RotatePixelForPixel(int degrees)
    {
        const int w = 7, h = 5;
        using var image = new Mat(h, w, MatType.CV_8UC1);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) image.Set(y, x, (byte)(10 * y + x));
        using var rotated = Rotation.Rotate(image, degrees);
        var size = new ImageSize(w, h);
        int rows = rotated.Rows, cols = rotated.Cols;
        Assert.Equal(degrees == 180 ? (w, h) : (h, w), (cols, rows));
        for (int v = 0; v < rows; v++)
        for (int u = 0; u < cols; u++)
        {
            var p = Rotation.ToOriginal(new Point2(u, v), degrees, size);
            Assert.Equal(rotated.At<byte>(v, u), image.At<byte>((int)p.Y, (int)p.X));
            Assert.Equal(new Point2(u, v), Rotation.ToRotated(p, degrees, size));
        }
    }

    [Fact]
    public void SubPixelPointsRoundTripExactly()
    {
        var size = new ImageSize(640, 480);
        var p = new Point2(123.25f, 77.5f);
        foreach (int d in new[] { 0, 90, 180, 270 }) Assert.Equal(p, Rotation.ToOriginal(Rotation.ToRotated(p, d, size), d, size));
    }
}

public sealed class MatchMergeTests
{
    private static PairMatches Set(params (float X0, float Y0, float X1, float Y1, float C)[] m) => new()
    {
        ImageSize0 = new ImageSize(100, 100),
        ImageSize1 = new ImageSize(100, 100),
        Keypoints0 = m.Select(t => new Point2(t.X0, t.Y0)).ToArray(),
        Keypoints1 = m.Select(t => new Point2(t.X1, t.Y1)).ToArray(),
        Confidence = m.Select(t => t.C).ToArray(),
        Rotation = 0,
    };

    [Fact]
    public void DropsLaterMatchesWithinTwoPixelsInBothImages()
    {
        var a = Set((10, 10, 20, 20, 0.9f), (10, 11, 50, 50, 0.8f)); // close in image 0, not a duplicate within a set
        var b = Set((11, 11, 21, 21, 0.5f),   // within 2 px of a[0] in both images → dropped
                    (11.5f, 11.5f, 40, 40, 0.4f), // close in image 0 only → kept
                    (30, 30, 20, 20, 0.3f),   // close in image 1 only → kept
                    (12, 10, 20, 20, 0.2f));  // exactly 2 px from a[0] in image 0 and 0 in image 1 → dropped
        var u = MatchMerge.Union([a, b]);
        Assert.Equal([0.9f, 0.8f, 0.4f, 0.3f], u.Confidence);
        Assert.Equal(new Point2(11.5f, 11.5f), u.Keypoints0[2]);
    }
}

public sealed class ParsingTests
{
    [Theory]
    [InlineData("500,510,320,240")]
    [InlineData("500 0 320\n0 510 240\n0 0 1")]
    [InlineData("500, 0, 320, 0, 510, 240, 0, 0, 1")]
    public void IntrinsicsInBothFormats(string text)
    {
        Assert.True(Intrinsics.TryParse(text, "--K0", out var k, out var why), why);
        Assert.Equal(new double[,] { { 500, 0, 320 }, { 0, 510, 240 }, { 0, 0, 1 } }, k);
    }

    [Theory]
    [InlineData("640", 640, 0, 0)]
    [InlineData("640x480", 0, 640, 480)]
    [InlineData("none", 0, 0, 0)]
    public void ResizeForms(string text, int longSide, int w, int h)
    {
        Assert.True(ResizeSpec.TryParse(text, out var spec, out var why), why);
        Assert.Equal(longSide == 0 ? null : longSide, spec.LongSide);
        Assert.Equal(w == 0 ? null : new ImageSize(w, h), spec.Size);
        if (w != 0) Assert.Equal(new ImageSize(h, w), spec.ToOptions(swap: true).Size);
    }

    [Fact]
    public void PairsListSkipsCommentsBlankLinesDuplicatesAndExtraColumns()
    {
        using var dir = new TempDir();
        string path = dir.File("p.txt");
        File.WriteAllText(path, "# header\n\n  a.png\tb.png  1 2 3\nc.png d.png\n# a.png b.png\na.png b.png\n");
        var (pairs, duplicates) = PairsList.Read(path);
        Assert.Equal([new PairEntry("a.png", "b.png", 3), new PairEntry("c.png", "d.png", 4)], pairs);
        Assert.Equal(1, duplicates);
    }
}

public sealed class NpyWriterTests
{
    [Fact]
    public void ArchivesReadBackWithTheLibraryNumpyReader()
    {
        using var dir = new TempDir();
        string path = dir.File("a.npz");
        using (var fs = File.Create(path))
            NpyWriter.WriteNpz(fs, [
                ("f", NpyWriter.Float32([1.5f, -2f, 3.25f, 4f, 5f, 6f], 3, 2)),
                ("d", NpyWriter.Float64([Math.PI], 1, 1)),
                ("b", NpyWriter.Bool([true, false, true], 3)),
                ("empty", NpyWriter.Float32([], 0, 2)),
            ]);
        var a = Npz.Load(path);
        Assert.Equal(["f", "d", "b", "empty"], a.Keys);
        Assert.Equal(new long[] { 3, 2 }, a["f"].Shape);
        Assert.Equal([1.5f, -2f, 3.25f, 4f, 5f, 6f], a["f"].AsSingle());
        Assert.Equal([Math.PI], a["d"].AsDouble());
        Assert.Equal([true, false, true], a["b"].AsBoolean());
        Assert.Equal(new long[] { 0, 2 }, a["empty"].Shape);
        // Every header is padded so the data starts on a 64-byte boundary (numpy's format 1.0).
        using var ms = new MemoryStream();
        NpyWriter.WriteNpy(ms, NpyWriter.Bool([true], 1));
        Assert.Equal(129, ms.Length);
    }
}
