using System.Buffers.Binary;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Sequence;

/// <summary>
/// Turns a model with a dynamic sequence length into one plan that runs at every length (<see cref="SequenceLengths"/>).
/// The model is compiled at several lengths exactly as at the data's length (same int8 decisions and ranges); every
/// integer of the plans (io and buffer lengths, op parameters) must be the same polynomial of degree ≤ 2 in the length at
/// all of them, the ops and buffers otherwise identical, and every constant at a shorter length a prefix of the one at the
/// longest. The plan written is the longest's, with the polynomials of the values that change.
/// </summary>
/// <remarks>
/// Fitted on lengths 4, 5, 6 and checked at 2, 3, 7, the data's length and the maximum (and at 1, which sets the minimum to
/// 1 when it holds there, else 2). The maximum is the longest of <see cref="MaxLengths"/> at which the model compiles
/// (a BERT's 512 position embeddings stop it at 512).
/// </remarks>
internal static class SequencePlans
{
    /// <summary>Longest sequence tried first, then halved until the model compiles.</summary>
    public static readonly IReadOnlyList<int> MaxLengths = [4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8];

    private static readonly int[] s_fit = [4, 5, 6];
    private static readonly int[] s_check = [2, 3, 7];

    /// <param name="compile">The plan at a length, or an exception when the model does not compile there.</param>
    /// <param name="dataLength">The length the data has, and <paramref name="dataPlan"/> was compiled and evaluated at.</param>
    /// <exception cref="OnnxModelException">BOPT1004 when the plan cannot follow the length (with the InputShape that fixes it).</exception>
    public static (byte[] Bytes, SequenceLengths Lengths) Build(Func<int, CompiledPlan> compile, int dataLength, CompiledPlan dataPlan, SequenceDimension dimension, string path, string item)
    {
        Exception Unsupported(string why) => new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path,
            $"'{item}' keeps {dimension.Name} dynamic, but {why}; fix it with InputShape (e.g. InputShape=\"{dimension.InputShapeAt(dataLength)}\").");

        // The maximum: the longest length the model compiles at.
        CompiledPlan? longest = null;
        int max = 0;
        foreach (int candidate in MaxLengths.Where(m => m >= dataLength && m >= s_check.Max()))
        {
            if (TryCompile(compile, candidate, out longest))
            {
                max = candidate;
                break;
            }
        }

        if (longest is null)
        {
            throw Unsupported($"it does not compile at any length from {Math.Max(dataLength, s_check.Max())} to {MaxLengths[0]}");
        }

        var reference = PlanTables.Read(longest.Bytes);
        var samples = new Dictionary<int, PlanTables>();
        var uses = new Dictionary<int, IReadOnlyList<(int Buffer, int Length)>> { [dataLength] = dataPlan.BufferUses, [max] = longest.BufferUses };
        foreach (int n in s_fit.Concat(s_check))
        {
            samples[n] = TryCompile(compile, n, out var compiled)
                ? PlanTables.Read(compiled!.Bytes).CheckPrefixOf(reference, compiled.Bytes, longest.Bytes, n) ?? throw Unsupported($"its constants at length {n} are not the first part of those at {max}")
                : throw Unsupported($"it does not compile at length {n}");
            uses[n] = compiled.BufferUses;
        }

        samples[dataLength] = PlanTables.Read(dataPlan.Bytes);
        samples[max] = reference;
        foreach (var (n, tables) in samples)
        {
            if (tables.Structure != reference.Structure)
            {
                throw Unsupported($"its plan at length {n} has other ops or buffers than at {max} ({tables.FirstDifference(reference)})");
            }
        }

        var terms = new List<SequenceTerm>();
        var values = reference.Values;
        SequenceTerm Fit(SequenceTarget target, int index, int parameter, Func<int, long> at)
        {
            long p0 = at(s_fit[0]), p1 = at(s_fit[1]), p2 = at(s_fit[2]);
            long second = p2 - (2 * p1) + p0;
            if (second % 2 != 0)
            {
                throw Unsupported($"{Describe(target, index, parameter)} is no polynomial of the length");
            }

            long c2 = second / 2, c1 = p1 - p0 - (c2 * ((2 * s_fit[0]) + 1)), c0 = p0 - (c1 * s_fit[0]) - (c2 * s_fit[0] * s_fit[0]);
            var term = new SequenceTerm(target, index, parameter, c0, c1, c2);
            foreach (int n in samples.Keys)
            {
                if (term.At(n) != at(n))
                {
                    throw Unsupported($"{Describe(target, index, parameter)} is {at(n)} at length {n}, which no polynomial of degree 2 through lengths {string.Join(", ", s_fit)} gives");
                }
            }

            return term;
        }

        for (int v = 0; v < values.Count; v++)
        {
            var (target, index, parameter) = values[v];
            if (target == SequenceTarget.BufferLength)
            {
                continue;
            }

            var term = Fit(target, index, parameter, n => samples[n].Value(v));
            if (term.C1 != 0 || term.C2 != 0)
            {
                terms.Add(term);
            }
        }

        // A buffer holds several tensors in turn and is as long as the longest, which changes with the length: each
        // tensor's length is a polynomial, and the buffer's is their coefficient-wise maximum (at least each, for n ≥ 1).
        if (uses.Values.Any(u => u.Count != longest.BufferUses.Count || !u.Select(x => x.Buffer).SequenceEqual(longest.BufferUses.Select(x => x.Buffer))))
        {
            throw Unsupported("its tensors share buffers differently at different lengths");
        }

        var buffers = new Dictionary<int, (long C0, long C1, long C2)>();
        for (int t = 0; t < longest.BufferUses.Count; t++)
        {
            int buffer = longest.BufferUses[t].Buffer;
            var term = Fit(SequenceTarget.BufferLength, buffer, 0, n => uses[n][t].Length);
            if (term.C0 < 0 || term.C1 < 0 || term.C2 < 0)
            {
                throw Unsupported($"a tensor in buffer {buffer} has a length that shrinks with the length");
            }

            var (c0, c1, c2) = buffers.GetValueOrDefault(buffer);
            buffers[buffer] = (Math.Max(c0, term.C0), Math.Max(c1, term.C1), Math.Max(c2, term.C2));
        }

        foreach (var (buffer, (c0, c1, c2)) in buffers.OrderBy(b => b.Key))
        {
            if (c1 != 0 || c2 != 0)
            {
                terms.Add(new SequenceTerm(SequenceTarget.BufferLength, buffer, 0, c0, c1, c2));
            }
        }

        // Inputs must grow with the length for the runner to find it from theirs.
        foreach (var term in terms.Where(t => t.Target == SequenceTarget.IoLength && t.Index < reference.InputCount))
        {
            if (term.C2 < 0 || term.C1 + term.C2 <= 0)
            {
                throw Unsupported($"input {term.Index}'s length does not grow with the length");
            }
        }

        if (terms.Count == 0 || !terms.Any(t => t.Target == SequenceTarget.IoLength && t.Index < reference.InputCount))
        {
            throw Unsupported("no input's length depends on it");
        }

        // One token: kept when the plan compiled there is the same polynomial plan.
        int min = 2;
        if (TryCompile(compile, 1, out var one) && PlanTables.Read(one!.Bytes) is { } tablesOne && tablesOne.Structure == reference.Structure
            && tablesOne.CheckPrefixOf(reference, one.Bytes, longest.Bytes, 1) is not null)
        {
            var byKey = terms.ToDictionary(t => (t.Target, t.Index, t.Parameter));
            min = Enumerable.Range(0, values.Count).All(v => values[v].Target == SequenceTarget.BufferLength
                || (byKey.TryGetValue(values[v], out var t) ? t.At(1) : reference.Value(v)) == tablesOne.Value(v)) ? 1 : 2;
        }

        var lengths = new SequenceLengths(min, max, terms);
        return (WithTable(longest.Bytes, lengths), lengths);
    }

    private static bool TryCompile(Func<int, CompiledPlan> compile, int n, out CompiledPlan? plan)
    {
        try
        {
            plan = compile(n);
            return true;
        }
        catch (Exception e) when (e is OnnxModelException or CompressionException or NotSupportedException or InvalidOperationException or ArgumentException or OverflowException or InvalidDataException)
        {
            plan = null;
            return false;
        }
    }

    /// <summary>The plan with the table appended and the header pointing at it (format version 4).</summary>
    private static byte[] WithTable(byte[] plan, SequenceLengths sequence)
    {
        byte[] table = sequence.ToBytes();
        int at = (plan.Length + 7) & ~7;
        var result = new byte[at + table.Length];
        plan.CopyTo(result, 0);
        table.CopyTo(result, at);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(8), PlanFormat.SequenceVersion);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(44), at);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(48), table.Length);
        return result;
    }

    private static string Describe(SequenceTarget target, int index, int parameter) => target switch
    {
        SequenceTarget.IoLength => $"the length of input/output {index}",
        SequenceTarget.BufferLength => $"the length of buffer {index}",
        _ => $"parameter {parameter} of op {index}",
    };
}
