using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;

namespace Loftr.Tests.Evaluation;

public class PairsWithGtReaderTests
{
    [Fact]
    public void ReadsScanNetPairs()
    {
        var pairs = PairsWithGtReader.Read(TestData.Path("eval/scannet/scannet_pairs.txt"));
        Assert.Equal(14, pairs.Count);
        var p = pairs[0];
        Assert.Equal("images_640x480/scene0711_00_frame-001680.png", p.Name0);
        Assert.Equal("images_640x480/scene0711_00_frame-001995.png", p.Name1);
        Assert.Equal((0, 0), (p.Rotation0, p.Rotation1));
        Assert.Equal(1, p.LineNumber);
        var k = new double[,] { { 574.5432098765433, 0.0, 322.77827160493825 }, { 0.0, 577.5818181818182, 238.8099173553719 }, { 0.0, 0.0, 1.0 } };
        Assert.Equal(k, p.K0);
        Assert.Equal(k, p.K1);
        var t = new double[,]
        {
            { 0.78593, -0.35128, 0.50884, -1.51061 },
            { 0.39215, 0.91944, 0.02904, -0.05367 },
            { -0.47805, 0.17672, 0.86037, 0.056 },
            { 0, 0, 0, 1 },
        };
        Assert.Equal(t, p.T0to1);
        Assert.Equal("images_640x480/scene0806_00_frame-000225.png", pairs[13].Name0);
        Assert.All(pairs, q => Assert.True(File.Exists(Path.Combine(TestData.Path("eval/scannet"), q.Name0))));
        Assert.All(pairs, q => Assert.True(File.Exists(Path.Combine(TestData.Path("eval/scannet"), q.Name1))));
        Assert.Equal(14, pairs.Select(q => q.Identifier).Distinct().Count());
    }

    private static string Line(string n0, string n1, string rot = "0 0", int tCount = 16)
    {
        var k = "500 0 320 0 500 240 0 0 1";
        var t = string.Join(' ', new[] { "1", "0", "0", "0.5", "0", "1", "0", "0", "0", "0", "1", "0", "0", "0", "0", "1" }.Take(tCount));
        return $"{n0} {n1} {rot} {k} {k} {t}";
    }

    [Fact]
    public void SkipsCommentsAndBlankLines()
    {
        string text = "# header comment\n\n" + Line("a.png", "b.png") + "  # trailing comment\n" + Line("c.png", "d.png", "1 3") + "\n";
        var pairs = PairsWithGtReader.Parse(new StringReader(text), "pairs.txt");
        Assert.Equal(2, pairs.Count);
        Assert.Equal(3, pairs[0].LineNumber);
        Assert.Equal((1, 3), (pairs[1].Rotation0, pairs[1].Rotation1));
        Assert.Equal(0.5, pairs[0].T0to1[0, 3]);
        Assert.Equal(240.0, pairs[1].K1[1, 2]);
    }

    [Fact]
    public void MalformedLineErrorNamesFileAndLineNumber()
    {
        string text = Line("a.png", "b.png") + "\n# comment\n" + Line("c.png", "d.png", tCount: 12) + "\n";
        var ex = Assert.Throws<FormatException>(() => PairsWithGtReader.Parse(new StringReader(text), "my_pairs.txt"));
        Assert.Contains("my_pairs.txt:3", ex.Message);
        Assert.Contains("found 34", ex.Message);

        string bad = Line("a.png", "b.png").Replace(" 320 ", " 3x0 ");
        ex = Assert.Throws<FormatException>(() => PairsWithGtReader.Parse(new StringReader("\n" + bad), "p.txt"));
        Assert.Contains("p.txt:2", ex.Message);
        Assert.Contains("3x0", ex.Message);

        ex = Assert.Throws<FormatException>(() => PairsWithGtReader.Parse(new StringReader(Line("a", "b", "x 0")), "p.txt"));
        Assert.Contains("p.txt:1", ex.Message);
        Assert.Contains("rot0", ex.Message);
    }

    [Fact]
    public void ReadingAFileUsesItsPathInErrors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loftr_pairs_{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(path, Line("a.png", "b.png") + "\nonly two\n");
            var ex = Assert.Throws<FormatException>(() => PairsWithGtReader.Read(path));
            Assert.Contains($"{path}:2", ex.Message);
        }
        finally { File.Delete(path); }
    }
}
