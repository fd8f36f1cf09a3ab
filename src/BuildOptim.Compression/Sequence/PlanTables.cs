using System.Text;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Sequence;

/// <summary>The tables of a serialized plan (io, buffers, ops), read without copying its data: what <see cref="SequencePlans"/> compares.</summary>
internal sealed class PlanTables
{
    private readonly long[] _values;
    private readonly PlanOp[] _ops;

    private PlanTables(int inputCount, List<(SequenceTarget, int, int)> keys, long[] values, PlanOp[] ops, string structure)
    {
        InputCount = inputCount;
        Values = keys;
        _values = values;
        _ops = ops;
        Structure = structure;
    }

    public int InputCount { get; }

    /// <summary>Every integer that may depend on the length: io lengths, buffer lengths, op parameters, in that order.</summary>
    public IReadOnlyList<(SequenceTarget Target, int Index, int Parameter)> Values { get; }

    /// <summary>Everything else (op kinds, operands, parameter and data counts, buffer kinds, io buffers), as text to compare.</summary>
    public string Structure { get; }

    public long Value(int index) => _values[index];

    /// <summary>Where this plan's structure first departs from <paramref name="other"/>'s, in words.</summary>
    public string FirstDifference(PlanTables other)
    {
        if (_ops.Length != other._ops.Length)
        {
            return $"{_ops.Length} ops against {other._ops.Length}";
        }

        for (int i = 0; i < _ops.Length; i++)
        {
            var (a, b) = (_ops[i], other._ops[i]);
            if (a.Kind != b.Kind || !a.Inputs.SequenceEqual(b.Inputs) || !a.Outputs.SequenceEqual(b.Outputs) || a.P.Length != b.P.Length || a.D.Length != b.D.Length)
            {
                return $"op {i} is {a.Kind} against {b.Kind}";
            }
        }

        return "its buffers or inputs and outputs differ";
    }

    public static unsafe PlanTables Read(byte[] bytes)
    {
        fixed (byte* p = bytes)
        {
            var plan = new ModelPlan(p, bytes.Length);
            var keys = new List<(SequenceTarget, int, int)>();
            var values = new List<long>();
            var structure = new StringBuilder();
            var io = plan.Inputs.ToArray().Concat(plan.Outputs.ToArray()).ToArray();
            for (int i = 0; i < io.Length; i++)
            {
                keys.Add((SequenceTarget.IoLength, i, 0));
                values.Add(io[i].Length);
                structure.Append('i').Append(io[i].Buffer);
            }

            var buffers = plan.Buffers;
            for (int i = 0; i < buffers.Length; i++)
            {
                keys.Add((SequenceTarget.BufferLength, i, 0));
                values.Add(buffers[i].Length);
                structure.Append('b').Append((int)buffers[i].Kind);
            }

            var ops = plan.Ops.ToArray();
            for (int i = 0; i < ops.Length; i++)
            {
                var op = ops[i];
                structure.Append('o').Append((int)op.Kind).Append(':').AppendJoin(',', op.Inputs).Append('>').AppendJoin(',', op.Outputs)
                    .Append('p').Append(op.P.Length).Append('d').Append(op.D.Length);
                for (int j = 0; j < op.P.Length; j++)
                {
                    keys.Add((SequenceTarget.OpParameter, i, j));
                    values.Add(op.P[j]);
                }
            }

            return new PlanTables(plan.Inputs.Length, keys, [.. values], ops, structure.ToString());
        }
    }

    /// <summary>
    /// This plan (at length <paramref name="n"/>) when each of its data sections is the start of the same op's section in
    /// <paramref name="reference"/> (zero padding aside); null otherwise.
    /// </summary>
    public PlanTables? CheckPrefixOf(PlanTables reference, byte[] bytes, byte[] referenceBytes, int n)
    {
        if (_ops.Length != reference._ops.Length)
        {
            return null;
        }

        var starts = _ops.SelectMany(o => o.D).Where(d => d >= 0).Append(bytes.Length).Distinct().Order().ToArray();
        for (int i = 0; i < _ops.Length; i++)
        {
            var (mine, theirs) = (_ops[i].D, reference._ops[i].D);
            if (mine.Length != theirs.Length)
            {
                return null;
            }

            for (int j = 0; j < mine.Length; j++)
            {
                if (mine[j] < 0 || theirs[j] < 0)
                {
                    if (mine[j] != theirs[j])
                    {
                        return null;
                    }

                    continue;
                }

                long end = starts[Array.BinarySearch(starts, mine[j]) + 1];
                var section = bytes.AsSpan((int)mine[j], (int)(end - mine[j]));

                // Sections are padded with zeros to the data alignment.
                int trim = 0;
                while (trim < PlanFormat.DataAlignment - 1 && trim < section.Length && section[section.Length - 1 - trim] == 0)
                {
                    trim++;
                }

                section = section[..^trim];
                if (theirs[j] + section.Length > referenceBytes.Length || !section.SequenceEqual(referenceBytes.AsSpan((int)theirs[j], section.Length)))
                {
                    return null;
                }
            }
        }

        return this;
    }
}
