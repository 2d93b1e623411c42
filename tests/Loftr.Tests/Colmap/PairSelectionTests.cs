using Loftr.Colmap;

namespace Loftr.Tests.Colmap;

public class PairSelectionTests
{
    private static readonly string[] Images = ["a.jpg", "b.jpg", "c.jpg", "d/e.jpg"];

    [Fact]
    public void ExhaustiveAndSequential()
    {
        Assert.Equal(6, PairSelection.Exhaustive.Resolve(Images).Count);
        Assert.Equal([("a.jpg", "b.jpg"), ("a.jpg", "c.jpg"), ("b.jpg", "c.jpg"), ("b.jpg", "d/e.jpg"), ("c.jpg", "d/e.jpg")],
            PairSelection.Sequential(2).Resolve(Images));
        Assert.Equal(3, PairSelection.Sequential(1).Resolve(Images).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => PairSelection.Sequential(0));
    }

    [Fact]
    public void PairsFileSkipsCommentsAndDuplicatesAndNamesBadLines()
    {
        using var tmp = ColmapTestSupport.Temp();
        File.WriteAllLines(tmp["pairs.txt"], ["# retrieval pairs", "a.jpg b.jpg", "", "b.jpg a.jpg", "d/e.jpg c.jpg 0.93"]);
        Assert.Equal([("a.jpg", "b.jpg"), ("d/e.jpg", "c.jpg")], PairSelection.FromFile(tmp["pairs.txt"]).Resolve(Images));

        File.WriteAllLines(tmp["bad.txt"], ["a.jpg b.jpg", "a.jpg z.jpg"]);
        var e = Assert.Throws<InvalidDataException>(() => PairSelection.FromFile(tmp["bad.txt"]).Resolve(Images));
        Assert.Contains("bad.txt:2", e.Message);
        Assert.Contains("z.jpg", e.Message);
        File.WriteAllLines(tmp["self.txt"], ["a.jpg a.jpg"]);
        Assert.Throws<InvalidDataException>(() => PairSelection.FromFile(tmp["self.txt"]).Resolve(Images));
        File.WriteAllLines(tmp["one.txt"], ["a.jpg"]);
        Assert.Throws<InvalidDataException>(() => PairSelection.FromFile(tmp["one.txt"]).Resolve(Images));
        Assert.Throws<FileNotFoundException>(() => PairSelection.FromFile(tmp["none.txt"]).Resolve(Images));
    }

    [Fact]
    public void ImageFolderListsImagesRecursivelyWithSlashNames()
    {
        using var tmp = ColmapTestSupport.Temp();
        Directory.CreateDirectory(tmp["sub"]);
        Directory.CreateDirectory(tmp[".hidden"]);
        foreach (var f in new[] { "b.JPG", "a.png", "sub/c.jpeg", "notes.txt", ".hidden/x.jpg" }) File.WriteAllText(tmp[f], "");
        Assert.Equal(["a.png", "b.JPG", "sub/c.jpeg"], ImageFolder.List(tmp.Path));
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.List(tmp["nope"]));
    }
}
