using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;

namespace Loftr.Tests.Evaluation;

public class HomographyMetricsTests
{
    private static readonly double[,] KnownH =
    {
        { 0.9, -0.12, 35.0 },
        { 0.08, 1.05, -12.0 },
        { 2.0e-4, -1.0e-4, 1.0 },
    };

    private static (Point2d[] P0, Point2d[] P1) GridCorrespondences(double[,] h, int width, int height, int step)
    {
        var p0 = new List<Point2d>();
        for (int y = 10; y < height; y += step)
            for (int x = 10; x < width; x += step) p0.Add(new Point2d(x + 0.25 * (y % 3), y + 0.5 * (x % 2)));
        var p1 = p0.Select(p => HomographyMetrics.Project(h, p)).ToArray();
        return (p0.ToArray(), p1);
    }

    [Fact]
    public void ExactCorrespondencesGiveZeroCornerError()
    {
        var (p0, p1) = GridCorrespondences(KnownH, 640, 480, 40);
        var est = HomographyMetrics.EstimateHomography(p0, p1);
        Assert.NotNull(est);
        Assert.Equal(p0.Length, est.InlierCount);
        double err = HomographyMetrics.MeanCornerError(est.Matrix, KnownH, 640, 480);
        Assert.True(err < 1e-4, $"corner error {err}"); // findHomography works on float32 points
        Assert.All(HomographyMetrics.ReprojectionErrors(p0, p1, KnownH), e => Assert.True(e < 1e-9));
    }

    [Fact]
    public void CornerErrorOfShiftedHomographyIsTheShift()
    {
        // H_est = T(3, 4) * H_gt: every corner lands 5 px from the GT corner.
        var t = new double[,] { { 1, 0, 3 }, { 0, 1, 4 }, { 0, 0, 1 } };
        var est = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) est[i, j] += t[i, k] * KnownH[k, j];
        var ce = HomographyMetrics.CornerErrors(est, KnownH, 800, 640);
        Assert.All(ce, e => Assert.Equal(5.0, e, 1e-9));
        Assert.Equal(5.0, HomographyMetrics.MeanCornerError(est, KnownH, 800, 640), 1e-9);
        Assert.True(double.IsPositiveInfinity(HomographyMetrics.MeanCornerError(null, KnownH, 800, 640)));
        Assert.Equal([new Point2d(0, 0), new Point2d(799, 0), new Point2d(799, 639), new Point2d(0, 639)], HomographyMetrics.ImageCorners(800, 640));
    }

    [Fact]
    public void ReprojectionErrorAndFractions()
    {
        var id = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        Point2d[] p0 = [new(10, 10), new(20, 20), new(30, 30), new(40, 40)];
        Point2d[] p1 = [new(10, 10), new(21, 20), new(33, 34), new(40, 50)];
        var e = HomographyMetrics.ReprojectionErrors(p0, p1, id);
        Assert.Equal([0.0, 1.0, 5.0, 10.0], e.Select(v => Math.Round(v, 9)).ToArray());
        // Thresholds are inclusive (dist <= t), as in the Patch2Pix / immatch matching accuracy.
        Assert.Equal([0.5, 0.5, 0.75, 1.0], HomographyMetrics.FractionWithin(e, [1, 3, 5, 10]));
        Assert.Equal([0.0], HomographyMetrics.FractionWithin([], [1]));
    }

    [Fact]
    public void CornerAucMatchesHandComputedValues()
    {
        // errors [1, 4, inf] -> x = [0, 1, 4, inf], recall = [0, 1/3, 2/3, 1]
        // @3 : (0,0) (1,1/3) (3,1/3): 1/6 + 2/3 = 5/6; / 3 = 5/18
        // @5 : (0,0) (1,1/3) (4,2/3) (5,2/3): 1/6 + 3/2 + 2/3 = 7/3; / 5 = 7/15
        // @10: (0,0) (1,1/3) (4,2/3) (10,2/3): 1/6 + 3/2 + 4 = 17/3; / 10 = 17/30
        var auc = HomographyMetrics.Auc([4.0, double.PositiveInfinity, 1.0]);
        Assert.Equal(5.0 / 18, auc[0], 1e-12);
        Assert.Equal(7.0 / 15, auc[1], 1e-12);
        Assert.Equal(17.0 / 30, auc[2], 1e-12);
    }

    [Fact]
    public void GraffitiGroundTruthParsesAndEqualsXmlNode()
    {
        var txt = HomographyFile.ReadText(TestData.Path("eval/homography/graf_H1to3.txt"));
        var expected = new double[,]
        {
            { 7.6285898e-01, -2.9922929e-01, 2.2567123e+02 },
            { 3.3443473e-01, 1.0143901e+00, -7.6999973e+01 },
            { 3.4663091e-04, -1.4364524e-05, 1.0000000e+00 },
        };
        Assert.Equal(expected, txt);
        var xml = HomographyFile.ReadOpenCvStorage(TestData.Path("eval/homography/H1to3p.xml"), "H13");
        Assert.Equal(txt, xml);
        // Auto-detection of the format, first node by default.
        Assert.Equal(txt, HomographyFile.Read(TestData.Path("eval/homography/H1to3p.xml")));
        Assert.Equal(txt, HomographyFile.Read(TestData.Path("eval/homography/graf_H1to3.txt")));
        var ex = Assert.Throws<FormatException>(() => HomographyFile.ReadOpenCvStorage(TestData.Path("eval/homography/H1to3p.xml"), "H12"));
        Assert.Contains("H12", ex.Message);
    }

    [Fact]
    public void TextHomographyRejectsWrongCountAndRoundTrips()
    {
        Assert.Contains("found 8", Assert.Throws<FormatException>(() => HomographyFile.ParseText("1 0 0\n0 1 0\n0 0", "h.txt")).Message);
        Assert.Contains("h.txt:2", Assert.Throws<FormatException>(() => HomographyFile.ParseText("1 0 0\n0 x 0\n0 0 1", "h.txt")).Message);
        string path = Path.Combine(Path.GetTempPath(), $"loftr_h_{Guid.NewGuid():N}.txt");
        try
        {
            HomographyFile.WriteText(path, KnownH);
            Assert.Equal(KnownH, HomographyFile.ReadText(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ResizeShortSideAndRescaledHomographyAreConsistent()
    {
        var r = HPatchesProtocol.ResizeShortSide(800, 640);
        Assert.Equal((600, 480, 0.75, 0.75), r);
        var portrait = HPatchesProtocol.ResizeShortSide(765, 1000, divisibleBy: 8);
        Assert.Equal(480, portrait.Width);
        Assert.Equal(624, portrait.Height); // round(1000 * 480 / 765) = 627 -> floored to a multiple of 8

        var (p0, p1) = GridCorrespondences(KnownH, 800, 640, 100);
        var h = HPatchesProtocol.ResizedHomography(KnownH, (800, 640), (765, 1000));
        var r1 = HPatchesProtocol.ResizeShortSide(765, 1000);
        for (int i = 0; i < p0.Length; i++)
        {
            var q = HomographyMetrics.Project(h, new Point2d(p0[i].X * r.ScaleX, p0[i].Y * r.ScaleY));
            Assert.Equal(p1[i].X * r1.ScaleX, q.X, 1e-9);
            Assert.Equal(p1[i].Y * r1.ScaleY, q.Y, 1e-9);
        }
        Assert.Equal(8, HPatchesProtocol.ExcludedSequences.Count);
        Assert.Contains("v_astronautis", HPatchesProtocol.ExcludedSequences);
        Assert.Equal(1024, HPatchesProtocol.TopMatches);
    }

    [Fact]
    public void TopKByConfidenceKeepsMostConfident()
    {
        float[] conf = [0.2f, 0.9f, 0.5f, 0.9f, 0.1f];
        Assert.Equal([1, 3, 2], EvalPoints.TopKByConfidence(conf, 3));
        Assert.Equal(5, EvalPoints.TopKByConfidence(conf, 1024).Length);
    }

    [Fact]
    public void HPatchesReaderEnumeratesPairsAndSkipsExcludedSequences()
    {
        string root = Path.Combine(Path.GetTempPath(), $"loftr_hpatches_{Guid.NewGuid():N}");
        try
        {
            foreach (var seq in new[] { "v_bird", "i_ajuntament", "v_artisans", "not_a_sequence" })
            {
                string dir = Directory.CreateDirectory(Path.Combine(root, seq)).FullName;
                for (int k = 1; k <= 6; k++) File.WriteAllText(Path.Combine(dir, $"{k}.ppm"), "P5");
                for (int k = 2; k <= 6; k++)
                    File.WriteAllText(Path.Combine(dir, $"H_1_{k}"), $"1 0 {k}\n0 1 {seq.Length}\n0 0 1\n");
            }
            Assert.Equal(["i_ajuntament", "v_bird"], HPatchesReader.Sequences(root));
            Assert.Equal(["i_ajuntament", "v_artisans", "v_bird"], HPatchesReader.Sequences(root, includeExcluded: true));
            var pairs = HPatchesReader.EnumeratePairs(root).ToList();
            Assert.Equal(10, pairs.Count);
            Assert.Equal(("i_ajuntament", 2), (pairs[0].Sequence, pairs[0].Index));
            Assert.True(pairs[0].IsIllumination);
            Assert.False(pairs[9].IsIllumination);
            Assert.EndsWith(Path.Combine("v_bird", "6.ppm"), pairs[9].Image1Path);
            Assert.EndsWith(Path.Combine("v_bird", "1.ppm"), pairs[9].Image0Path);
            Assert.Equal(6.0, pairs[9].Homography[0, 2]);
            Assert.Equal(6.0, pairs[9].Homography[1, 2]);
            File.Delete(Path.Combine(root, "v_bird", "H_1_4"));
            Assert.Contains("H_1_4", Assert.Throws<FileNotFoundException>(() => HPatchesReader.EnumeratePairs(root).ToList()).Message);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
