using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loftr.Matching;

/// <summary>Sizes of one image pair at the input, coarse and fine levels (height, width).</summary>
/// <param name="Image0">Input size of image 0.</param>
/// <param name="Image1">Input size of image 1.</param>
/// <param name="Coarse0">Coarse map size of image 0.</param>
/// <param name="Coarse1">Coarse map size of image 1.</param>
/// <param name="Fine0">Fine map size of image 0.</param>
/// <param name="Fine1">Fine map size of image 1.</param>
public readonly record struct PairGeometry(
    (long H, long W) Image0, (long H, long W) Image1,
    (long H, long W) Coarse0, (long H, long W) Coarse1,
    (long H, long W) Fine0, (long H, long W) Fine1);

/// <summary>
/// Coarse matches. <see cref="BIds"/>, <see cref="IIds"/>, <see cref="JIds"/> [M'] select the fine windows (in training they
/// include ground-truth pads with zero confidence); the keypoints [M, 2] (x, y in input pixels, top-left corner of the
/// coarse cell) and confidences [M] are the predicted matches only.
/// </summary>
public sealed class CoarseMatches : IDisposable
{
    /// <summary>Batch index of each selected window [M'] (int64).</summary>
    public required Tensor BIds { get; init; }
    /// <summary>Flattened coarse index in image 0 (y * w0c + x) [M'] (int64).</summary>
    public required Tensor IIds { get; init; }
    /// <summary>Flattened coarse index in image 1 [M'] (int64).</summary>
    public required Tensor JIds { get; init; }
    /// <summary>True for ground-truth pads (confidence 0) [M'].</summary>
    public required Tensor GtMask { get; init; }
    /// <summary>Batch index of each predicted match [M].</summary>
    public required Tensor MBIds { get; init; }
    /// <summary>Coarse keypoints in image 0 [M, 2] (x, y).</summary>
    public required Tensor Keypoints0 { get; init; }
    /// <summary>Coarse keypoints in image 1 [M, 2] (x, y).</summary>
    public required Tensor Keypoints1 { get; init; }
    /// <summary>Match confidences [M].</summary>
    public required Tensor Confidence { get; init; }

    internal IEnumerable<Tensor> Tensors => [BIds, IIds, JIds, GtMask, MBIds, Keypoints0, Keypoints1, Confidence];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}

/// <summary>Output of <see cref="CoarseMatching"/>: the confidence matrix and the selected matches.</summary>
public sealed class CoarseMatchingOutput : IDisposable
{
    /// <summary>
    /// Confidence matrix [N, L, S]; null when it was never materialised (dual-softmax inference on large images, see
    /// <see cref="CoarseMatching.MaxDenseElements"/>).
    /// </summary>
    public required Tensor? ConfMatrix { get; init; }
    /// <summary>(Sinkhorn) the assignment including dustbins [N, L+1, S+1], after the prefilter.</summary>
    public Tensor? ConfMatrixWithBin { get; init; }
    /// <summary>The matches selected from <see cref="ConfMatrix"/>.</summary>
    public required CoarseMatches Matches { get; init; }

    internal IEnumerable<Tensor> Tensors =>
        new[] { ConfMatrix, ConfMatrixWithBin }.OfType<Tensor>().Concat(Matches.Tensors);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}

/// <summary>
/// Differentiable coarse matching (dual-softmax or Sinkhorn with a dustbin) followed by match selection:
/// threshold, border removal and mutual nearest neighbour. Features [N, L, C] and [N, S, C].
/// </summary>
public sealed class CoarseMatching : nn.Module
{
    private static readonly Scalar MinusInf = (-1e9).ToScalar(); // the reference's -INF for masked similarities
    private static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
#pragma warning disable IDE1006 // the state-dict key
    private readonly Parameter? bin_score;
#pragma warning restore IDE1006
    private readonly CoarseMatchingConfig _config;

    /// <summary>Optional observer of intermediate tensors (sim_matrix, log_assign_matrix), for parity tests.</summary>
    internal Action<string, Tensor>? Tap { get; set; }

    /// <summary>Creates the layer; Sinkhorn adds the learned <c>bin_score</c> parameter.</summary>
    public CoarseMatching(CoarseMatchingConfig config) : base("coarse_matching")
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        if (config.MatchType == CoarseMatchType.Sinkhorn)
            bin_score = new Parameter(tensor((float)config.SinkhornInitBinScore));
        RegisterComponents();
    }

    /// <summary>The configuration this layer was built with.</summary>
    public CoarseMatchingConfig Config => _config;

    /// <summary>
    /// Largest N x L x S confidence matrix built in memory during dual-softmax inference (default 2^26 values, 256 MB).
    /// Above it the matches are selected in row chunks without materialising the matrix (two passes over the
    /// similarities; same matches as the dense path). Training always uses the dense matrix.
    /// </summary>
    public long MaxDenseElements { get; set; } = 1L << 26;

    /// <summary>
    /// Computes the confidence matrix and selects matches. <paramref name="mask0"/>/<paramref name="mask1"/> are the
    /// coarse padding masks [N, h, w] (bool, true = valid) or null; <paramref name="scale0"/>/<paramref name="scale1"/>
    /// [N, 2] map input pixels to original pixels or null.
    /// </summary>
    public CoarseMatchingOutput Forward(Tensor feat0, Tensor feat1, PairGeometry geometry,
        Tensor? mask0 = null, Tensor? mask1 = null, Tensor? scale0 = null, Tensor? scale1 = null, double? threshold = null)
    {
        using var scope = NewDisposeScope();
        long l = feat0.shape[1], s = feat1.shape[1], c = feat0.shape[2];
        using var sqrtC = Math.Sqrt(c).ToScalar();
        var f0 = feat0.to(ScalarType.Float32).div(sqrtC); // matching in float32 whatever the features' precision
        var f1 = feat1.to(ScalarType.Float32).div(sqrtC);
        Tensor? validPairs = mask0 is null || mask1 is null
            ? null
            : mask0.flatten(-2).unsqueeze(2).logical_and(mask1.flatten(-2).unsqueeze(1));

        if (_config.MatchType == CoarseMatchType.DualSoftmax && !training && feat0.shape[0] * l * s > MaxDenseElements)
        {
            var chunked = new CoarseMatchingOutput
            {
                ConfMatrix = null,
                Matches = ChunkedDualSoftmaxMatches(f0, f1, geometry, mask0, mask1, scale0, scale1, threshold ?? _config.Threshold),
            };
            chunked.Tensors.MoveToOuterDisposeScope();
            return chunked;
        }

        Tensor conf;
        Tensor? confWithBin = null;
        if (_config.MatchType == CoarseMatchType.DualSoftmax)
        {
            using var temperature = _config.DualSoftmaxTemperature.ToScalar();
            if (is_grad_enabled())
            {
                var sim = einsum("nlc,nsc->nls", f0, f1).div(temperature);
                if (validPairs is not null) sim = sim.masked_fill(validPairs.logical_not(), MinusInf);
                conf = nn.functional.softmax(sim, 1) * nn.functional.softmax(sim, 2);
            }
            else
            {
                // The same operations in place on the fresh L x S matrices (two fewer allocations and passes)
                var sim = einsum("nlc,nsc->nls", f0, f1).div_(temperature);
                if (validPairs is not null) sim.masked_fill_(validPairs.logical_not(), MinusInf);
                conf = nn.functional.softmax(sim, 1).mul_(nn.functional.softmax(sim, 2));
            }
        }
        else
        {
            var sim = einsum("nlc,nsc->nls", f0, f1);
            if (validPairs is not null) sim = sim.masked_fill(validPairs.logical_not(), MinusInf);
            Tap?.Invoke("sim_matrix", sim);
            var logAssign = Sinkhorn.LogOptimalTransport(sim, bin_score!, _config.SinkhornIterations);
            Tap?.Invoke("log_assign_matrix", logAssign);
            var assign = logAssign.exp();
            if (!training && _config.SinkhornPrefilter)
            {
                using var sBin = s.ToScalar();
                using var lBin = l.ToScalar();
                var rowToBin = assign.argmax(2).eq(sBin)[.., ..^1]; // [N, L]: best assignment of row i is the dustbin
                var colToBin = assign.argmax(1).eq(lBin)[.., ..^1]; // [N, S]
                var zero = rowToBin.unsqueeze(2).logical_or(colToBin.unsqueeze(1));
                var full = nn.functional.pad(zero, [0, 1, 0, 1], value: 0);
                assign = assign.masked_fill(full, Scalars.Zero);
            }
            conf = assign[.., ..^1, ..^1];
            if (_config.SparseSupervision) confWithBin = assign.clone();
        }

        var result = new CoarseMatchingOutput
        {
            ConfMatrix = conf,
            ConfMatrixWithBin = confWithBin,
            Matches = SelectMatches(conf, geometry, mask0, mask1, scale0, scale1, threshold ?? _config.Threshold),
        };
        result.Tensors.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>
    /// Threshold, border removal, mutual nearest neighbour; coordinates of the matches. Returned tensors are moved out of
    /// the caller's dispose scope.
    /// </summary>
    internal CoarseMatches SelectMatches(Tensor conf, PairGeometry g, Tensor? mask0, Tensor? mask1, Tensor? scale0, Tensor? scale1, double threshold)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long n = conf.shape[0], l = conf.shape[1], s = conf.shape[2];
        var (h0, w0) = g.Coarse0;
        var (h1, w1) = g.Coarse1;

        // A match (i, j) needs conf > threshold, both cells inside the border, and conf equal to the maximum of its row
        // and of its column. Only rows whose maximum passes the threshold and whose cell is inside the border can hold
        // one, so the full mask is evaluated on those rows alone: the same matches as masking the whole L x S matrix
        // (two reductions over it instead of about ten elementwise passes).
        using var minConf = threshold.ToScalar();
        var rowMax = conf.amax([2]);
        var colMax = conf.amax([1]);
        var candidate = rowMax.gt(minConf);
        Tensor? keep1 = null;
        int b = _config.BorderRemove;
        if (b > 0)
        {
            candidate = candidate.logical_and(BorderKeep(n, h0, w0, mask0, b).view(n, l));
            keep1 = BorderKeep(n, h1, w1, mask1, b).view(n, s);
        }
        var rows = candidate.nonzero();                     // (b, i) in row-major order
        var rowB = rows[.., 0];
        var rowI = rows[.., 1];
        var byRow = TensorIndex.Tensor(rowB);
        var sub = conf.index([byRow, TensorIndex.Tensor(rowI)]);              // [K, S]
        var mask = sub.gt(minConf)
            .logical_and(sub.eq(rowMax.index([byRow, TensorIndex.Tensor(rowI)]).unsqueeze(1)))
            .logical_and(sub.eq(colMax.index([byRow])));
        if (keep1 is not null) mask = mask.logical_and(keep1.index([byRow]));

        var (maskV, allJ) = mask.max(1);
        var bIds = rowB[maskV].contiguous();
        var iIds = rowI[maskV].contiguous();
        var jIds = allJ[maskV].contiguous();
        var mconf = conf.index([TensorIndex.Tensor(bIds), TensorIndex.Tensor(iIds), TensorIndex.Tensor(jIds)]);

        var matches = BuildMatches(bIds, iIds, jIds, mconf, g, scale0, scale1);
        matches.Tensors.MoveToOuterDisposeScope();
        return matches;
    }

    /// <summary>
    /// Dual-softmax match selection without the L x S matrix. Pass 1 accumulates the row and column log-sum-exp of the
    /// similarities chunk by chunk; pass 2 recomputes each chunk's log confidences (sim - lse_row) + (sim - lse_col),
    /// keeps the entries above log(threshold), inside the border and equal to their row maximum, and tracks the column
    /// maxima; the candidates equal to their column maximum are the mutual nearest neighbours. The confidence is
    /// monotonic in its logarithm, so the selection needs no exponential of the chunk: only the selected entries get
    /// their confidence, exp of their log confidence, and the exact threshold test. Entries whose confidences differ
    /// by a rounding error (~1e-7 relative) may rank differently from the dense softmax product; other matches are
    /// the same.
    /// </summary>
    internal CoarseMatches ChunkedDualSoftmaxMatches(Tensor f0, Tensor f1, PairGeometry g, Tensor? mask0, Tensor? mask1,
        Tensor? scale0, Tensor? scale1, double threshold)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long n = f0.shape[0], l = f0.shape[1], s = f1.shape[1];
        long rows = Math.Max(1, MaxDenseElements / (n * s));
        var (h0, w0) = g.Coarse0;
        var (h1, w1) = g.Coarse1;
        int b = _config.BorderRemove;
        var keep0 = BorderKeep(n, h0, w0, mask0, b).view(n, l);
        var keep1 = BorderKeep(n, h1, w1, mask1, b).view(n, 1, s);
        Tensor? valid0 = mask0?.flatten(-2), valid1 = mask1?.flatten(-2).unsqueeze(1);
        using var minConf = threshold.ToScalar();

        Tensor Similarity(long r0, long r1)
        {
            using var temperature = _config.DualSoftmaxTemperature.ToScalar();
            var sim = einsum("nlc,nsc->nls", f0[.., (int)r0..(int)r1], f1).div_(temperature);
            if (valid0 is not null && valid1 is not null)
                sim.masked_fill_(valid0[.., (int)r0..(int)r1].unsqueeze(2).logical_and(valid1).logical_not(), MinusInf);
            return sim;
        }

        var lseRow = empty(n, l, device: f0.device);
        var lseCol = full(n, s, NegativeInfinity, device: f0.device);
        for (long r0 = 0; r0 < l; r0 += rows)
        {
            using var chunkScope = NewDisposeScope();
            long r1 = Math.Min(l, r0 + rows);
            var sim = Similarity(r0, r1);
            lseRow[.., (int)r0..(int)r1] = sim.logsumexp(2);
            lseCol.copy_(lseCol.logaddexp(sim.logsumexp(1)));
        }

        var colMax = full(n, s, NegativeInfinity, device: f0.device);        // of the log confidences
        // A little below log(threshold): the log confidence of an entry near the threshold is a sum of two terms of
        // magnitude below |log(threshold)|, exact to ~1e-7, so the margin loses none; the confidences are compared
        // with the threshold itself at the end. A threshold of 0 or below keeps every entry, as in the dense path.
        using var minLogConf = (threshold > 0 ? Math.Log(threshold) - 1e-5 : double.NegativeInfinity).ToScalar();
        var candB = new List<Tensor>();
        var candI = new List<Tensor>();
        var candJ = new List<Tensor>();
        var candLog = new List<Tensor>();
        for (long r0 = 0; r0 < l; r0 += rows)
        {
            using var chunkScope = NewDisposeScope();
            long r1 = Math.Min(l, r0 + rows);
            var sim = Similarity(r0, r1);
            // log conf = (sim - lse_row) + (sim - lse_col), the two log-softmax terms, in place on two chunk buffers
            var logConf = (sim - lseRow[.., (int)r0..(int)r1].unsqueeze(2)).add_(sim.sub_(lseCol.unsqueeze(1)), Scalars.One);
            sim.Dispose();
            colMax.copy_(colMax.maximum(logConf.amax([1])));
            // Candidates: entries equal to their row maximum, above the threshold, inside the border. Only rows whose
            // maximum passes the threshold and lies inside the border can hold one, so the mask is built for those alone.
            var rowMax = logConf.amax([2]);
            var candRows = rowMax.gt(minLogConf).logical_and(keep0[.., (int)r0..(int)r1]).nonzero();
            var rowB = TensorIndex.Tensor(candRows[.., 0]);
            var rowI = TensorIndex.Tensor(candRows[.., 1]);
            var sub = logConf.index([rowB, rowI]);                                  // [K, S]
            var nz = sub.eq(rowMax.index([rowB, rowI]).unsqueeze(1))
                .logical_and(sub.gt(minLogConf))
                .logical_and(keep1.squeeze(1).index([rowB]))
                .nonzero();                                                          // (k, j), row-major
            var k = TensorIndex.Tensor(nz[.., 0]);
            var bi = candRows[.., 0].index([k]);
            var iLocal = candRows[.., 1].index([k]);
            var jj = nz[.., 1];
            var logSelected = sub.index([k, TensorIndex.Tensor(jj)]);
            using var rowOffset = r0.ToScalar();
            candB.Add(bi.MoveToOuterDisposeScope());
            candI.Add(iLocal.add(rowOffset, Scalars.One).MoveToOuterDisposeScope());
            candJ.Add(jj.MoveToOuterDisposeScope());
            candLog.Add(logSelected.MoveToOuterDisposeScope());
        }
        var bAll = cat(candB, 0);
        var iAll = cat(candI, 0);
        var jAll = cat(candJ, 0);
        var logAll = cat(candLog, 0);
        var cAll = logAll.exp();
        var mutual = logAll.eq(colMax.index([TensorIndex.Tensor(bAll), TensorIndex.Tensor(jAll)]))
            .logical_and(cAll.gt(minConf));
        bAll = bAll[mutual];
        iAll = iAll[mutual];
        jAll = jAll[mutual];
        cAll = cAll[mutual];
        // One match per (b, i): the first column, as the dense path's argmax over the boolean row (ties are rare).
        using var ls = (l * s).ToScalar();
        using var sCount = s.ToScalar();
        using var lCount = l.ToScalar();
        var order = bAll.mul(ls).add(iAll.mul(sCount), Scalars.One).add(jAll, Scalars.One).argsort();
        bAll = bAll[order];
        iAll = iAll[order];
        jAll = jAll[order];
        cAll = cAll[order];
        if (bAll.shape[0] > 1)
        {
            var key = bAll.mul(lCount).add(iAll, Scalars.One);
            var first = cat([ones(1, dtype: ScalarType.Bool, device: key.device), key[1..].ne(key[..^1])]);
            bAll = bAll[first];
            iAll = iAll[first];
            jAll = jAll[first];
            cAll = cAll[first];
        }
        var matches = BuildMatches(bAll, iAll, jAll, cAll, g, scale0, scale1);
        matches.Tensors.MoveToOuterDisposeScope();
        return matches;
    }

    /// <summary>Builds <see cref="CoarseMatches"/> (keypoints, gt mask) from selected ids, in the caller's dispose scope.</summary>
    internal static CoarseMatches BuildMatches(Tensor bIds, Tensor iIds, Tensor jIds, Tensor mconf, PairGeometry g, Tensor? scale0, Tensor? scale1)
    {
        double scale = (double)g.Image0.H / g.Coarse0.H;
        var kp0 = Keypoints(iIds, g.Coarse0.W, scale, scale0, bIds);
        var kp1 = Keypoints(jIds, g.Coarse1.W, scale, scale1, bIds);
        var predicted = mconf.ne(Scalars.Zero);
        var result = new CoarseMatches
        {
            BIds = bIds,
            IIds = iIds,
            JIds = jIds,
            GtMask = mconf.eq(Scalars.Zero),
            MBIds = bIds[predicted],
            Keypoints0 = kp0[predicted],
            Keypoints1 = kp1[predicted],
            Confidence = mconf[predicted],
        };
        return result;
    }

    private static Tensor Keypoints(Tensor ids, long width, double scale, Tensor? imageScale, Tensor bIds)
    {
        using var w = width.ToScalar();
        using var cell = scale.ToScalar();
        var xy = stack([ids.remainder(w), ids.div(w, RoundingMode.floor)], 1).to(ScalarType.Float32);
        if (imageScale is null) return xy.mul(cell);
        return xy * imageScale.index([TensorIndex.Tensor(bIds)]).mul(cell);
    }

    /// <summary>[N, h, w] bool: cells at least <paramref name="b"/> away from the (valid) border.</summary>
    private static Tensor BorderKeep(long n, long h, long w, Tensor? paddingMask, int b)
    {
        var keep = zeros(n, h, w, dtype: ScalarType.Bool);
        if (paddingMask is null)
        {
            if (h > 2 * b && w > 2 * b) keep[.., b..(int)(h - b), b..(int)(w - b)].fill_(Scalars.True);
            return keep;
        }
        var heights = paddingMask.sum(1).amax([-1]).to(ScalarType.Int64).data<long>().ToArray();
        var widths = paddingMask.sum(-1).amax([-1]).to(ScalarType.Int64).data<long>().ToArray();
        for (int i = 0; i < n; i++)
        {
            long hv = heights[i] - b, wv = widths[i] - b;
            if (hv > b && wv > b) keep[i, b..(int)hv, b..(int)wv].fill_(Scalars.True);
        }
        return keep;
    }
}

/// <summary>Log-domain optimal transport with a dustbin row and column (SuperGlue, Sarlin et al. 2020).</summary>
public static class Sinkhorn
{
    /// <summary>
    /// Scores [N, M, K] and a scalar dustbin score; returns log(P * (M + K)) [N, M+1, K+1] after
    /// <paramref name="iterations"/> row/column normalisations.
    /// </summary>
    public static Tensor LogOptimalTransport(Tensor scores, Tensor binScore, int iterations)
    {
        using var scope = NewDisposeScope();
        long b = scores.shape[0], m = scores.shape[1], n = scores.shape[2];
        var ms = tensor((float)m, dtype: scores.dtype);
        var ns = tensor((float)n, dtype: scores.dtype);
        var alpha = binScore.to(scores.dtype);
        var bins0 = alpha.expand(b, m, 1);
        var bins1 = alpha.expand(b, 1, n);
        var corner = alpha.expand(b, 1, 1);
        var couplings = cat([cat([scores, bins0], -1), cat([bins1, corner], -1)], 1);
        var norm = -ms.add(ns, Scalars.One).log();
        var logMu = cat([norm.expand(m), ns.log().unsqueeze(0).add(norm, Scalars.One)]).unsqueeze(0).expand(b, -1);
        var logNu = cat([norm.expand(n), ms.log().unsqueeze(0).add(norm, Scalars.One)]).unsqueeze(0).expand(b, -1);

        var u = zeros_like(logMu);
        var v = zeros_like(logNu);
        for (int i = 0; i < iterations; i++)
        {
            u = logMu - couplings.add(v.unsqueeze(1), Scalars.One).logsumexp(2);
            v = logNu - couplings.add(u.unsqueeze(2), Scalars.One).logsumexp(1);
        }
        var z = couplings.add(u.unsqueeze(2), Scalars.One).add(v.unsqueeze(1), Scalars.One);
        return (z - norm).MoveToOuterDisposeScope();
    }
}
