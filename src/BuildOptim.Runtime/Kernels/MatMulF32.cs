using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[t, i, j] = Σ_p a[t, i, p] · b[t, p, j]</c> for t in [0, batch): row-major [batch, m, k] × [batch, k, n] →
    /// [batch, m, n]. A broadcast operand has batch 1 and is reused for every t (numpy matmul broadcasting of a rank-2
    /// operand).
    /// </summary>
    /// <remarks>
    /// Each output sums its products from 0 in ascending p, one rounded multiply and one rounded add each, so every
    /// vector width gives the scalar result bit for bit.
    /// </remarks>
    internal static void MatMulF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int batch, int m, int k, int n, bool broadcastA, bool broadcastB, Span<float> y)
        => MatMulF32(a, b, batch, m, k, n, broadcastA, broadcastB, y, SimdLevel.Vector512);

    /// <summary><see cref="MatMulF32(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, bool, bool, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void MatMulF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int batch, int m, int k, int n, bool broadcastA, bool broadcastB, Span<float> y, SimdLevel maxLevel)
        => MatMulF32(a, b, batch, m, k, n, broadcastA, broadcastB, y, default, maxLevel);

    /// <summary>
    /// <see cref="MatMulF32(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, bool, bool, Span{float}, SimdLevel)"/> with
    /// scratch for <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, int, Span{float}, SimdLevel)"/>'s
    /// packed strips (<see cref="MatMulF32PanelLength"/> floats run the last n mod 16 columns as a padded strip too): the same
    /// operations in the same order, so the same outputs.
    /// </summary>
    internal static void MatMulF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int batch, int m, int k, int n, bool broadcastA, bool broadcastB, Span<float> y, Span<float> panel, SimdLevel maxLevel)
    {
        if (batch < 0 || m < 0 || k < 0 || n < 0)
        {
            ThrowShape("MatMul dimensions must be non-negative.");
        }

        long aBlock = (long)m * k, bBlock = (long)k * n, yBlock = (long)m * n;
        if (a.Length != (broadcastA ? 1 : batch) * aBlock || b.Length != (broadcastB ? 1 : batch) * bBlock || y.Length != batch * yBlock)
        {
            ThrowShape($"MatMul of [{batch}, {m}, {k}] × [{batch}, {k}, {n}] got {a.Length}, {b.Length} and {y.Length} elements.");
        }

        for (int t = 0; t < batch; t++)
        {
            GemmF32(
                a.Slice(broadcastA ? 0 : (int)(t * aBlock), (int)aBlock),
                b.Slice(broadcastB ? 0 : (int)(t * bBlock), (int)bBlock),
                default,
                m,
                k,
                n,
                float.NegativeInfinity,
                float.PositiveInfinity,
                y.Slice((int)(t * yBlock), (int)yBlock),
                n,
                panel,
                maxLevel);
        }
    }

    /// <summary>Scratch floats with which <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, int, Span{float}, SimdLevel)"/> packs every strip of an m × k by k × n product, the last one included, on every path (32-column strips at 512 bits; 0 past int range).</summary>
    internal static int MatMulF32PanelLength(int m, int k) => 32L * ((long)k + m) <= int.MaxValue ? 32 * (k + m) : 0;

    /// <summary>
    /// <c>y[i, j] = clamp(init[i] + Σ_p a[i, p] · b[p, j], clampMin, clampMax)</c> for row-major a [m, k], b [k, n],
    /// y [m, n]; the sum starts from <c>init[i]</c> (0 when <paramref name="init"/> is empty) and adds the products in
    /// ascending p, each a rounded multiply then a rounded add.
    /// </summary>
    /// <remarks>
    /// Vector paths compute 6 (AVX; the last block overlapping the one before) or 4 rows × 2 vectors of columns at a time (one broadcast of a[i, p] feeds two vectors
    /// of b), in strips of columns so a strip of b stays in cache while every row of a passes over it. Every product is
    /// added with one rounding (fused multiply-add: <c>Vector256/128.FusedMultiplyAdd</c>, <see cref="MathF.FusedMultiplyAdd"/>,
    /// in software where the hardware has none), in the order of p, so all widths and machines agree bit for bit.
    /// </remarks>
    internal static void GemmF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> init, int m, int k, int n, float clampMin, float clampMax, Span<float> y, SimdLevel level)
        => GemmF32(a, b, init, m, k, n, clampMin, clampMax, y, n, default, level);

    /// <summary>
    /// <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, SimdLevel)"/>
    /// with scratch for one packed strip of b (<paramref name="panel"/>, at least 16 · k floats; empty for none). Without an init
    /// and with 32 · k floats, the 512-bit path packs strips of 32 columns and runs <see cref="GemmF32Packed"/>'s micro-tiles
    /// over them (<see cref="GemmF32StripsVector512"/>). Otherwise each
    /// 16-column strip is first copied into it as k contiguous rows of 16, so the passes of every row block over the strip
    /// read one sequential run instead of k rows n floats apart (a page apart for large images). With 16 · (k + m) floats
    /// the last n mod 16 columns also run as a strip, padded with zero columns, whose rows go through the scratch. Same
    /// operations, same order. Row i of y starts at <c>i · ldy</c> (ldy ≥ n: a block of columns of a wider output).
    /// </summary>
    internal static void GemmF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> init, int m, int k, int n, float clampMin, float clampMax, Span<float> y, int ldy, Span<float> panel, SimdLevel level)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (ldy < n)
        {
            ThrowShape($"Output rows of {ldy} cannot hold {n} columns.");
        }

        a = a[..(m * k)];
        b = b[..(k * n)];
        y = y[..(((m - 1) * ldy) + n)];
        if (!init.IsEmpty)
        {
            init = init[..m];
        }

        if (init.IsEmpty && k > 0 && level >= SimdLevel.Vector512 && Vector512.IsHardwareAccelerated && panel.Length >= 32 * k)
        {
            GemmF32StripsVector512(a, b, m, k, n, clampMin, clampMax, y, ldy, panel);
            return;
        }

        int j = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            bool pack = k > 0 && m > 4 && panel.Length >= 16 * k;
            for (; j <= n - 16; j += 16)
            {
                if (pack)
                {
                    PackStripF32(b, k, n, j, panel);
                    GemmF32Strip256(a, panel, 16, init, m, k, ldy, j, clampMin, clampMax, y);
                }
                else
                {
                    GemmF32Strip256(a, b[j..], n, init, m, k, ldy, j, clampMin, clampMax, y);
                }
            }

            // The last n − j < 16 columns: packed with zero columns after them into a full strip, computed into the rows of
            // 16 after the strip, and the real columns copied out (each one the same operations as in the scalar loop).
            if (j < n && pack && panel.Length >= 16 * (k + m))
            {
                int width = n - j;
                var rows = panel.Slice(16 * k, 16 * m);
                PackStripF32(b, k, n, j, width, panel);
                GemmF32Strip256(a, panel, 16, init, m, k, 16, 0, clampMin, clampMax, rows);
                for (int i = 0; i < m; i++)
                {
                    rows.Slice(i * 16, width).CopyTo(y.Slice((i * ldy) + j, width));
                }

                j = n;
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            for (; j <= n - 8; j += 8)
            {
                GemmF32Strip128(a, b, init, m, k, n, ldy, j, clampMin, clampMax, y);
            }
        }

        for (; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                float acc = init.IsEmpty ? 0 : init[i];
                for (int p = 0; p < k; p++)
                {
                    acc = MathF.FusedMultiplyAdd(a[(i * k) + p], b[(p * n) + j], acc);
                }

                y[(i * ldy) + j] = ClampF32(acc, clampMin, clampMax);
            }
        }
    }

    /// <summary><c>panel[p · 16 + t] = b[p, j + t]</c> for p &lt; k and t &lt; <paramref name="width"/>, and 0 for t from there to 16.</summary>
    private static void PackStripF32(ReadOnlySpan<float> b, int k, int n, int j, int width, Span<float> panel)
    {
        panel = panel[..(16 * k)];
        panel.Clear();
        for (int p = 0; p < k; p++)
        {
            b.Slice((p * n) + j, width).CopyTo(panel.Slice(p * 16, width));
        }
    }

    /// <summary><c>panel[p · 16 + t] = b[p, j + t]</c> for p &lt; k, t &lt; 16.</summary>
    private static void PackStripF32(ReadOnlySpan<float> b, int k, int n, int j, Span<float> panel)
    {
        ref float source = ref MemoryMarshal.GetReference(b[..(((k - 1) * n) + j + 16)]);
        ref float destination = ref MemoryMarshal.GetReference(panel[..(16 * k)]);
        for (int p = 0; p < k; p++)
        {
            nuint from = ((nuint)p * (nuint)n) + (nuint)j;
            Vector256.LoadUnsafe(ref source, from).StoreUnsafe(ref destination, (nuint)p * 16);
            Vector256.LoadUnsafe(ref source, from + 8).StoreUnsafe(ref destination, ((nuint)p * 16) + 8);
        }
    }

    /// <summary>Columns [j, j + 16) of every row (row i of y at <c>i · ldy</c>), with <c>b[p, j + t]</c> read at <c>strip[p · stride + t]</c>.</summary>
    private static void GemmF32Strip256(ReadOnlySpan<float> a, ReadOnlySpan<float> strip, int stride, ReadOnlySpan<float> init, int m, int k, int ldy, int j, float clampMin, float clampMax, Span<float> y)
    {
        if (k > 0 && strip.Length < ((k - 1) * stride) + 16)
        {
            ThrowShape("The column strip is too short.");
        }

        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float bj = ref MemoryMarshal.GetReference(strip);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var lo = Vector256.Create(clampMin);
        var hi = Vector256.Create(clampMax);
        int i = 0;

        // Six rows: twelve accumulators, enough independent FMA chains to cover the FMA latency at two per cycle. The last
        // block overlaps the one before when 6 does not divide m: its rows come out the same, bit for bit.
        while (m >= 6)
        {
            ref float a0 = ref Unsafe.Add(ref ar, i * k);
            var c00 = Vector256.Create(init.IsEmpty ? 0 : init[i]);
            var c10 = Vector256.Create(init.IsEmpty ? 0 : init[i + 1]);
            var c20 = Vector256.Create(init.IsEmpty ? 0 : init[i + 2]);
            var c30 = Vector256.Create(init.IsEmpty ? 0 : init[i + 3]);
            var c40 = Vector256.Create(init.IsEmpty ? 0 : init[i + 4]);
            var c50 = Vector256.Create(init.IsEmpty ? 0 : init[i + 5]);
            var (c01, c11, c21, c31, c41, c51) = (c00, c10, c20, c30, c40, c50);
            nuint rowStep = (nuint)k;
            for (int p = 0; p < k; p++)
            {
                nuint row = (nuint)p * (nuint)stride;
                var b0 = Vector256.LoadUnsafe(ref bj, row);
                var b1 = Vector256.LoadUnsafe(ref bj, row + 8);
                ref float ap = ref Unsafe.Add(ref a0, p);
                FusedRow(ap, b0, b1, ref c00, ref c01);
                FusedRow(Unsafe.Add(ref ap, rowStep), b0, b1, ref c10, ref c11);
                FusedRow(Unsafe.Add(ref ap, 2 * rowStep), b0, b1, ref c20, ref c21);
                FusedRow(Unsafe.Add(ref ap, 3 * rowStep), b0, b1, ref c30, ref c31);
                FusedRow(Unsafe.Add(ref ap, 4 * rowStep), b0, b1, ref c40, ref c41);
                FusedRow(Unsafe.Add(ref ap, 5 * rowStep), b0, b1, ref c50, ref c51);
            }

            ref float row0 = ref Unsafe.Add(ref yr, ((nuint)i * (nuint)ldy) + (nuint)j);
            StoreRow(c00, c01, lo, hi, ref row0);
            StoreRow(c10, c11, lo, hi, ref Unsafe.Add(ref row0, (nuint)ldy));
            StoreRow(c20, c21, lo, hi, ref Unsafe.Add(ref row0, 2 * (nuint)ldy));
            StoreRow(c30, c31, lo, hi, ref Unsafe.Add(ref row0, 3 * (nuint)ldy));
            StoreRow(c40, c41, lo, hi, ref Unsafe.Add(ref row0, 4 * (nuint)ldy));
            StoreRow(c50, c51, lo, hi, ref Unsafe.Add(ref row0, 5 * (nuint)ldy));
            if (i + 6 >= m)
            {
                i = m;
                break;
            }

            i = Math.Min(i + 6, m - 6);
        }

        // Fewer than six rows in all: one row at a time.

        for (; i < m; i++)
        {
            ref float a0 = ref Unsafe.Add(ref ar, i * k);
            var c0 = Vector256.Create(init.IsEmpty ? 0 : init[i]);
            var c1 = c0;
            for (int p = 0; p < k; p++)
            {
                nuint row = (nuint)p * (nuint)stride;
                var w = Vector256.Create(Unsafe.Add(ref a0, p));
                c0 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref bj, row), c0);
                c1 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref bj, row + 8), c1);
            }

            nuint at = ((nuint)i * (nuint)ldy) + (nuint)j;
            ClampF32(c0, lo, hi).StoreUnsafe(ref yr, at);
            ClampF32(c1, lo, hi).StoreUnsafe(ref yr, at + 8);
        }
    }

    /// <summary>One row of a 6-row block: <c>a · b0</c> and <c>a · b1</c> fused into its two accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedRow(float a, Vector256<float> b0, Vector256<float> b1, ref Vector256<float> c0, ref Vector256<float> c1)
    {
        var w = Vector256.Create(a);
        c0 = Vector256.FusedMultiplyAdd(w, b0, c0);
        c1 = Vector256.FusedMultiplyAdd(w, b1, c1);
    }

    /// <summary>Sixteen outputs of one row, clamped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<float> c0, Vector256<float> c1, Vector256<float> lo, Vector256<float> hi, ref float row)
    {
        ClampF32(c0, lo, hi).StoreUnsafe(ref row);
        ClampF32(c1, lo, hi).StoreUnsafe(ref row, 8);
    }

    /// <summary>Columns [j, j + 8) of every row (row i of y at <c>i · ldy</c>).</summary>
    private static void GemmF32Strip128(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> init, int m, int k, int n, int ldy, int j, float clampMin, float clampMax, Span<float> y)
    {
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float bj = ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var lo = Vector128.Create(clampMin);
        var hi = Vector128.Create(clampMax);
        int i = 0;
        for (; i <= m - 4; i += 4)
        {
            ref float a0 = ref Unsafe.Add(ref ar, i * k);
            ref float a1 = ref Unsafe.Add(ref a0, k);
            ref float a2 = ref Unsafe.Add(ref a1, k);
            ref float a3 = ref Unsafe.Add(ref a2, k);
            var c00 = Vector128.Create(init.IsEmpty ? 0 : init[i]);
            var c10 = Vector128.Create(init.IsEmpty ? 0 : init[i + 1]);
            var c20 = Vector128.Create(init.IsEmpty ? 0 : init[i + 2]);
            var c30 = Vector128.Create(init.IsEmpty ? 0 : init[i + 3]);
            var (c01, c11, c21, c31) = (c00, c10, c20, c30);
            for (int p = 0; p < k; p++)
            {
                nuint row = (nuint)p * (nuint)n;
                var b0 = Vector128.LoadUnsafe(ref bj, row);
                var b1 = Vector128.LoadUnsafe(ref bj, row + 4);
                var w = Vector128.Create(Unsafe.Add(ref a0, p));
                c00 = Vector128.FusedMultiplyAdd(w, b0, c00);
                c01 = Vector128.FusedMultiplyAdd(w, b1, c01);
                w = Vector128.Create(Unsafe.Add(ref a1, p));
                c10 = Vector128.FusedMultiplyAdd(w, b0, c10);
                c11 = Vector128.FusedMultiplyAdd(w, b1, c11);
                w = Vector128.Create(Unsafe.Add(ref a2, p));
                c20 = Vector128.FusedMultiplyAdd(w, b0, c20);
                c21 = Vector128.FusedMultiplyAdd(w, b1, c21);
                w = Vector128.Create(Unsafe.Add(ref a3, p));
                c30 = Vector128.FusedMultiplyAdd(w, b0, c30);
                c31 = Vector128.FusedMultiplyAdd(w, b1, c31);
            }

            nuint at = ((nuint)i * (nuint)ldy) + (nuint)j;
            ClampF32(c00, lo, hi).StoreUnsafe(ref yr, at);
            ClampF32(c01, lo, hi).StoreUnsafe(ref yr, at + 4);
            at += (nuint)ldy;
            ClampF32(c10, lo, hi).StoreUnsafe(ref yr, at);
            ClampF32(c11, lo, hi).StoreUnsafe(ref yr, at + 4);
            at += (nuint)ldy;
            ClampF32(c20, lo, hi).StoreUnsafe(ref yr, at);
            ClampF32(c21, lo, hi).StoreUnsafe(ref yr, at + 4);
            at += (nuint)ldy;
            ClampF32(c30, lo, hi).StoreUnsafe(ref yr, at);
            ClampF32(c31, lo, hi).StoreUnsafe(ref yr, at + 4);
        }

        for (; i < m; i++)
        {
            ref float a0 = ref Unsafe.Add(ref ar, i * k);
            var c0 = Vector128.Create(init.IsEmpty ? 0 : init[i]);
            var c1 = c0;
            for (int p = 0; p < k; p++)
            {
                nuint row = (nuint)p * (nuint)n;
                var w = Vector128.Create(Unsafe.Add(ref a0, p));
                c0 = Vector128.FusedMultiplyAdd(w, Vector128.LoadUnsafe(ref bj, row), c0);
                c1 = Vector128.FusedMultiplyAdd(w, Vector128.LoadUnsafe(ref bj, row + 4), c1);
            }

            nuint at = ((nuint)i * (nuint)ldy) + (nuint)j;
            ClampF32(c0, lo, hi).StoreUnsafe(ref yr, at);
            ClampF32(c1, lo, hi).StoreUnsafe(ref yr, at + 4);
        }
    }
}
