using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// The widest vector path a kernel may take. Public kernels pass <see cref="Vector512"/>; tests pass each
/// level in turn to prove every path bit-identical to the scalar twin on the machine at hand.
/// </summary>
/// <remarks>
/// A level is a cap, not a demand: a kernel asked for <see cref="Vector512"/> on an AVX2 machine takes its
/// <see cref="Vector256"/> path. On x64, <see cref="Vector256"/> paths need AVX2, <see cref="Vector256Vnni"/> paths AVX2 and
/// AVX-VNNI (<c>vpdpbusd</c>, <see cref="AvxVnni"/>), and <see cref="Vector512"/> paths AVX-512BW. <see cref="Vector256"/> is then
/// the AVX2 path without VNNI, which tests run on VNNI machines too.
/// </remarks>
internal enum SimdLevel
{
    Scalar = 0,
    Vector128 = 1,
    Vector256 = 2,
    Vector256Vnni = 3,
    Vector512 = 4,
}

internal static class Simd
{
    /// <summary>Whether this machine runs the kernels' <paramref name="level"/> paths in hardware.</summary>
    internal static bool IsHardwareAccelerated(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => true,
        SimdLevel.Vector128 => Vector128.IsHardwareAccelerated,
        SimdLevel.Vector256 => Avx2.IsSupported,
        SimdLevel.Vector256Vnni => Avx2.IsSupported && AvxVnni.IsSupported,
        SimdLevel.Vector512 => Avx512BW.IsSupported,
        _ => false,
    };

    /// <summary>Whether a kernel capped at <paramref name="level"/> may multiply with AVX-VNNI's <c>vpdpbusd</c>.</summary>
    internal static bool UsesVnni(SimdLevel level) => level >= SimdLevel.Vector256Vnni && Avx2.IsSupported && AvxVnni.IsSupported;
}
