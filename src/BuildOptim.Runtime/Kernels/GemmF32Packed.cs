using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

/// <summary>
/// A dense layer's fp32 weights W [N, K] (one row per output) packed once into panels of <see cref="PanelWidth"/> outputs for
/// <see cref="Kernels.GemmF32Packed"/>: panel q holds <c>W[32q + t, p]</c> at <c>q·K·32 + p·32 + t</c>, zero past N, so one step
/// of p reads the 32 weights of a panel as one run of 128 bytes (two 512-bit vectors). The storage is pinned and the first
/// panel starts on a 64-byte boundary, so every such run is two whole cache lines.
/// </summary>
internal sealed class GemmF32Weights
{
    /// <summary>Outputs per panel: two 512-bit vectors, four 256-bit ones.</summary>
    internal const int PanelWidth = 32;

    private readonly float[] _storage;
    private readonly int _offset;

    internal GemmF32Weights(int n, int k, float[] storage, int offset)
    {
        (N, K, _storage, _offset) = (n, k, storage, offset);
        Panels = (n + PanelWidth - 1) / PanelWidth;
    }

    public int N { get; }

    public int K { get; }

    public int Panels { get; }

    /// <summary>Floats of one panel.</summary>
    public int PanelLength => K * PanelWidth;

    /// <summary>Every panel, in order.</summary>
    public ReadOnlySpan<float> Packed => _storage.AsSpan(_offset, Panels * PanelLength);

    /// <summary>Bytes held (padding included).</summary>
    public long SizeInBytes => (long)_storage.Length * sizeof(float);

    /// <summary>Whether weights of <paramref name="n"/> × <paramref name="k"/> fit one packed array.</summary>
    internal static bool Fits(int n, int k) => n >= 0 && k >= 0 && (((long)n + PanelWidth - 1) / PanelWidth * PanelWidth * k) + 16 <= Array.MaxLength;
}

// The fp32 dense layer over several rows (a transformer's tokens): each output the bias plus the products fused in ascending
// k, as one matrix product on weights packed once (ONNX Runtime's MLAS packs B the same way for its SGEMM).
public static partial class Kernels
{
    /// <summary>The most rows one micro-tile of <see cref="GemmF32Packed"/> computes at <paramref name="level"/> (0: the scalar loop).</summary>
    internal static int GemmF32TileRows(SimdLevel level)
        => level >= SimdLevel.Vector512 && Vector512.IsHardwareAccelerated ? 12
            : level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated ? 6
            : level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated ? 6
            : 0;

    /// <summary>Packs <paramref name="weights"/> [<paramref name="n"/>, <paramref name="k"/>] into panels (see <see cref="GemmF32Weights"/>).</summary>
    internal static unsafe GemmF32Weights PackGemmF32Weights(ReadOnlySpan<float> weights, int n, int k)
    {
        if (!GemmF32Weights.Fits(n, k) || weights.Length != (long)n * k)
        {
            ThrowShape("The weights are not N × K, or too large to pack.");
        }

        const int Width = GemmF32Weights.PanelWidth;
        int panels = (n + Width - 1) / Width;
        int length = panels * Width * k;

        // 16 floats more than the panels: room to start them on a 64-byte boundary of the pinned (never moved) array.
        var storage = GC.AllocateArray<float>(length + 16, pinned: true);
        int offset = (int)((16 - ((nuint)Unsafe.AsPointer(ref storage[0]) / sizeof(float) % 16)) % 16);
        var packed = storage.AsSpan(offset, length);
        for (int q = 0; q < panels; q++)
        {
            var panel = packed.Slice(q * Width * k, Width * k);
            int width = Math.Min(Width, n - (q * Width));
            for (int t = 0; t < width; t++)
            {
                var row = weights.Slice(((q * Width) + t) * k, k);
                for (int p = 0; p < k; p++)
                {
                    panel[(p * Width) + t] = row[p];
                }
            }
        }

        return new GemmF32Weights(n, k, storage, offset);
    }

    /// <summary>
    /// <c>y[i, j] = clamp(bias[j] + Σ_p x[i, p] · W[j, p], clampMin, clampMax)</c> for row-major x [m, K] and y [m, N], and the
    /// outputs j in [<paramref name="first"/>, <paramref name="end"/>): each sum starts from <c>bias[j]</c> and adds the products in
    /// ascending p, one fused multiply-add each (one rounding), so every path gives the scalar loop's outputs bit for bit.
    /// <paramref name="bias"/> holds one value per output of every panel (N rounded up to a multiple of 32, zero past N);
    /// <paramref name="first"/> is a multiple of 32, and so is <paramref name="end"/> unless it is N.
    /// </summary>
    /// <remarks>
    /// For each panel of 32 outputs, the rows run in blocks of up to <see cref="GemmF32TileRows"/> (12 with 512-bit vectors:
    /// 24 accumulators; 6 with 256- or 128-bit ones, over the panel's halves or quarters), spread evenly (9 rows are one block
    /// of 9, 78 are six of 11 and one of 12), so no row is computed twice and none is padding. A panel is read from memory
    /// once and then from cache by every block; the rows are read in place (no copy of x).
    /// </remarks>
    internal static void GemmF32Packed(ReadOnlySpan<float> x, int m, GemmF32Weights weights, ReadOnlySpan<float> bias, float clampMin, float clampMax,
        int first, int end, Span<float> y, SimdLevel level)
    {
        int n = weights.N, k = weights.K;
        if (m < 0 || x.Length < (long)m * k || y.Length < (long)m * n || bias.Length < weights.Panels * GemmF32Weights.PanelWidth
            || first < 0 || end > n || first > end || first % GemmF32Weights.PanelWidth != 0 || (end != n && end % GemmF32Weights.PanelWidth != 0))
        {
            ThrowShape("The fp32 GEMM's operands do not fit its weights.");
        }

        GemmF32PackedCore(x, m, weights, bias, clampMin, clampMax, first, end, y, level);
    }

    /// <summary><see cref="GemmF32Packed"/> on operands the caller checked.</summary>
    internal static unsafe void GemmF32PackedCore(ReadOnlySpan<float> x, int m, GemmF32Weights weights, ReadOnlySpan<float> bias, float clampMin, float clampMax,
        int first, int end, Span<float> y, SimdLevel level)
    {
        const int Width = GemmF32Weights.PanelWidth;
        int tileRows = GemmF32TileRows(level);
        if (m == 0 || first == end)
        {
            return;
        }

        if (tileRows == 0)
        {
            GemmF32PackedScalar(x, m, weights, bias, clampMin, clampMax, first, end, y);
            return;
        }

        int n = weights.N, k = weights.K, panelLength = weights.PanelLength;
        float* tile = stackalloc float[12 * Width];
        fixed (float* xBase = x)
        fixed (float* packed = weights.Packed)
        fixed (float* biasBase = bias)
        fixed (float* yBase = y)
        {
            for (int j = first; j < end; j += Width)
            {
                GemmF32PanelRows(level, tileRows, xBase, m, k, packed + ((long)(j / Width) * panelLength), biasBase + j, Math.Min(Width, end - j), yBase + j, n,
                    clampMin, clampMax, tile);
            }
        }
    }

    /// <summary>
    /// <c>y[i, j] = Σ_p a[i, p] · b[p, j]</c> (clamped) with 512-bit micro-tiles, for <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, int, Span{float}, SimdLevel)"/>
    /// without an init: each strip of 32 columns of b (an activation: the keys or values of an attention product) is packed
    /// into <paramref name="panel"/> (32 · k floats) as a panel of weights would be, zero past n, and every row runs over it.
    /// The same sums from 0 in the same order, so the same bits.
    /// </summary>
    private static unsafe void GemmF32StripsVector512(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, float clampMin, float clampMax,
        Span<float> y, int ldy, Span<float> panel)
    {
        const int Width = GemmF32Weights.PanelWidth;
        float* zeros = stackalloc float[Width];
        new Span<float>(zeros, Width).Clear();
        float* tile = stackalloc float[12 * Width];
        panel = panel[..(Width * k)];
        fixed (float* aBase = a)
        fixed (float* yBase = y)
        fixed (float* packed = panel)
        {
            for (int j = 0; j < n; j += Width)
            {
                int width = Math.Min(Width, n - j);
                if (width < Width)
                {
                    panel.Clear();
                }

                for (int p = 0; p < k; p++)
                {
                    b.Slice((p * n) + j, width).CopyTo(panel.Slice(p * Width, width));
                }

                GemmF32PanelRows(SimdLevel.Vector512, 12, aBase, m, k, packed, zeros, width, yBase + j, ldy, clampMin, clampMax, tile);
            }
        }
    }

    /// <summary>
    /// One panel's <paramref name="width"/> outputs (of 32) for every row, the rows in blocks of up to <paramref name="tileRows"/>
    /// spread evenly. A partial panel's blocks go through <paramref name="tile"/> (12 × 32 floats), and their real outputs are
    /// copied out.
    /// </summary>
    private static unsafe void GemmF32PanelRows(SimdLevel level, int tileRows, float* x, int m, int k, float* panel, float* bias, int width, float* y, nint ldy,
        float clampMin, float clampMax, float* tile)
    {
        const int Width = GemmF32Weights.PanelWidth;
        int blocks = (m + tileRows - 1) / tileRows;
        int row = 0;
        for (int block = 0; block < blocks; block++)
        {
            int rows = (m / blocks) + (block < m % blocks ? 1 : 0);
            float* target = width == Width ? y + (row * ldy) : tile;
            GemmF32Tile(level, rows, x + ((long)row * k), k, panel, bias, target, width == Width ? ldy : Width, clampMin, clampMax);
            if (width < Width)
            {
                for (int r = 0; r < rows; r++)
                {
                    new ReadOnlySpan<float>(tile + (r * Width), width).CopyTo(new Span<float>(y + ((row + r) * ldy), width));
                }
            }

            row += rows;
        }
    }

    /// <summary>The scalar twin of <see cref="GemmF32Packed"/>: the same sums in the same order, one output at a time.</summary>
    private static void GemmF32PackedScalar(ReadOnlySpan<float> x, int m, GemmF32Weights weights, ReadOnlySpan<float> bias, float clampMin, float clampMax,
        int first, int end, Span<float> y)
    {
        const int Width = GemmF32Weights.PanelWidth;
        int n = weights.N, k = weights.K;
        var packed = weights.Packed;
        for (int j = first; j < end; j++)
        {
            var panel = packed.Slice(j / Width * weights.PanelLength, weights.PanelLength);
            int t = j % Width;
            for (int i = 0; i < m; i++)
            {
                var row = x.Slice(i * k, k);
                float acc = bias[j];
                for (int p = 0; p < k; p++)
                {
                    acc = MathF.FusedMultiplyAdd(row[p], panel[(p * Width) + t], acc);
                }

                y[(i * n) + j] = ClampF32(acc, clampMin, clampMax);
            }
        }
    }

    /// <summary>Copies <paramref name="bias"/> into a fresh array of one value per output of every panel, zero past its end.</summary>
    internal static float[] PadGemmF32Bias(ReadOnlySpan<float> bias, GemmF32Weights weights)
    {
        var padded = new float[weights.Panels * GemmF32Weights.PanelWidth];
        bias[..weights.N].CopyTo(padded);
        return padded;
    }
}
