using Loftr.Imaging;
using Loftr.Tests.Golden;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using static TorchSharp.torch;

namespace Loftr.Tests.Imaging;

public sealed class GrayImageTests
{
    [Fact]
    public void FileResizeReproducesTheReferenceNetworkInput()
    {
        // full_ds: cv2.imread(GRAYSCALE) -> cv2.resize(img, (640, 480)) -> / 255
        using var fixture = new GoldenFixture("full_ds");
        using var mat = GrayImage.Read(TestData.Path("images/scene0711_00_frame-001680.jpg"));
        var image = GrayImage.FromMat(mat, 640, 480);
        using var ours = tensor(image.Pixels).view(1, 1, 480, 640);
        double maxDiff = (ours - fixture["input.image0"]).abs().max().item<float>();
        // The same libjpeg-turbo decode and the same INTER_LINEAR on 8-bit data: at most one grey level apart.
        Assert.True(maxDiff <= 1.0 / 255 + 1e-7, $"max diff {maxDiff * 255} grey levels");
    }

    [Fact]
    public void CroppedResizeReproducesSmallFixtureInput()
    {
        // small_ot image0: centre crop x=0, y=16, 791x1055, then cv2.resize to (240, 320)
        using var fixture = new GoldenFixture("small_ot");
        using var mat = GrayImage.Read(TestData.Path("images/london_bridge_19481797_2295892421.jpg"));
        using var crop = new Mat(mat, new Rect(0, 16, 791, 1055));
        var image = GrayImage.FromMat(crop, 240, 320);
        using var ours = tensor(image.Pixels).view(1, 1, 320, 240);
        double maxDiff = (ours - fixture["input.image0"]).abs().max().item<float>();
        Assert.True(maxDiff <= 1.0 / 255 + 1e-7, $"max diff {maxDiff * 255} grey levels");
    }

    [Fact]
    public void ColourMatIsConvertedLikeCvtColor()
    {
        using var bgr = new Mat(2, 2, MatType.CV_8UC3, new Scalar(10, 20, 30));
        var g = GrayImage.FromMat(bgr);
        // OpenCV BGR2GRAY: 0.114 B + 0.587 G + 0.299 R = 1.14 + 11.74 + 8.97 = 21.85 -> 22
        Assert.All(g.Pixels, p => Assert.Equal(22f / 255f, p, 6));
    }

    [Fact]
    public void MissingEmptyAndNonImageFilesGiveClearErrors()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"loftr-missing-{Guid.NewGuid():N}.png");
        var e1 = Assert.Throws<FileNotFoundException>(() => GrayImage.Load(missing));
        Assert.Contains(missing, e1.Message);

        var empty = Path.GetTempFileName();
        var garbage = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(garbage, "definitely not an image"u8.ToArray());
            var e2 = Assert.Throws<InvalidDataException>(() => GrayImage.Load(empty));
            Assert.Contains("empty", e2.Message);
            var e3 = Assert.Throws<InvalidDataException>(() => GrayImage.Load(garbage));
            Assert.Contains(garbage, e3.Message);
        }
        finally
        {
            File.Delete(empty);
            File.Delete(garbage);
        }
    }

    [Fact]
    public void BufferSizeIsValidated()
    {
        Assert.Throws<ArgumentException>(() => new GrayImage(new float[5], 2, 2));
        Assert.Throws<ArgumentException>(() => new GrayImage(new float[0], 0, 0));
    }
}
