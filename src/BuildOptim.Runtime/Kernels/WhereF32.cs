using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

/// <summary>
/// The numpy broadcast of Where's three operands: output dims and, per operand, its stride along each output dim (0 where
/// it is broadcast). Rank at most <see cref="BroadcastShape.MaxRank"/>.
/// </summary>
internal sealed record WhereShape(int[] Dims, int[] StridesCondition, int[] StridesX, int[] StridesY)
{
    public int Length => Dims.Aggregate(1, (p, d) => p * d);

    /// <summary>The broadcast of three shapes; null when they are incompatible.</summary>
    public static WhereShape? Create(int[] condition, int[] x, int[] y)
    {
        int rank = Math.Max(condition.Length, Math.Max(x.Length, y.Length));
        int[][] operands = [condition, x, y];
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = 1;
            foreach (var shape in operands)
            {
                int d = Dim(shape, i, rank);
                if (d != 1 && dims[i] != 1 && d != dims[i])
                {
                    return null;
                }

                dims[i] = d == 1 ? dims[i] : d;
            }
        }

        var strides = operands.Select(shape =>
        {
            var result = new int[rank];
            for (int i = rank - 1, stride = 1; i >= 0; i--)
            {
                int d = Dim(shape, i, rank);
                result[i] = d == 1 ? 0 : stride;
                stride *= d;
            }

            return result;
        }).ToArray();
        return new WhereShape(dims, strides[0], strides[1], strides[2]);
    }

    /// <summary>1 + Σ (d − 1) · stride: the elements an operand spans (0 when the output is empty).</summary>
    public static long Extent(int[] dims, int[] strides)
    {
        long extent = 1;
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] == 0)
            {
                return 0;
            }

            extent += (dims[d] - 1L) * strides[d];
        }

        return extent;
    }

    private static int Dim(int[] shape, int i, int rank) => i - (rank - shape.Length) >= 0 ? shape[i - (rank - shape.Length)] : 1;
}

public static partial class Kernels
{
    /// <summary>
    /// ONNX Where: <c>out[i] = condition[i_c] ≠ 0 ? x[i_x] : y[i_y]</c> with numpy broadcasting of the three operands
    /// (<paramref name="shape"/>).
    /// </summary>
    /// <remarks>
    /// Walked as runs along the innermost dimension after dropping size-1 dims and merging neighbours contiguous for all
    /// three operands; a run whose operands are each contiguous or one value (an attention mask over scores, a fill value)
    /// selects a vector at a time. A selection copies one of its inputs, so every width gives the scalar result bit for bit.
    /// </remarks>
    internal static void WhereF32(ReadOnlySpan<float> condition, ReadOnlySpan<float> x, ReadOnlySpan<float> y, WhereShape shape, Span<float> output)
        => WhereF32(condition, x, y, shape, output, SimdLevel.Vector512);

    /// <summary><see cref="WhereF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, WhereShape, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void WhereF32(ReadOnlySpan<float> condition, ReadOnlySpan<float> x, ReadOnlySpan<float> y, WhereShape shape, Span<float> output, SimdLevel maxLevel)
    {
        int rank = shape.Dims.Length;
        if (rank > BroadcastShape.MaxRank || shape.StridesCondition.Length != rank || shape.StridesX.Length != rank || shape.StridesY.Length != rank
            || shape.Dims.Any(d => d < 0) || shape.StridesCondition.Concat(shape.StridesX).Concat(shape.StridesY).Any(s => s < 0))
        {
            ThrowShape($"Where shapes have rank at most {BroadcastShape.MaxRank}, one stride per dimension and operand, none negative.");
        }

        if (output.Length != shape.Length
            || (shape.Length > 0 && (condition.Length != WhereShape.Extent(shape.Dims, shape.StridesCondition) || x.Length != WhereShape.Extent(shape.Dims, shape.StridesX) || y.Length != WhereShape.Extent(shape.Dims, shape.StridesY))))
        {
            ThrowShape($"Where of [{string.Join(",", shape.Dims)}] got {condition.Length}, {x.Length}, {y.Length} and {output.Length} elements.");
        }

        WhereF32Core(condition, x, y, shape, output, maxLevel);
    }

    /// <summary><see cref="WhereF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, WhereShape, Span{float})"/> with its operands checked by the caller (<see cref="PlanRunner"/>, at load).</summary>
    internal static void WhereF32Core(ReadOnlySpan<float> condition, ReadOnlySpan<float> x, ReadOnlySpan<float> y, WhereShape shape, Span<float> output, SimdLevel maxLevel)
    {
        int length = output.Length;
        if (length == 0)
        {
            return;
        }

        Span<int> dims = stackalloc int[BroadcastShape.MaxRank];
        Span<int> sc = stackalloc int[BroadcastShape.MaxRank];
        Span<int> sx = stackalloc int[BroadcastShape.MaxRank];
        Span<int> sy = stackalloc int[BroadcastShape.MaxRank];
        int r = 0;
        for (int i = shape.Dims.Length - 1; i >= 0; i--)
        {
            int d = shape.Dims[i];
            if (d == 1)
            {
                continue;
            }

            int c = shape.StridesCondition[i], a = shape.StridesX[i], b = shape.StridesY[i];
            if (r > 0 && c == sc[r - 1] * dims[r - 1] && a == sx[r - 1] * dims[r - 1] && b == sy[r - 1] * dims[r - 1])
            {
                dims[r - 1] *= d;
                continue;
            }

            (dims[r], sc[r], sx[r], sy[r]) = (d, c, a, b);
            r++;
        }

        if (r == 0)
        {
            output[0] = condition[0] != 0 ? x[0] : y[0];
            return;
        }

        int inner = dims[0];
        Span<int> index = stackalloc int[BroadcastShape.MaxRank];
        index.Clear();
        int oc = 0, ox = 0, oy = 0;
        for (int at = 0; at < length; at += inner)
        {
            WhereRun(condition[oc..], sc[0], x[ox..], sx[0], y[oy..], sy[0], output.Slice(at, inner), maxLevel);
            for (int k = 1; k < r; k++)
            {
                oc += sc[k];
                ox += sx[k];
                oy += sy[k];
                if (++index[k] < dims[k])
                {
                    break;
                }

                oc -= sc[k] * dims[k];
                ox -= sx[k] * dims[k];
                oy -= sy[k] * dims[k];
                index[k] = 0;
            }
        }
    }

    /// <summary>One run: <c>output[i] = c[i·sc] ≠ 0 ? x[i·sx] : y[i·sy]</c>, a vector at a time when every stride is 0 or 1.</summary>
    private static void WhereRun(ReadOnlySpan<float> c, int sc, ReadOnlySpan<float> x, int sx, ReadOnlySpan<float> y, int sy, Span<float> output, SimdLevel level)
    {
        int n = output.Length, i = 0;
        if (sc <= 1 && sx <= 1 && sy <= 1)
        {
            ref float cr = ref MemoryMarshal.GetReference(c);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            ref float or = ref MemoryMarshal.GetReference(output);
            if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
            {
                // Bounds: a stride-1 operand spans n elements from here; a stride-0 one is read at 0 only.
                _ = c[sc * (n - 1)] + x[sx * (n - 1)] + y[sy * (n - 1)];
                for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var keep = Vector256.Equals(Load256(ref cr, sc, i), Vector256<float>.Zero);
                    Vector256.ConditionalSelect(keep, Load256(ref yr, sy, i), Load256(ref xr, sx, i)).StoreUnsafe(ref or, (nuint)i);
                }
            }

            if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
            {
                _ = c[sc * (n - 1)] + x[sx * (n - 1)] + y[sy * (n - 1)];
                for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                {
                    var keep = Vector128.Equals(Load128(ref cr, sc, i), Vector128<float>.Zero);
                    Vector128.ConditionalSelect(keep, Load128(ref yr, sy, i), Load128(ref xr, sx, i)).StoreUnsafe(ref or, (nuint)i);
                }
            }
        }

        for (; i < n; i++)
        {
            output[i] = c[i * sc] != 0 ? x[i * sx] : y[i * sy];
        }
    }

    /// <summary>Eight lanes from <paramref name="i"/> of a stride-1 operand, or its one value in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load256(ref float source, int stride, int i)
        => stride == 0 ? Vector256.Create(source) : Vector256.LoadUnsafe(ref source, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Load128(ref float source, int stride, int i)
        => stride == 0 ? Vector128.Create(source) : Vector128.LoadUnsafe(ref source, (nuint)i);
}
