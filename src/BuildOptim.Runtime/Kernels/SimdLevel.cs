using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// The widest vector path a kernel may take. Public kernels pass <see cref="Vector512"/>; tests pass each
/// level in turn to prove every path bit-identical to the scalar twin on the machine at hand.
/// </summary>
/// <remarks>
/// A level is a cap, not a demand: a kernel asked for <see cref="Vector512"/> on an AVX2 machine takes its
/// <see cref="Vector256"/> path. On x64, <see cref="Vector256"/> paths need AVX2 and <see cref="Vector512"/>
/// paths need AVX-512BW.
/// </remarks>
internal enum SimdLevel
{
    Scalar = 0,
    Vector128 = 1,
    Vector256 = 2,
    Vector512 = 3,
}

internal static class Simd
{
    /// <summary>Whether this machine runs the kernels' <paramref name="level"/> paths in hardware.</summary>
    internal static bool IsHardwareAccelerated(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => true,
        SimdLevel.Vector128 => Vector128.IsHardwareAccelerated,
        SimdLevel.Vector256 => Avx2.IsSupported,
        SimdLevel.Vector512 => Avx512BW.IsSupported,
        _ => false,
    };
}
