namespace Loftr.Bench;

/// <summary>Analytic multiply-accumulate counts of the LoFTR stages (convolutions, linear layers, einsums).</summary>
internal static class Macs
{
    /// <summary>ResNet-FPN (8, 2) on one H x W image.</summary>
    public static double Backbone(LoftrConfig c, int h, int w)
    {
        double d0 = c.Backbone.InitialDim, b0 = c.Backbone.BlockDims[0], b1 = c.Backbone.BlockDims[1], b2 = c.Backbone.BlockDims[2];
        double a1 = h / 2.0 * (w / 2.0), a2 = a1 / 4, a3 = a2 / 4;
        double Stage(double cin, double cout, double area, bool down) =>
            9 * cin * cout * area + 9 * cout * cout * area + (down ? cin * cout * area : 0) + 2 * 9 * cout * cout * area;
        double macs = 49 * d0 * a1
            + Stage(d0, b0, a1, false) + Stage(b0, b1, a2, true) + Stage(b1, b2, a3, true)
            + b2 * b2 * a3
            + b1 * b2 * a2 + 9 * b2 * b2 * a2 + 9 * b2 * b1 * a2
            + b0 * b1 * a1 + 9 * b1 * b1 * a1 + 9 * b1 * b0 * a1;
        return macs;
    }

    /// <summary>One LoFTR transformer over sequences of L and S tokens (all layers, both directions).</summary>
    public static double Transformer(TransformerConfig t, double l, double s)
    {
        double d = t.DModel, head = t.DModel / (double)t.NHead;
        double Layer(double q, double src) => 2 * q * d * d + 2 * src * d * d + 6 * q * d * d + src * d * head + q * d * head;
        return t.Layers.Count * (Layer(l, l == s ? l : s) + Layer(s, l));
    }

    /// <summary>Coarse similarity matrix.</summary>
    public static double CoarseMatching(double l, double s, int d) => l * s * d;

    /// <summary>Fine stage for M windows.</summary>
    public static double Fine(LoftrConfig c, double m)
    {
        double ww = c.FineWindowSize * c.FineWindowSize, df = c.Fine.DModel, dc = c.Coarse.DModel;
        return 2 * m * dc * df + 2 * m * ww * 2 * df * df + Transformer(c.Fine, ww, ww) * m + m * ww * df;
    }
}
