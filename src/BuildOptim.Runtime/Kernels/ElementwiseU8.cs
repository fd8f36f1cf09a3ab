using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// L, the left shift that gives zero-point-corrected codes headroom before <see cref="RequantizeU8"/> rescales them:
    /// |(q − z) · 2^L| ≤ 255 · 2^20 &lt; 2^28.
    /// </summary>
    internal const int RescaleLeftShift = 20;

    /// <summary>
    /// Quantized Add (or Sub) with numpy broadcasting: each output is the code of its two inputs under
    /// <paramref name="p"/>, exactly as <see cref="AddU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, in AddU8Coefficients, Span{byte})"/>
    /// computes it. In place is allowed.
    /// </summary>
    /// <remarks>qa·Ma and qb·Mb + C depend on one code each, so they are tabulated per call (256 entries each).</remarks>
    internal static void AddU8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, BroadcastShape shape, in AddU8Coefficients p, Span<byte> y)
    {
        ValidateAdd(p);
        ValidateBroadcast(shape, a.Length, b.Length, y.Length);
        AddU8Core(a, b, shape, p, y);
    }

    /// <summary>The broadcasting Add with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void AddU8Core(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, BroadcastShape shape, in AddU8Coefficients p, Span<byte> y)
    {
        Span<int> tableA = stackalloc int[256];
        Span<int> tableB = stackalloc int[256];
        for (int q = 0; q < 256; q++)
        {
            tableA[q] = q * p.MultiplierA;
            tableB[q] = (q * p.MultiplierB) + p.Offset;
        }

        var run = new AddU8Run(a, tableA, b, tableB, y, p.Shift, p.ClampMin, p.ClampMax);
        ForEachBroadcastRunCore(shape, ref run);
    }

    /// <summary>The fixed-point multiplier of <see cref="MulU8"/>: <c>QuantizeMultiplier(Sa · Sb / Sy)</c>.</summary>
    internal static (int Multiplier, int Shift) MulU8Multiplier(double scaleA, double scaleB, double scaleOut)
        => FixedPoint.QuantizeMultiplier(scaleA * scaleB / scaleOut);

    /// <summary>
    /// Quantized Mul with numpy broadcasting: <c>y = clamp(zy + R((qa − za)·(qb − zb), m, s), clampMin, clampMax)</c>, with
    /// <c>R(v, m, s) = (v·m + 2^(s−1)) &gt;&gt; s</c> in 64 bits and <c>m·2^−s ≈ Sa·Sb / Sy</c> (<see cref="MulU8Multiplier"/>;
    /// it may exceed 1). The product is exact: |(qa − za)·(qb − zb)| ≤ 255².
    /// </summary>
    internal static void MulU8(ReadOnlySpan<byte> a, int zeroPointA, ReadOnlySpan<byte> b, int zeroPointB, BroadcastShape shape, int multiplier, int shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> y)
    {
        ValidateZeroPoint(zeroPointA);
        ValidateZeroPoint(zeroPointB);
        ValidateShift(shift);
        if (clampMin > clampMax)
        {
            ThrowEmptyClampRange();
        }

        ValidateBroadcast(shape, a.Length, b.Length, y.Length);
        MulU8Core(a, zeroPointA, b, zeroPointB, shape, multiplier, shift, outputZeroPoint, clampMin, clampMax, y, SimdLevel.Vector512);
    }

    /// <summary>The quantized Mul with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void MulU8Core(ReadOnlySpan<byte> a, int zeroPointA, ReadOnlySpan<byte> b, int zeroPointB, BroadcastShape shape, int multiplier, int shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> y, SimdLevel level)
    {
        var run = new MulU8Run(a, zeroPointA, b, zeroPointB, y, outputZeroPoint, multiplier, shift, clampMin, clampMax, level);
        if (!run.TryScaleRows(shape))
        {
            ForEachBroadcastRunCore(shape, ref run);
        }
    }

    /// <summary>The fixed-point multiplier of <see cref="RequantizeU8"/>: <c>QuantizeMultiplier(Sx / (Sy · 2^L))</c>.</summary>
    internal static (int Multiplier, int Shift) RequantizeU8Multiplier(double scaleIn, double scaleOut)
        => FixedPoint.QuantizeMultiplier(scaleIn / (scaleOut * Math.ScaleB(1, RescaleLeftShift)));

    /// <summary>
    /// Re-expresses codes under new quantization parameters:
    /// <c>y = clamp(zy + R((x − zx)·2^L, m, s), 0, 255)</c> with L = <see cref="RescaleLeftShift"/>, <c>R(v, m, s) = (v·m + 2^(s−1)) &gt;&gt; s</c>
    /// in 64 bits and <c>m·2^−s ≈ Sx / (Sy·2^L)</c> (<see cref="RequantizeU8Multiplier"/>). In place is allowed.
    /// </summary>
    /// <remarks>The 256 possible outputs are tabulated per call.</remarks>
    internal static void RequantizeU8(ReadOnlySpan<byte> x, int zeroPointIn, int multiplier, int shift, int outputZeroPoint, Span<byte> y)
    {
        if (x.Length != y.Length)
        {
            ThrowShape($"Requantize got {x.Length} inputs and {y.Length} outputs.");
        }

        ValidateZeroPoint(zeroPointIn);
        ValidateShift(shift);
        RequantizeU8Core(x, zeroPointIn, multiplier, shift, outputZeroPoint, y);
    }

    /// <summary><see cref="RequantizeU8"/> with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void RequantizeU8Core(ReadOnlySpan<byte> x, int zeroPointIn, int multiplier, int shift, int outputZeroPoint, Span<byte> y)
    {
        Span<byte> table = stackalloc byte[256];
        for (int q = 0; q < 256; q++)
        {
            table[q] = ClampToU8(outputZeroPoint + RequantizeWide((q - zeroPointIn) << RescaleLeftShift, multiplier, shift), 0, 255);
        }

        for (int i = 0; i < x.Length; i++)
        {
            y[i] = table[x[i]];
        }
    }

    /// <summary><c>(v·m + 2^(s−1)) &gt;&gt; s</c> kept in 64 bits, exact for any int32 v and m.</summary>
    private static long RequantizeWide(int v, int multiplier, int shift)
        => ((v * (long)multiplier) + (1L << (shift - 1))) >> shift;

    private static byte ClampToU8(long value, byte min, byte max) => (byte)Math.Clamp(value, min, max);

    private static void ValidateShift(int shift)
    {
        if ((uint)(shift - 1) >= FixedPoint.MaxShift)
        {
            ThrowShiftOutOfRange();
        }
    }

    private static void ValidateZeroPoint(int zeroPoint)
    {
        if ((uint)zeroPoint > byte.MaxValue)
        {
            ThrowZeroPointOutOfRange(zeroPoint);
        }
    }

    private readonly ref struct AddU8Run(ReadOnlySpan<byte> a, ReadOnlySpan<int> tableA, ReadOnlySpan<byte> b, ReadOnlySpan<int> tableB, Span<byte> y, int shift, byte min, byte max) : IBroadcastRun
    {
        private readonly ReadOnlySpan<byte> _a = a;
        private readonly ReadOnlySpan<int> _tableA = tableA;
        private readonly ReadOnlySpan<byte> _b = b;
        private readonly ReadOnlySpan<int> _tableB = tableB;
        private readonly Span<byte> _y = y;

        public void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            for (int i = 0; i < count; i++)
            {
                int sum = _tableA[_a[offsetA + (i * strideA)]] + _tableB[_b[offsetB + (i * strideB)]];
                y[i] = (byte)Math.Clamp(sum >> shift, min, max);
            }
        }
    }

    private ref struct MulU8Run : IBroadcastRun
    {
        private readonly ReadOnlySpan<byte> _a;
        private readonly int _zeroPointA;
        private readonly ReadOnlySpan<byte> _b;
        private readonly int _zeroPointB;
        private readonly Span<byte> _y;
        private readonly int _zeroPoint;
        private readonly int _multiplier;
        private readonly int _shift;
        private readonly byte _min;
        private readonly byte _max;

        private readonly SimdLevel _level;
        private readonly RowRequantizerAvx2 _requantizer;

        public MulU8Run(ReadOnlySpan<byte> a, int zeroPointA, ReadOnlySpan<byte> b, int zeroPointB, Span<byte> y, int zeroPoint, int multiplier, int shift, byte min, byte max, SimdLevel level)
        {
            _level = level >= SimdLevel.Vector256 && Avx2.IsSupported ? level : SimdLevel.Scalar;
            _requantizer = _level >= SimdLevel.Vector256 ? new RowRequantizerAvx2(multiplier, shift, zeroPoint, min, max) : default;
            _a = a;
            _zeroPointA = zeroPointA;
            _b = b;
            _zeroPointB = zeroPointB;
            _y = y;
            _zeroPoint = zeroPoint;
            _multiplier = multiplier;
            _shift = shift;
            _min = min;
            _max = max;
        }

        /// <summary>
        /// The per-channel scale of a squeeze-excitation block in one loop over the rows (see <see cref="IsRowScale"/>),
        /// without a broadcast run per row; false (nothing written) below AVX2, for other shapes and for rows under 8 codes.
        /// </summary>
        public readonly bool TryScaleRows(BroadcastShape shape)
        {
            if (_level < SimdLevel.Vector256 || !IsRowScale(shape, out int rows, out int length, out bool rowsInA) || length < 8)
            {
                return false;
            }

            var codes = rowsInA ? _a : _b;
            var scales = rowsInA ? _b : _a;
            int zeroPoint = rowsInA ? _zeroPointA : _zeroPointB;
            int scaleZeroPoint = rowsInA ? _zeroPointB : _zeroPointA;
            for (int row = 0, offset = 0; row < rows; row++, offset += length)
            {
                int factor = scales[row] - scaleZeroPoint;
                var y = _y.Slice(offset, length);
                int i = ScaledRowAvx2(codes.Slice(offset, length), zeroPoint, factor, y);
                for (; i < length; i++)
                {
                    y[i] = ClampToU8(_zeroPoint + RequantizeWide((codes[offset + i] - zeroPoint) * factor, _multiplier, _shift), _min, _max);
                }
            }

            return true;
        }

        public readonly void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            int i = 0;
            if (_level >= SimdLevel.Vector256 && count >= 8 && strideA + strideB == 1)
            {
                // One operand steps through the run, the other is one code (a per-channel scale): the product is a
                // row of accumulators with one multiplier, requantized 8 at a time as the convolutions' rows are.
                i = strideA == 1
                    ? ScaledRowAvx2(_a.Slice(offsetA, count), _zeroPointA, _b[offsetB] - _zeroPointB, y)
                    : ScaledRowAvx2(_b.Slice(offsetB, count), _zeroPointB, _a[offsetA] - _zeroPointA, y);
            }

            for (; i < count; i++)
            {
                int product = (_a[offsetA + (i * strideA)] - _zeroPointA) * (_b[offsetB + (i * strideB)] - _zeroPointB);
                y[i] = ClampToU8(_zeroPoint + RequantizeWide(product, _multiplier, _shift), _min, _max);
            }
        }

        /// <summary>
        /// <c>y[i] = clamp(zy + R((codes[i] − zeroPoint) · factor, m, s))</c> (|product| ≤ 255², so the int32 product is
        /// exact), 16 a step when the requantizer folds, else 8; returns how many it wrote. The rest is the caller's scalar
        /// tail. The requantizer is read in place (a copy of its vectors per run cost more than the run's arithmetic on
        /// the 4 × 4 and 7 × 7 planes of a squeeze-excitation scale), and when the output does not overlap the codes the
        /// last 1 to 15 codes are one vector of 16 ending at the run's end (each output depends on its own code only).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly int ScaledRowAvx2(ReadOnlySpan<byte> codes, int zeroPoint, int factor, Span<byte> y)
        {
            ref readonly var requantizer = ref _requantizer;
            var zero = Vector256.Create(zeroPoint);
            var scale = Vector256.Create(factor);
            ref byte x = ref MemoryMarshal.GetReference(codes);
            ref byte yr = ref MemoryMarshal.GetReference(y);
            int n = codes.Length;
            int i = 0;
            if (requantizer.Folds && n >= 16)
            {
                for (; i <= n - 16; i += 16)
                {
                    requantizer.Apply16(Avx2.MultiplyLow(Widen8(ref x, i) - zero, scale), Avx2.MultiplyLow(Widen8(ref x, i + 8) - zero, scale)).StoreUnsafe(ref yr, (nuint)i);
                }

                if (i < n && !codes.Overlaps(y))
                {
                    int last = n - 16;
                    requantizer.Apply16(Avx2.MultiplyLow(Widen8(ref x, last) - zero, scale), Avx2.MultiplyLow(Widen8(ref x, last + 8) - zero, scale)).StoreUnsafe(ref yr, (nuint)last);
                    return n;
                }
            }

            for (; i <= n - 8; i += 8)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref yr, i), requantizer.Apply(Avx2.MultiplyLow(Widen8(ref x, i) - zero, scale)));
            }

            return i;
        }

        /// <summary>The eight codes at <paramref name="x"/> + <paramref name="i"/> as int32 lanes (<c>vpmovzxbd</c>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Widen8(ref byte x, int i)
            => Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref x, i))).AsByte());
    }
}
