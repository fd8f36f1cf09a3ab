using System.Diagnostics;

namespace BuildOptim.Runtime;

/// <summary>One op of a plan and the mean wall time it took per run in <see cref="PlanRunner.Profile"/>.</summary>
/// <param name="Index">The op's position in the plan.</param>
/// <param name="Kind">The op.</param>
/// <param name="Summary">Shapes and parameters in short (for example <c>3x3 16->64 s2 28x28</c>).</param>
/// <param name="MeanMicroseconds">Mean wall time per run.</param>
public sealed record OpTiming(int Index, OpKind Kind, string Summary, double MeanMicroseconds);

public sealed partial class PlanRunner
{
    /// <summary>
    /// Runs <paramref name="input"/> <paramref name="runs"/> times, timing each op on its own, and returns the mean time of
    /// every op (Constant ops included, at about zero; a MaxPool the runner fused into the convolution before it is 0 and
    /// counted in that convolution). For finding where a model's time goes, not for benchmarking: the timer adds a few tens
    /// of nanoseconds per op.
    /// </summary>
    public IReadOnlyList<OpTiming> Profile(ReadOnlySpan<float> input, int runs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        if (input.Length != InputLength)
        {
            throw new ArgumentException($"Expected an input of {InputLength} floats, got {input.Length}.", nameof(input));
        }

        var ticks = new long[_executors.Length];
        for (int r = 0; r < runs; r++)
        {
            // Several inputs come packed one after the other in graph order, as Run takes them.
            int offset = 0;
            foreach (var (inBuffer, inLength) in _plan.Inputs)
            {
                input.Slice(offset, inLength).CopyTo(_floats[inBuffer].AsSpan(0, inLength));
                offset += inLength;
            }

            for (int i = 0; i < _executors.Length; i++)
            {
                if (_fusedAway[i])
                {
                    continue;
                }

                long start = Stopwatch.GetTimestamp();
                ExecuteOp(i);
                ticks[i] += Stopwatch.GetTimestamp() - start;
            }
        }

        var timings = new OpTiming[_executors.Length];
        for (int i = 0; i < _executors.Length; i++)
        {
            double micros = ticks[i] * 1e6 / Stopwatch.Frequency / runs;
            string summary = _executors[i].Summary;
            summary = _pooledBy[i] >= 0 ? $"{summary} + MaxPool #{_pooledBy[i]}" : _fusedAway[i] ? $"{summary}, fused into #{i - 1}" : summary;
            timings[i] = new OpTiming(i, _executors[i].Kind, summary, micros);
        }

        return timings;
    }
}
