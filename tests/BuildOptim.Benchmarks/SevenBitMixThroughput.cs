using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>seven-bit [ROUNDS] [CALLS] [cpu]</c>: what an int8 GEMM micro-tile (u8 activations × s8 weights → s32, 6 rows,
/// K = 384, operands in L1) sustains with three instruction mixes, timed in alternating batches in one process:
/// <list type="bullet">
/// <item><c>vpdpbusd256</c>: 256-bit <c>vpdpbusd</c> (<see cref="AvxVnni"/>), 6 × 16 tile, one instruction per 32 MACs.</item>
/// <item><c>mix256</c>: per two k-quads, two <c>vpmaddubsw</c>, one <c>vpaddw</c>, one <c>vpmaddwd</c> by ones and one
/// <c>vpaddd</c> (<see cref="Avx2"/>), 6 × 16 tile: 64 MACs per five instructions.</item>
/// <item><c>mix512</c>: the same mix on zmm (<see cref="Avx512BW"/>), 6 × 32 tile: 128 MACs per five instructions.</item>
/// </list>
/// The mix is exact only for 7-bit operands (activations 0..127, weights −64..63: the sum of the two saturating int16
/// results is at most 2 · 2 · 127 · 64 = 32512); the setup checks all three tiles against a scalar loop on such
/// operands, extremes included, and shows the mix going wrong on full 8-bit ones. A probe of the instructions: the kernel
/// built on <c>mix512</c> is the dynamic GEMM's <c>Avx512SevenBit</c> path (7-bit layers).
/// </summary>
public static class SevenBitMixThroughput
{
    private const int K = 384;
    private const int Quads = K / 4;
    private const int Rows = 6;

    public static void Run(string[] args)
    {
        if (!AvxVnni.IsSupported || !Avx512BW.IsSupported)
        {
            throw new PlatformNotSupportedException("The seven-bit probe needs AVX-VNNI and AVX-512 BW.");
        }

        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        int calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20000;
        bool cpu = args.Contains("cpu") && ThreadCpuTime.IsSupported;

        var rows = new byte[Quads * Rows * 4];
        var panel16 = new sbyte[Quads * 16 * 4];
        var panel32 = new sbyte[Quads * 32 * 4];
        var tile16 = new int[Rows * 16];
        var tile32 = new int[Rows * 32];
        Fill(rows, panel32, new Random(11), 0, 127, -64, 63);
        Repack(panel32, panel16);
        Check(rows, panel16, panel32, tile16, tile32, exact: true);
        Fill(rows, panel32, new Random(12), 0, 255, -128, 127);
        Repack(panel32, panel16);
        Check(rows, panel16, panel32, tile16, tile32, exact: false);
        Fill(rows, panel32, new Random(11), 0, 127, -64, 63);
        Repack(panel32, panel16);

        var kernels = new (string Name, long Macs, Action Call)[]
        {
            ("vpdpbusd256 6x16", (long)Rows * 16 * K, () => VnniTile(ref rows[0], ref panel16[0], ref tile16[0])),
            ("mix256 6x16", (long)Rows * 16 * K, () => Mix256Tile(ref rows[0], ref panel16[0], ref tile16[0])),
            ("mix512 6x32", (long)Rows * 32 * K, () => Mix512Tile(ref rows[0], ref panel32[0], ref tile32[0])),
        };

        double Time(Action call)
        {
            double cpuStart = cpu ? ThreadCpuTime.Microseconds() : 0;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                call();
            }

            return cpu ? ThreadCpuTime.Microseconds() - cpuStart : Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        foreach (var kernel in kernels)
        {
            Time(kernel.Call);
            Time(kernel.Call);
        }

        var gmacs = new double[kernels.Length][];
        for (int k = 0; k < kernels.Length; k++)
        {
            gmacs[k] = new double[rounds];
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < kernels.Length; i++)
            {
                int k = (i + r) % kernels.Length;
                gmacs[k][r] = kernels[k].Macs * calls / Time(kernels[k].Call) / 1000;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// K = {K}, operands in L1, {rounds} rounds of {calls} calls per kernel, order rotating, {(cpu ? "thread CPU time" : "wall time")}"));
        Console.WriteLine("| kernel | median GMAC/s | best GMAC/s | median per-round ratio to vpdpbusd256 |");
        Console.WriteLine("|---|---|---|---|");
        for (int k = 0; k < kernels.Length; k++)
        {
            var ratio = Median(Enumerable.Range(0, rounds).Select(r => gmacs[k][r] / gmacs[0][r]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kernels[k].Name} | {Median(gmacs[k]):F1} | {gmacs[k].Max():F1} | {ratio:F3} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Random operands in the given ranges, with the extremes written into row 0 and channels 0–1 (the worst case of the int16 sums).</summary>
    private static void Fill(byte[] rows, sbyte[] panel32, Random random, int xMin, int xMax, int wMin, int wMax)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (byte)random.Next(xMin, xMax + 1);
        }

        for (int i = 0; i < panel32.Length; i++)
        {
            panel32[i] = (sbyte)random.Next(wMin, wMax + 1);
        }

        for (int q = 0; q < Quads; q++)
        {
            for (int b = 0; b < 4; b++)
            {
                rows[(q * Rows * 4) + b] = (byte)xMax;
                panel32[(q * 128) + b] = (sbyte)wMin;
                panel32[(q * 128) + 4 + b] = (sbyte)wMax;
            }
        }
    }

    /// <summary>The first 16 channels of the 32-channel panel (per k-quad: channel n's 4 bytes at n · 4) in the 16-channel layout.</summary>
    private static void Repack(sbyte[] panel32, sbyte[] panel16)
    {
        for (int q = 0; q < Quads; q++)
        {
            Array.Copy(panel32, q * 128, panel16, q * 64, 64);
        }
    }

    private static void Check(byte[] rows, sbyte[] panel16, sbyte[] panel32, int[] tile16, int[] tile32, bool exact)
    {
        VnniTile(ref rows[0], ref panel16[0], ref tile16[0]);
        var vnni = (int[])tile16.Clone();
        Mix256Tile(ref rows[0], ref panel16[0], ref tile16[0]);
        Mix512Tile(ref rows[0], ref panel32[0], ref tile32[0]);
        int vnniWrong = 0, mix256Wrong = 0, mix512Wrong = 0;
        for (int r = 0; r < Rows; r++)
        {
            for (int n = 0; n < 32; n++)
            {
                int sum = 0;
                for (int q = 0; q < Quads; q++)
                {
                    for (int b = 0; b < 4; b++)
                    {
                        sum += rows[(q * Rows * 4) + (r * 4) + b] * panel32[(q * 128) + (n * 4) + b];
                    }
                }

                mix512Wrong += tile32[(r * 32) + n] != sum ? 1 : 0;
                if (n < 16)
                {
                    vnniWrong += vnni[(r * 16) + n] != sum ? 1 : 0;
                    mix256Wrong += tile16[(r * 16) + n] != sum ? 1 : 0;
                }
            }
        }

        if (vnniWrong != 0 || (exact && (mix256Wrong | mix512Wrong) != 0))
        {
            throw new InvalidOperationException($"Scalar mismatch (exact = {exact}): vpdpbusd {vnniWrong}, mix256 {mix256Wrong}, mix512 {mix512Wrong} sums.");
        }

        Console.WriteLine(exact
            ? $"// 7-bit operands: all three tiles equal the scalar loop ({Rows * 16} + {Rows * 16} + {Rows * 32} s32 sums)"
            : $"// full 8-bit operands: vpdpbusd exact; the mix wrong in {mix256Wrong} of {Rows * 16} (256) and {mix512Wrong} of {Rows * 32} (512) sums (int16 saturation)");
    }

    // Optimized from the first call (no tiering mid-measurement), like DynamicGemmThroughput's VnniTile.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void VnniTile(ref byte rows, ref sbyte panel, ref int tile)
    {
        var a0 = Vector256<int>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int q = 0; q < Quads; q++)
        {
            var c0 = Vector256.LoadUnsafe(ref panel);
            var c1 = Vector256.LoadUnsafe(ref panel, 32);
            var x = Broadcast256(ref rows, 0);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, c0);
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, x, c1);
            x = Broadcast256(ref rows, 1);
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, c0);
            b1 = AvxVnni.MultiplyWideningAndAdd(b1, x, c1);
            x = Broadcast256(ref rows, 2);
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, c0);
            b2 = AvxVnni.MultiplyWideningAndAdd(b2, x, c1);
            x = Broadcast256(ref rows, 3);
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, c0);
            b3 = AvxVnni.MultiplyWideningAndAdd(b3, x, c1);
            x = Broadcast256(ref rows, 4);
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, c0);
            b4 = AvxVnni.MultiplyWideningAndAdd(b4, x, c1);
            x = Broadcast256(ref rows, 5);
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, c0);
            b5 = AvxVnni.MultiplyWideningAndAdd(b5, x, c1);
            panel = ref Unsafe.Add(ref panel, 64);
            rows = ref Unsafe.Add(ref rows, Rows * 4);
        }

        a0.StoreUnsafe(ref tile, 0);
        b0.StoreUnsafe(ref tile, 8);
        a1.StoreUnsafe(ref tile, 16);
        b1.StoreUnsafe(ref tile, 24);
        a2.StoreUnsafe(ref tile, 32);
        b2.StoreUnsafe(ref tile, 40);
        a3.StoreUnsafe(ref tile, 48);
        b3.StoreUnsafe(ref tile, 56);
        a4.StoreUnsafe(ref tile, 64);
        b4.StoreUnsafe(ref tile, 72);
        a5.StoreUnsafe(ref tile, 80);
        b5.StoreUnsafe(ref tile, 88);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Mix256Tile(ref byte rows, ref sbyte panel, ref int tile)
    {
        var ones = Vector256.Create((short)1);
        var a0 = Vector256<int>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int q = 0; q < Quads; q += 2)
        {
            var c0 = Vector256.LoadUnsafe(ref panel);
            var c1 = Vector256.LoadUnsafe(ref panel, 32);
            var d0 = Vector256.LoadUnsafe(ref panel, 64);
            var d1 = Vector256.LoadUnsafe(ref panel, 96);
            var x = Broadcast256(ref rows, 0);
            var y = Broadcast256(ref rows, Rows);
            a0 = Mix(a0, x, c0, y, d0, ones);
            b0 = Mix(b0, x, c1, y, d1, ones);
            x = Broadcast256(ref rows, 1);
            y = Broadcast256(ref rows, Rows + 1);
            a1 = Mix(a1, x, c0, y, d0, ones);
            b1 = Mix(b1, x, c1, y, d1, ones);
            x = Broadcast256(ref rows, 2);
            y = Broadcast256(ref rows, Rows + 2);
            a2 = Mix(a2, x, c0, y, d0, ones);
            b2 = Mix(b2, x, c1, y, d1, ones);
            x = Broadcast256(ref rows, 3);
            y = Broadcast256(ref rows, Rows + 3);
            a3 = Mix(a3, x, c0, y, d0, ones);
            b3 = Mix(b3, x, c1, y, d1, ones);
            x = Broadcast256(ref rows, 4);
            y = Broadcast256(ref rows, Rows + 4);
            a4 = Mix(a4, x, c0, y, d0, ones);
            b4 = Mix(b4, x, c1, y, d1, ones);
            x = Broadcast256(ref rows, 5);
            y = Broadcast256(ref rows, Rows + 5);
            a5 = Mix(a5, x, c0, y, d0, ones);
            b5 = Mix(b5, x, c1, y, d1, ones);
            panel = ref Unsafe.Add(ref panel, 128);
            rows = ref Unsafe.Add(ref rows, Rows * 8);
        }

        a0.StoreUnsafe(ref tile, 0);
        b0.StoreUnsafe(ref tile, 8);
        a1.StoreUnsafe(ref tile, 16);
        b1.StoreUnsafe(ref tile, 24);
        a2.StoreUnsafe(ref tile, 32);
        b2.StoreUnsafe(ref tile, 40);
        a3.StoreUnsafe(ref tile, 48);
        b3.StoreUnsafe(ref tile, 56);
        a4.StoreUnsafe(ref tile, 64);
        b4.StoreUnsafe(ref tile, 72);
        a5.StoreUnsafe(ref tile, 80);
        b5.StoreUnsafe(ref tile, 88);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Mix512Tile(ref byte rows, ref sbyte panel, ref int tile)
    {
        var ones = Vector512.Create((short)1);
        var a0 = Vector512<int>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int q = 0; q < Quads; q += 2)
        {
            var c0 = Vector512.LoadUnsafe(ref panel);
            var c1 = Vector512.LoadUnsafe(ref panel, 64);
            var d0 = Vector512.LoadUnsafe(ref panel, 128);
            var d1 = Vector512.LoadUnsafe(ref panel, 192);
            var x = Broadcast512(ref rows, 0);
            var y = Broadcast512(ref rows, Rows);
            a0 = Mix(a0, x, c0, y, d0, ones);
            b0 = Mix(b0, x, c1, y, d1, ones);
            x = Broadcast512(ref rows, 1);
            y = Broadcast512(ref rows, Rows + 1);
            a1 = Mix(a1, x, c0, y, d0, ones);
            b1 = Mix(b1, x, c1, y, d1, ones);
            x = Broadcast512(ref rows, 2);
            y = Broadcast512(ref rows, Rows + 2);
            a2 = Mix(a2, x, c0, y, d0, ones);
            b2 = Mix(b2, x, c1, y, d1, ones);
            x = Broadcast512(ref rows, 3);
            y = Broadcast512(ref rows, Rows + 3);
            a3 = Mix(a3, x, c0, y, d0, ones);
            b3 = Mix(b3, x, c1, y, d1, ones);
            x = Broadcast512(ref rows, 4);
            y = Broadcast512(ref rows, Rows + 4);
            a4 = Mix(a4, x, c0, y, d0, ones);
            b4 = Mix(b4, x, c1, y, d1, ones);
            x = Broadcast512(ref rows, 5);
            y = Broadcast512(ref rows, Rows + 5);
            a5 = Mix(a5, x, c0, y, d0, ones);
            b5 = Mix(b5, x, c1, y, d1, ones);
            panel = ref Unsafe.Add(ref panel, 256);
            rows = ref Unsafe.Add(ref rows, Rows * 8);
        }

        a0.StoreUnsafe(ref tile, 0);
        b0.StoreUnsafe(ref tile, 16);
        a1.StoreUnsafe(ref tile, 32);
        b1.StoreUnsafe(ref tile, 48);
        a2.StoreUnsafe(ref tile, 64);
        b2.StoreUnsafe(ref tile, 80);
        a3.StoreUnsafe(ref tile, 96);
        b3.StoreUnsafe(ref tile, 112);
        a4.StoreUnsafe(ref tile, 128);
        b4.StoreUnsafe(ref tile, 144);
        a5.StoreUnsafe(ref tile, 160);
        b5.StoreUnsafe(ref tile, 176);
    }

    /// <summary>Row quad <paramref name="index"/> (4 activation bytes) broadcast to every 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Broadcast256(ref byte rows, int index)
        => Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref rows, index * 4))).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Broadcast512(ref byte rows, int index)
        => Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref rows, index * 4))).AsByte();

    /// <summary>Two <c>vpmaddubsw</c>, <c>vpaddw</c>, <c>vpmaddwd</c> by ones, <c>vpaddd</c>: 64 MACs (8 k per 32-bit lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Mix(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> c, Vector256<byte> y, Vector256<sbyte> d, Vector256<short> ones)
        => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.Add(Avx2.MultiplyAddAdjacent(x, c), Avx2.MultiplyAddAdjacent(y, d)), ones));

    /// <summary>The same on zmm: 128 MACs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Mix(Vector512<int> acc, Vector512<byte> x, Vector512<sbyte> c, Vector512<byte> y, Vector512<sbyte> d, Vector512<short> ones)
        => Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(Avx512BW.Add(Avx512BW.MultiplyAddAdjacent(x, c), Avx512BW.MultiplyAddAdjacent(y, d)), ones));
}
