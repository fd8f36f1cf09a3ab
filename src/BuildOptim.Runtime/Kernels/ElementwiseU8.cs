using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// L, the left shift that gives zero-point-corrected codes headroom before <see cref="AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/> and
    /// <see cref="RequantizeU8"/> rescale them: |(q − z) · 2^L| ≤ 255 · 2^20 &lt; 2^28, so the rescaled sum of two stays in int32.
    /// </summary>
    public const int RescaleLeftShift = 20;

    /// <summary>
    /// The six fixed-point multipliers of <see cref="AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/> for real scales Sa, Sb (inputs) and Sy (output).
    /// </summary>
    /// <remarks>
    /// <para>
    /// <c>ya = Sa·(qa − za)</c> and <c>yb = Sb·(qb − zb)</c> are rewritten over the common unit <c>u = 2·max(Sa, Sb) / 2^L</c>:
    /// <c>a' = (qa − za)·2^L · Sa / (2·max)</c>, <c>b' = (qb − zb)·2^L · Sb / (2·max)</c>, so <c>ya + yb = u·(a' + b')</c>. The
    /// input multipliers <c>Sa / (2·max)</c> and <c>Sb / (2·max)</c> lie in (0, ½]; rounding a' and b' costs at most
    /// ½·u = max / 2^L, about 2^−20 of an input step.
    /// </para>
    /// <para>
    /// The output code is <c>qy = zy + (a' + b')·u / Sy</c>, so the output multiplier is <c>2·max / (2^L · Sy)</c>.
    /// <see cref="FixedPoint.QuantizeMultiplier"/> represents any real multiplier below 2^30, and <see cref="AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/> applies it in
    /// 64 bits, so it may exceed 1 (an output scale finer than the inputs') without a separate left shift.
    /// </para>
    /// </remarks>
    public static (int MultiplierA, int ShiftA, int MultiplierB, int ShiftB, int OutputMultiplier, int OutputShift) AddU8Multipliers(double scaleA, double scaleB, double scaleOut)
    {
        if (!(scaleA > 0) || !(scaleB > 0) || !(scaleOut > 0) || !double.IsFinite(scaleA) || !double.IsFinite(scaleB) || !double.IsFinite(scaleOut))
        {
            throw new ArgumentOutOfRangeException(nameof(scaleA), "Scales must be positive and finite.");
        }

        double twiceMax = 2 * Math.Max(scaleA, scaleB);
        var (multiplierA, shiftA) = FixedPoint.QuantizeMultiplier(scaleA / twiceMax);
        var (multiplierB, shiftB) = FixedPoint.QuantizeMultiplier(scaleB / twiceMax);
        var (multiplierOut, shiftOut) = FixedPoint.QuantizeMultiplier(twiceMax / (Math.ScaleB(1, RescaleLeftShift) * scaleOut));
        return (multiplierA, shiftA, multiplierB, shiftB, multiplierOut, shiftOut);
    }

    /// <summary>
    /// Quantized Add (or Sub) with numpy broadcasting, integer-only (TFLite's scheme, see <see cref="AddU8Multipliers"/>):
    /// <c>a' = R((qa − za)·2^L, mA, sA)</c>, <c>b' = ±R((qb − zb)·2^L, mB, sB)</c> (minus when <paramref name="negateB"/>),
    /// <c>y = clamp(zy + R(a' + b', mOut, sOut), clampMin, clampMax)</c>, with L = <see cref="RescaleLeftShift"/> and
    /// <c>R(v, m, s) = (v·m + 2^(s−1)) &gt;&gt; s</c> in 64 bits (<see cref="FixedPoint.Requantize"/>).
    /// </summary>
    /// <remarks>a' and b' depend on one code each, so they are tabulated per call (256 entries each); each output is then one 64-bit requantization.</remarks>
    public static void AddU8(ReadOnlySpan<byte> a, int zeroPointA, int multiplierA, int shiftA, ReadOnlySpan<byte> b, int zeroPointB, int multiplierB, int shiftB, BroadcastShape shape, int outputZeroPoint, int outputMultiplier, int outputShift, byte clampMin, byte clampMax, bool negateB, Span<byte> y)
    {
        ValidateZeroPoint(zeroPointA);
        ValidateZeroPoint(zeroPointB);
        ValidateShift(shiftA);
        ValidateShift(shiftB);
        ValidateShift(outputShift);
        if (clampMin > clampMax)
        {
            ThrowEmptyClampRange();
        }

        Span<int> tableA = stackalloc int[256];
        Span<int> tableB = stackalloc int[256];
        for (int q = 0; q < 256; q++)
        {
            tableA[q] = FixedPoint.Requantize((q - zeroPointA) << RescaleLeftShift, multiplierA, shiftA);
            int rescaledB = FixedPoint.Requantize((q - zeroPointB) << RescaleLeftShift, multiplierB, shiftB);
            tableB[q] = negateB ? -rescaledB : rescaledB;
        }

        var run = new AddU8Run(a, tableA, b, tableB, y, outputZeroPoint, outputMultiplier, outputShift, clampMin, clampMax);
        ForEachBroadcastRun(shape, a.Length, b.Length, y.Length, ref run);
    }

    /// <summary>Entries of an <see cref="AddU8Table"/>: one output code per pair of input codes.</summary>
    public const int AddU8TableLength = 256 * 256;

    /// <summary>
    /// Tabulates <see cref="AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/>
    /// for every pair of codes: <c>table[qa · 256 + qb]</c> is the output code of qa and qb. An Add's output depends on its two
    /// input codes only, so a plan builds this once per op (64 KiB) and each call is one lookup per element
    /// (<see cref="AddU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, BroadcastShape, ReadOnlySpan{byte}, Span{byte})"/>), the same codes
    /// bit for bit.
    /// </summary>
    public static void AddU8Table(int zeroPointA, int multiplierA, int shiftA, int zeroPointB, int multiplierB, int shiftB, int outputZeroPoint, int outputMultiplier, int outputShift, byte clampMin, byte clampMax, bool negateB, Span<byte> table)
    {
        if (table.Length != AddU8TableLength)
        {
            ThrowShape($"An Add table has {AddU8TableLength} entries; got {table.Length}.");
        }

        Span<byte> codes = stackalloc byte[256];
        for (int q = 0; q < 256; q++)
        {
            codes[q] = (byte)q;
        }

        // Row qa of the table is the Add of the constant code qa with every code qb.
        var rowShape = new BroadcastShape([256], [1], [1]);
        for (int qa = 0; qa < 256; qa++)
        {
            var row = table.Slice(qa * 256, 256);
            row.Fill((byte)qa);
            AddU8(row, zeroPointA, multiplierA, shiftA, codes, zeroPointB, multiplierB, shiftB, rowShape, outputZeroPoint, outputMultiplier, outputShift, clampMin, clampMax, negateB, row);
        }
    }

    /// <summary>Quantized Add by lookup: <c>y = table[a · 256 + b]</c> with numpy broadcasting, <paramref name="table"/> from <see cref="AddU8Table"/>. In place is allowed.</summary>
    public static void AddU8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, BroadcastShape shape, ReadOnlySpan<byte> table, Span<byte> y)
    {
        if (table.Length != AddU8TableLength)
        {
            ThrowShape($"An Add table has {AddU8TableLength} entries; got {table.Length}.");
        }

        var run = new AddU8TableRun(a, b, table, y);
        ForEachBroadcastRun(shape, a.Length, b.Length, y.Length, ref run);
    }

    /// <summary>The fixed-point multiplier of <see cref="MulU8"/>: <c>QuantizeMultiplier(Sa · Sb / Sy)</c>.</summary>
    public static (int Multiplier, int Shift) MulU8Multiplier(double scaleA, double scaleB, double scaleOut)
        => FixedPoint.QuantizeMultiplier(scaleA * scaleB / scaleOut);

    /// <summary>
    /// Quantized Mul with numpy broadcasting: <c>y = clamp(zy + R((qa − za)·(qb − zb), m, s), clampMin, clampMax)</c>, with
    /// <c>R(v, m, s) = (v·m + 2^(s−1)) &gt;&gt; s</c> in 64 bits and <c>m·2^−s ≈ Sa·Sb / Sy</c> (<see cref="MulU8Multiplier"/>;
    /// it may exceed 1). The product is exact: |(qa − za)·(qb − zb)| ≤ 255².
    /// </summary>
    public static void MulU8(ReadOnlySpan<byte> a, int zeroPointA, ReadOnlySpan<byte> b, int zeroPointB, BroadcastShape shape, int multiplier, int shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> y)
    {
        ValidateZeroPoint(zeroPointA);
        ValidateZeroPoint(zeroPointB);
        ValidateShift(shift);
        if (clampMin > clampMax)
        {
            ThrowEmptyClampRange();
        }

        var run = new MulU8Run(a, zeroPointA, b, zeroPointB, y, outputZeroPoint, multiplier, shift, clampMin, clampMax);
        ForEachBroadcastRun(shape, a.Length, b.Length, y.Length, ref run);
    }

    /// <summary>The fixed-point multiplier of <see cref="RequantizeU8"/>: <c>QuantizeMultiplier(Sx / (Sy · 2^L))</c>.</summary>
    public static (int Multiplier, int Shift) RequantizeU8Multiplier(double scaleIn, double scaleOut)
        => FixedPoint.QuantizeMultiplier(scaleIn / (scaleOut * Math.ScaleB(1, RescaleLeftShift)));

    /// <summary>
    /// Re-expresses codes under new quantization parameters:
    /// <c>y = clamp(zy + R((x − zx)·2^L, m, s), 0, 255)</c> with L = <see cref="RescaleLeftShift"/>, <c>R(v, m, s) = (v·m + 2^(s−1)) &gt;&gt; s</c>
    /// in 64 bits and <c>m·2^−s ≈ Sx / (Sy·2^L)</c> (<see cref="RequantizeU8Multiplier"/>), as <see cref="AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/> rescales
    /// each input. In place is allowed.
    /// </summary>
    /// <remarks>The 256 possible outputs are tabulated per call.</remarks>
    public static void RequantizeU8(ReadOnlySpan<byte> x, int zeroPointIn, int multiplier, int shift, int outputZeroPoint, Span<byte> y)
    {
        if (x.Length != y.Length)
        {
            ThrowShape($"Requantize got {x.Length} inputs and {y.Length} outputs.");
        }

        ValidateZeroPoint(zeroPointIn);
        ValidateShift(shift);
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

    private ref struct AddU8Run : IBroadcastRun
    {
        private readonly ReadOnlySpan<byte> _a;
        private readonly ReadOnlySpan<int> _tableA;
        private readonly ReadOnlySpan<byte> _b;
        private readonly ReadOnlySpan<int> _tableB;
        private readonly Span<byte> _y;
        private readonly int _zeroPoint;
        private readonly int _multiplier;
        private readonly int _shift;
        private readonly byte _min;
        private readonly byte _max;

        public AddU8Run(ReadOnlySpan<byte> a, ReadOnlySpan<int> tableA, ReadOnlySpan<byte> b, ReadOnlySpan<int> tableB, Span<byte> y, int zeroPoint, int multiplier, int shift, byte min, byte max)
        {
            _a = a;
            _tableA = tableA;
            _b = b;
            _tableB = tableB;
            _y = y;
            _zeroPoint = zeroPoint;
            _multiplier = multiplier;
            _shift = shift;
            _min = min;
            _max = max;
        }

        public readonly void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            for (int i = 0; i < count; i++)
            {
                int sum = _tableA[_a[offsetA + (i * strideA)]] + _tableB[_b[offsetB + (i * strideB)]];
                y[i] = ClampToU8(_zeroPoint + RequantizeWide(sum, _multiplier, _shift), _min, _max);
            }
        }
    }

    private readonly ref struct AddU8TableRun(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> table, Span<byte> y) : IBroadcastRun
    {
        private readonly ReadOnlySpan<byte> _a = a;
        private readonly ReadOnlySpan<byte> _b = b;
        private readonly ReadOnlySpan<byte> _table = table;
        private readonly Span<byte> _y = y;

        public void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            ref byte t = ref MemoryMarshal.GetReference(_table);
            if (strideA == 1 && strideB == 1)
            {
                ref byte a = ref MemoryMarshal.GetReference(_a.Slice(offsetA, count));
                ref byte b = ref MemoryMarshal.GetReference(_b.Slice(offsetB, count));
                ref byte yRef = ref MemoryMarshal.GetReference(y);
                for (nint i = 0; i < count; i++)
                {
                    // The index is below 65,536 = the table's length.
                    Unsafe.Add(ref yRef, i) = Unsafe.Add(ref t, (Unsafe.Add(ref a, i) << 8) | Unsafe.Add(ref b, i));
                }

                return;
            }

            for (int i = 0; i < count; i++)
            {
                y[i] = Unsafe.Add(ref t, (_a[offsetA + (i * strideA)] << 8) | _b[offsetB + (i * strideB)]);
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

        public MulU8Run(ReadOnlySpan<byte> a, int zeroPointA, ReadOnlySpan<byte> b, int zeroPointB, Span<byte> y, int zeroPoint, int multiplier, int shift, byte min, byte max)
        {
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

        public readonly void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            for (int i = 0; i < count; i++)
            {
                int product = (_a[offsetA + (i * strideA)] - _zeroPointA) * (_b[offsetB + (i * strideB)] - _zeroPointB);
                y[i] = ClampToU8(_zeroPoint + RequantizeWide(product, _multiplier, _shift), _min, _max);
            }
        }
    }
}
