using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// The micro-tiles of GemmF32Packed: rows [0, TRows) of x (row i at a + i·lda) times one panel of packed weights, every
// accumulator started from its output's bias and fed one fused multiply-add per step of p, in ascending p.
public static partial class Kernels
{
    /// <summary>
    /// <paramref name="rows"/> rows from <paramref name="a"/> (K apart) × the 32 outputs of the panel at <paramref name="b"/>,
    /// clamped, into rows <paramref name="ldy"/> apart from <paramref name="y"/>: at 512 bits in one tile, at 256 bits in two
    /// halves of 16 outputs, at 128 bits in four quarters of 8.
    /// </summary>
    private static unsafe void GemmF32Tile(SimdLevel level, int rows, float* a, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
    {
        if (level >= SimdLevel.Vector512 && Vector512.IsHardwareAccelerated)
        {
            GemmF32Tile512(rows, a, k, b, bias, y, ldy, clampMin, clampMax);
        }
        else if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            GemmF32TileNarrow256(rows, a, k, b, bias, y, ldy, clampMin, clampMax);
            GemmF32TileNarrow256(rows, a, k, b + 16, bias + 16, y + 16, ldy, clampMin, clampMax);
        }
        else
        {
            for (int quarter = 0; quarter < 32; quarter += 8)
            {
                GemmF32TileNarrow128(rows, a, k, b + quarter, bias + quarter, y + quarter, ldy, clampMin, clampMax);
            }
        }
    }

    private static unsafe void GemmF32Tile512(int rows, float* a, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
    {
        switch (rows)
        {
            case 1: GemmF32Tile512<Rows1>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 2: GemmF32Tile512<Rows2>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 3: GemmF32Tile512<Rows3>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 4: GemmF32Tile512<Rows4>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 5: GemmF32Tile512<Rows5>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 6: GemmF32Tile512<Rows6>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 7: GemmF32Tile512<Rows7>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 8: GemmF32Tile512<Rows8>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 9: GemmF32Tile512<Rows9>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 10: GemmF32Tile512<Rows10>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 11: GemmF32Tile512<Rows11>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 12: GemmF32Tile512<Rows12>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
        }
    }

    private static unsafe void GemmF32TileNarrow256(int rows, float* a, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
    {
        switch (rows)
        {
            case 1: GemmF32Tile256<Rows1>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 2: GemmF32Tile256<Rows2>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 3: GemmF32Tile256<Rows3>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 4: GemmF32Tile256<Rows4>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 5: GemmF32Tile256<Rows5>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 6: GemmF32Tile256<Rows6>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
        }
    }

    private static unsafe void GemmF32TileNarrow128(int rows, float* a, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
    {
        switch (rows)
        {
            case 1: GemmF32Tile128<Rows1>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 2: GemmF32Tile128<Rows2>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 3: GemmF32Tile128<Rows3>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 4: GemmF32Tile128<Rows4>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 5: GemmF32Tile128<Rows5>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
            case 6: GemmF32Tile128<Rows6>(a, k, k, b, bias, y, ldy, clampMin, clampMax); break;
        }
    }

    /// <summary>Rows [0, TRows) × the panel's 32 outputs with 512-bit vectors: 24 accumulators, two loads of weights and one broadcast per row for each step of p.</summary>
    private static unsafe void GemmF32Tile512<TRows>(float* a, nint lda, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
        where TRows : struct, ITileRowCount
    {
        int rows = TRows.Count;
        var bias0 = Vector512.Load(bias);
        var bias1 = Vector512.Load(bias + 16);
        var c0a = bias0; var c0b = bias1;
        var c1a = bias0; var c1b = bias1;
        var c2a = bias0; var c2b = bias1;
        var c3a = bias0; var c3b = bias1;
        var c4a = bias0; var c4b = bias1;
        var c5a = bias0; var c5b = bias1;
        var c6a = bias0; var c6b = bias1;
        var c7a = bias0; var c7b = bias1;
        var c8a = bias0; var c8b = bias1;
        var c9a = bias0; var c9b = bias1;
        var c10a = bias0; var c10b = bias1;
        var c11a = bias0; var c11b = bias1;
        float* a3 = a + (3 * lda), a6 = a + (6 * lda), a9 = a + (9 * lda);
        nint lda2 = 2 * lda;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var s0 = Vector512.Create(a[0]); c0a = Vector512.FusedMultiplyAdd(s0, b0, c0a); c0b = Vector512.FusedMultiplyAdd(s0, b1, c0b);
            if (rows > 1)
            {
                var s1 = Vector512.Create(a[lda]); c1a = Vector512.FusedMultiplyAdd(s1, b0, c1a); c1b = Vector512.FusedMultiplyAdd(s1, b1, c1b);
            }

            if (rows > 2)
            {
                var s2 = Vector512.Create(a[lda2]); c2a = Vector512.FusedMultiplyAdd(s2, b0, c2a); c2b = Vector512.FusedMultiplyAdd(s2, b1, c2b);
            }

            if (rows > 3)
            {
                var s3 = Vector512.Create(a3[0]); c3a = Vector512.FusedMultiplyAdd(s3, b0, c3a); c3b = Vector512.FusedMultiplyAdd(s3, b1, c3b);
            }

            if (rows > 4)
            {
                var s4 = Vector512.Create(a3[lda]); c4a = Vector512.FusedMultiplyAdd(s4, b0, c4a); c4b = Vector512.FusedMultiplyAdd(s4, b1, c4b);
            }

            if (rows > 5)
            {
                var s5 = Vector512.Create(a3[lda2]); c5a = Vector512.FusedMultiplyAdd(s5, b0, c5a); c5b = Vector512.FusedMultiplyAdd(s5, b1, c5b);
            }

            if (rows > 6)
            {
                var s6 = Vector512.Create(a6[0]); c6a = Vector512.FusedMultiplyAdd(s6, b0, c6a); c6b = Vector512.FusedMultiplyAdd(s6, b1, c6b);
            }

            if (rows > 7)
            {
                var s7 = Vector512.Create(a6[lda]); c7a = Vector512.FusedMultiplyAdd(s7, b0, c7a); c7b = Vector512.FusedMultiplyAdd(s7, b1, c7b);
            }

            if (rows > 8)
            {
                var s8 = Vector512.Create(a6[lda2]); c8a = Vector512.FusedMultiplyAdd(s8, b0, c8a); c8b = Vector512.FusedMultiplyAdd(s8, b1, c8b);
            }

            if (rows > 9)
            {
                var s9 = Vector512.Create(a9[0]); c9a = Vector512.FusedMultiplyAdd(s9, b0, c9a); c9b = Vector512.FusedMultiplyAdd(s9, b1, c9b);
            }

            if (rows > 10)
            {
                var s10 = Vector512.Create(a9[lda]); c10a = Vector512.FusedMultiplyAdd(s10, b0, c10a); c10b = Vector512.FusedMultiplyAdd(s10, b1, c10b);
            }

            if (rows > 11)
            {
                var s11 = Vector512.Create(a9[lda2]); c11a = Vector512.FusedMultiplyAdd(s11, b0, c11a); c11b = Vector512.FusedMultiplyAdd(s11, b1, c11b);
            }

            a++;
            a3++;
            a6++;
            a9++;
            b += GemmF32Weights.PanelWidth;
        }

        var lo = Vector512.Create(clampMin);
        var hi = Vector512.Create(clampMax);
        ClampF32(c0a, lo, hi).Store(y); ClampF32(c0b, lo, hi).Store(y + 16);
        if (rows > 1)
        {
            ClampF32(c1a, lo, hi).Store(y + (1 * ldy)); ClampF32(c1b, lo, hi).Store(y + (1 * ldy) + 16);
        }

        if (rows > 2)
        {
            ClampF32(c2a, lo, hi).Store(y + (2 * ldy)); ClampF32(c2b, lo, hi).Store(y + (2 * ldy) + 16);
        }

        if (rows > 3)
        {
            ClampF32(c3a, lo, hi).Store(y + (3 * ldy)); ClampF32(c3b, lo, hi).Store(y + (3 * ldy) + 16);
        }

        if (rows > 4)
        {
            ClampF32(c4a, lo, hi).Store(y + (4 * ldy)); ClampF32(c4b, lo, hi).Store(y + (4 * ldy) + 16);
        }

        if (rows > 5)
        {
            ClampF32(c5a, lo, hi).Store(y + (5 * ldy)); ClampF32(c5b, lo, hi).Store(y + (5 * ldy) + 16);
        }

        if (rows > 6)
        {
            ClampF32(c6a, lo, hi).Store(y + (6 * ldy)); ClampF32(c6b, lo, hi).Store(y + (6 * ldy) + 16);
        }

        if (rows > 7)
        {
            ClampF32(c7a, lo, hi).Store(y + (7 * ldy)); ClampF32(c7b, lo, hi).Store(y + (7 * ldy) + 16);
        }

        if (rows > 8)
        {
            ClampF32(c8a, lo, hi).Store(y + (8 * ldy)); ClampF32(c8b, lo, hi).Store(y + (8 * ldy) + 16);
        }

        if (rows > 9)
        {
            ClampF32(c9a, lo, hi).Store(y + (9 * ldy)); ClampF32(c9b, lo, hi).Store(y + (9 * ldy) + 16);
        }

        if (rows > 10)
        {
            ClampF32(c10a, lo, hi).Store(y + (10 * ldy)); ClampF32(c10b, lo, hi).Store(y + (10 * ldy) + 16);
        }

        if (rows > 11)
        {
            ClampF32(c11a, lo, hi).Store(y + (11 * ldy)); ClampF32(c11b, lo, hi).Store(y + (11 * ldy) + 16);
        }

    }

    /// <summary>Rows [0, TRows) × 16 outputs of the panel (at <paramref name="b"/>) with 256-bit vectors: 12 accumulators.</summary>
    private static unsafe void GemmF32Tile256<TRows>(float* a, nint lda, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
        where TRows : struct, ITileRowCount
    {
        int rows = TRows.Count;
        var bias0 = Vector256.Load(bias);
        var bias1 = Vector256.Load(bias + 8);
        var c0a = bias0; var c0b = bias1;
        var c1a = bias0; var c1b = bias1;
        var c2a = bias0; var c2b = bias1;
        var c3a = bias0; var c3b = bias1;
        var c4a = bias0; var c4b = bias1;
        var c5a = bias0; var c5b = bias1;
        float* a3 = a + (3 * lda);
        nint lda2 = 2 * lda;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var s0 = Vector256.Create(a[0]); c0a = Vector256.FusedMultiplyAdd(s0, b0, c0a); c0b = Vector256.FusedMultiplyAdd(s0, b1, c0b);
            if (rows > 1)
            {
                var s1 = Vector256.Create(a[lda]); c1a = Vector256.FusedMultiplyAdd(s1, b0, c1a); c1b = Vector256.FusedMultiplyAdd(s1, b1, c1b);
            }

            if (rows > 2)
            {
                var s2 = Vector256.Create(a[lda2]); c2a = Vector256.FusedMultiplyAdd(s2, b0, c2a); c2b = Vector256.FusedMultiplyAdd(s2, b1, c2b);
            }

            if (rows > 3)
            {
                var s3 = Vector256.Create(a3[0]); c3a = Vector256.FusedMultiplyAdd(s3, b0, c3a); c3b = Vector256.FusedMultiplyAdd(s3, b1, c3b);
            }

            if (rows > 4)
            {
                var s4 = Vector256.Create(a3[lda]); c4a = Vector256.FusedMultiplyAdd(s4, b0, c4a); c4b = Vector256.FusedMultiplyAdd(s4, b1, c4b);
            }

            if (rows > 5)
            {
                var s5 = Vector256.Create(a3[lda2]); c5a = Vector256.FusedMultiplyAdd(s5, b0, c5a); c5b = Vector256.FusedMultiplyAdd(s5, b1, c5b);
            }

            a++;
            a3++;
            b += GemmF32Weights.PanelWidth;
        }

        var lo = Vector256.Create(clampMin);
        var hi = Vector256.Create(clampMax);
        ClampF32(c0a, lo, hi).Store(y); ClampF32(c0b, lo, hi).Store(y + 8);
        if (rows > 1)
        {
            ClampF32(c1a, lo, hi).Store(y + (1 * ldy)); ClampF32(c1b, lo, hi).Store(y + (1 * ldy) + 8);
        }

        if (rows > 2)
        {
            ClampF32(c2a, lo, hi).Store(y + (2 * ldy)); ClampF32(c2b, lo, hi).Store(y + (2 * ldy) + 8);
        }

        if (rows > 3)
        {
            ClampF32(c3a, lo, hi).Store(y + (3 * ldy)); ClampF32(c3b, lo, hi).Store(y + (3 * ldy) + 8);
        }

        if (rows > 4)
        {
            ClampF32(c4a, lo, hi).Store(y + (4 * ldy)); ClampF32(c4b, lo, hi).Store(y + (4 * ldy) + 8);
        }

        if (rows > 5)
        {
            ClampF32(c5a, lo, hi).Store(y + (5 * ldy)); ClampF32(c5b, lo, hi).Store(y + (5 * ldy) + 8);
        }

    }

    /// <summary>Rows [0, TRows) × 8 outputs of the panel (at <paramref name="b"/>) with 128-bit vectors: 12 accumulators.</summary>
    private static unsafe void GemmF32Tile128<TRows>(float* a, nint lda, int k, float* b, float* bias, float* y, nint ldy, float clampMin, float clampMax)
        where TRows : struct, ITileRowCount
    {
        int rows = TRows.Count;
        var bias0 = Vector128.Load(bias);
        var bias1 = Vector128.Load(bias + 4);
        var c0a = bias0; var c0b = bias1;
        var c1a = bias0; var c1b = bias1;
        var c2a = bias0; var c2b = bias1;
        var c3a = bias0; var c3b = bias1;
        var c4a = bias0; var c4b = bias1;
        var c5a = bias0; var c5b = bias1;
        float* a3 = a + (3 * lda);
        nint lda2 = 2 * lda;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var s0 = Vector128.Create(a[0]); c0a = Vector128.FusedMultiplyAdd(s0, b0, c0a); c0b = Vector128.FusedMultiplyAdd(s0, b1, c0b);
            if (rows > 1)
            {
                var s1 = Vector128.Create(a[lda]); c1a = Vector128.FusedMultiplyAdd(s1, b0, c1a); c1b = Vector128.FusedMultiplyAdd(s1, b1, c1b);
            }

            if (rows > 2)
            {
                var s2 = Vector128.Create(a[lda2]); c2a = Vector128.FusedMultiplyAdd(s2, b0, c2a); c2b = Vector128.FusedMultiplyAdd(s2, b1, c2b);
            }

            if (rows > 3)
            {
                var s3 = Vector128.Create(a3[0]); c3a = Vector128.FusedMultiplyAdd(s3, b0, c3a); c3b = Vector128.FusedMultiplyAdd(s3, b1, c3b);
            }

            if (rows > 4)
            {
                var s4 = Vector128.Create(a3[lda]); c4a = Vector128.FusedMultiplyAdd(s4, b0, c4a); c4b = Vector128.FusedMultiplyAdd(s4, b1, c4b);
            }

            if (rows > 5)
            {
                var s5 = Vector128.Create(a3[lda2]); c5a = Vector128.FusedMultiplyAdd(s5, b0, c5a); c5b = Vector128.FusedMultiplyAdd(s5, b1, c5b);
            }

            a++;
            a3++;
            b += GemmF32Weights.PanelWidth;
        }

        var lo = Vector128.Create(clampMin);
        var hi = Vector128.Create(clampMax);
        ClampF32(c0a, lo, hi).Store(y); ClampF32(c0b, lo, hi).Store(y + 4);
        if (rows > 1)
        {
            ClampF32(c1a, lo, hi).Store(y + (1 * ldy)); ClampF32(c1b, lo, hi).Store(y + (1 * ldy) + 4);
        }

        if (rows > 2)
        {
            ClampF32(c2a, lo, hi).Store(y + (2 * ldy)); ClampF32(c2b, lo, hi).Store(y + (2 * ldy) + 4);
        }

        if (rows > 3)
        {
            ClampF32(c3a, lo, hi).Store(y + (3 * ldy)); ClampF32(c3b, lo, hi).Store(y + (3 * ldy) + 4);
        }

        if (rows > 4)
        {
            ClampF32(c4a, lo, hi).Store(y + (4 * ldy)); ClampF32(c4b, lo, hi).Store(y + (4 * ldy) + 4);
        }

        if (rows > 5)
        {
            ClampF32(c5a, lo, hi).Store(y + (5 * ldy)); ClampF32(c5b, lo, hi).Store(y + (5 * ldy) + 4);
        }

    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ClampF32(Vector512<float> v, Vector512<float> min, Vector512<float> max)
    {
        v = Vector512.ConditionalSelect(Vector512.LessThan(v, min), min, v);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(v, max), max, v);
    }

    // Rows1 to Rows6 are the dynamic int8 GEMM's (GemmU8S8F32DynamicTiles.cs).
    private struct Rows7 : ITileRowCount { public static int Count => 7; }

    private struct Rows8 : ITileRowCount { public static int Count => 8; }

    private struct Rows9 : ITileRowCount { public static int Count => 9; }

    private struct Rows10 : ITileRowCount { public static int Count => 10; }

    private struct Rows11 : ITileRowCount { public static int Count => 11; }

    private struct Rows12 : ITileRowCount { public static int Count => 12; }
}
