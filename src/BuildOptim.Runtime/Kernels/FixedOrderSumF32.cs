using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// The one fixed summation order of the float row reductions (DotF32, SumF32): whatever the vector width, a sum of n terms
// is taken as 16 partial sums over the whole 16-element blocks, reduced as a fixed tree, then the remaining terms in order.
// Every term and every addition is one IEEE single-precision rounding, so every path equals the scalar twin bit for bit.
public static partial class Kernels
{
    /// <summary>The terms of a row sum: term i, and terms i.. as a vector, each one IEEE rounding from the inputs.</summary>
    private interface IRowTerms
    {
        int Length { get; }

        float Term(int i);

        Vector128<float> Terms128(int i);

        Vector256<float> Terms256(int i);
    }

    /// <summary>
    /// <c>Σ_i term(i)</c>: over the whole 16-term blocks b, partial sums <c>p_j = Σ_b term(16b + j)</c> (j in [0, 16), b
    /// ascending), reduced as <c>q_j = (p_j + p_(j+8)) + (p_(j+4) + p_(j+12))</c>, <c>sum = (q_0 + q_2) + (q_1 + q_3)</c>; then
    /// the remaining terms are added to <c>sum</c> in order. No path is wider than <paramref name="maxLevel"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FixedOrderSumF32<TTerms>(in TTerms terms, SimdLevel maxLevel)
        where TTerms : IRowTerms, allows ref struct
    {
        int length = terms.Length;
        if (length < 16 || maxLevel == SimdLevel.Scalar || !Vector128.IsHardwareAccelerated)
        {
            return FixedOrderSumF32Scalar(terms);
        }

        int i = 0;
        Vector128<float> lanes0To3, lanes4To7;
        if (maxLevel >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                acc0 += terms.Terms256(i);
                acc1 += terms.Terms256(i + 8);
            }

            var pairs = acc0 + acc1;
            (lanes0To3, lanes4To7) = (pairs.GetLower(), pairs.GetUpper());
        }
        else
        {
            var acc0 = Vector128<float>.Zero;
            var acc1 = Vector128<float>.Zero;
            var acc2 = Vector128<float>.Zero;
            var acc3 = Vector128<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                acc0 += terms.Terms128(i);
                acc1 += terms.Terms128(i + 4);
                acc2 += terms.Terms128(i + 8);
                acc3 += terms.Terms128(i + 12);
            }

            (lanes0To3, lanes4To7) = (acc0 + acc2, acc1 + acc3);
        }

        var quad = lanes0To3 + lanes4To7;
        float sum = (quad[0] + quad[2]) + (quad[1] + quad[3]);
        for (; i < length; i++)
        {
            sum += terms.Term(i);
        }

        return sum;
    }

    /// <summary>Scalar twin of <see cref="FixedOrderSumF32"/>: the same 16 partial sums and reduction tree.</summary>
    private static float FixedOrderSumF32Scalar<TTerms>(in TTerms terms)
        where TTerms : IRowTerms, allows ref struct
    {
        int length = terms.Length;
        int i = 0;
        float sum = 0;
        if (length >= 16)
        {
            Span<float> p = stackalloc float[16];
            p.Clear();
            for (; i <= length - 16; i += 16)
            {
                for (int j = 0; j < 16; j++)
                {
                    p[j] += terms.Term(i + j);
                }
            }

            Span<float> quad = stackalloc float[4];
            for (int j = 0; j < 4; j++)
            {
                quad[j] = (p[j] + p[j + 8]) + (p[j + 4] + p[j + 12]);
            }

            sum = (quad[0] + quad[2]) + (quad[1] + quad[3]);
        }

        for (; i < length; i++)
        {
            sum += terms.Term(i);
        }

        return sum;
    }

    /// <summary>The terms <c>x[i] · w[i]</c> (one rounded product each).</summary>
    private readonly ref struct DotTermsF32 : IRowTerms
    {
        private readonly ref float _x;
        private readonly ref float _w;

        public DotTermsF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
        {
            _x = ref MemoryMarshal.GetReference(x);
            _w = ref MemoryMarshal.GetReference(w);
            Length = x.Length;
        }

        public int Length { get; }

        public float Term(int i) => Unsafe.Add(ref _x, i) * Unsafe.Add(ref _w, i);

        public Vector128<float> Terms128(int i) => Vector128.LoadUnsafe(ref _x, (nuint)i) * Vector128.LoadUnsafe(ref _w, (nuint)i);

        public Vector256<float> Terms256(int i) => Vector256.LoadUnsafe(ref _x, (nuint)i) * Vector256.LoadUnsafe(ref _w, (nuint)i);
    }

    /// <summary>The terms <c>x[i]</c>.</summary>
    private readonly ref struct SumTermsF32 : IRowTerms
    {
        private readonly ref float _x;

        public SumTermsF32(ReadOnlySpan<float> x)
        {
            _x = ref MemoryMarshal.GetReference(x);
            Length = x.Length;
        }

        public int Length { get; }

        public float Term(int i) => Unsafe.Add(ref _x, i);

        public Vector128<float> Terms128(int i) => Vector128.LoadUnsafe(ref _x, (nuint)i);

        public Vector256<float> Terms256(int i) => Vector256.LoadUnsafe(ref _x, (nuint)i);
    }
}
