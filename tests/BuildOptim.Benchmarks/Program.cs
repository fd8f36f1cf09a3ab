using BenchmarkDotNet.Running;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/BuildOptim.Benchmarks -- --filter '*'</c>; any BenchmarkDotNet option
/// works (<c>--job short</c> for a quick run, <c>--list flat</c> to see the benchmarks). <c>-- paired MODEL</c> runs
/// <see cref="PairedRatio"/> instead (<c>-- paired arcticxs-fp32 TOKENS</c>: the fp32 ArcticXs plan), <c>-- paired-levels</c>
/// <see cref="PairedLevels"/>, <c>-- paired arcticxs TOKENS</c> <see cref="ArcticXsPaired"/> (int8), <c>-- dynamic-gemm</c>
/// <see cref="DynamicGemmThroughput"/>, <c>-- f32-gemm</c> <see cref="GemmF32Throughput"/>, and
/// <c>-- seven-bit</c> <see cref="SevenBitMixThroughput"/>. See docs/benchmarks.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 1 && args[0] == "paired" && args[1].Equals("arcticxs", StringComparison.OrdinalIgnoreCase))
        {
            ArcticXsPaired.Run(args[2..]);
            return;
        }

        if (args.Length > 0 && args[0] == "dynamic-gemm")
        {
            DynamicGemmThroughput.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "seven-bit")
        {
            SevenBitMixThroughput.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "f32-gemm")
        {
            GemmF32Throughput.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "paired")
        {
            PairedRatio.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "paired-levels")
        {
            PairedLevels.Run(args[1..]);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
