using System.Buffers.Binary;

namespace BuildOptim.Runtime;

/// <summary>What a <see cref="SequenceTerm"/> sets in a plan specialized for one sequence length.</summary>
public enum SequenceTarget
{
    /// <summary>The length of an input or output record (inputs first, then outputs, as in the io table).</summary>
    IoLength = 0,

    /// <summary>The length of a buffer.</summary>
    BufferLength = 1,

    /// <summary>One integer parameter of an op.</summary>
    OpParameter = 2,
}

/// <summary>
/// One value of a plan that depends on the sequence length n: <c>c0 + c1·n + c2·n²</c> (attention scores are n² per head).
/// </summary>
public readonly record struct SequenceTerm(SequenceTarget Target, int Index, int Parameter, long C0, long C1, long C2)
{
    /// <summary>The value at sequence length <paramref name="n"/>, or null when it leaves the int range.</summary>
    public long? At(int n)
    {
        try
        {
            return checked(C0 + (C1 * n) + (C2 * n * n));
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}

/// <summary>
/// The sequence-length table of a plan whose inputs have a dynamic dimension besides the batch (a sentence's token count):
/// the plan proper is written for <see cref="MaxLength"/>, and each term gives a value that depends on the length n as a
/// polynomial. <see cref="ModelPlan.Specialize"/> evaluates them for one n; the data sections are shared by every n (a
/// constant that depends on n, such as the first n position embeddings, is stored for the maximum and read as a prefix).
/// </summary>
/// <remarks>
/// <code>
/// table   i32 minLength, i32 maxLength, i32 termCount, i32 reserved, then per term (40 bytes):
///         i32 target (<see cref="SequenceTarget"/>), i32 index, i32 parameter, i32 reserved, i64 c0, i64 c1, i64 c2
/// </code>
/// The header's first reserved words hold the table's offset and length; plans with a table have format version 4.
/// </remarks>
public sealed class SequenceLengths
{
    public const int HeaderSize = 16;
    public const int TermSize = 40;

    /// <summary>The largest maximum length a plan may declare.</summary>
    public const int MaxSupportedLength = 1 << 20;

    private readonly SequenceTerm[] _terms;

    /// <summary>Per io record that has a term, that term's index in <see cref="_terms"/>: what every Run looks up.</summary>
    private readonly Dictionary<int, int> _ioTerms = [];

    public SequenceLengths(int minLength, int maxLength, IReadOnlyList<SequenceTerm> terms)
    {
        MinLength = minLength;
        MaxLength = maxLength;
        _terms = [.. terms];
        for (int i = 0; i < _terms.Length; i++)
        {
            if (_terms[i].Target == SequenceTarget.IoLength)
            {
                _ioTerms.TryAdd(_terms[i].Index, i);
            }
        }
    }

    /// <summary>The shortest sequence the plan accepts (1, or 2 when the model computes differently on one token).</summary>
    public int MinLength { get; }

    /// <summary>The longest sequence the plan accepts: what the plan proper is written for.</summary>
    public int MaxLength { get; }

    public IReadOnlyList<SequenceTerm> Terms => _terms;

    /// <summary>The term of <paramref name="target"/> <paramref name="index"/>, found without allocating.</summary>
    internal bool TryFind(SequenceTarget target, int index, out SequenceTerm found)
    {
        if (target == SequenceTarget.IoLength)
        {
            bool known = _ioTerms.TryGetValue(index, out int at);
            found = known ? _terms[at] : default;
            return known;
        }

        foreach (var term in _terms)
        {
            if (term.Target == target && term.Index == index)
            {
                found = term;
                return true;
            }
        }

        found = default;
        return false;
    }

    /// <summary>The table's bytes (<see cref="PlanFormat"/> version 4).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderSize + (Terms.Count * TermSize)];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, MinLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], MaxLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Terms.Count);
        for (int i = 0; i < Terms.Count; i++)
        {
            var t = Terms[i];
            var at = span[(HeaderSize + (i * TermSize))..];
            BinaryPrimitives.WriteInt32LittleEndian(at, (int)t.Target);
            BinaryPrimitives.WriteInt32LittleEndian(at[4..], t.Index);
            BinaryPrimitives.WriteInt32LittleEndian(at[8..], t.Parameter);
            BinaryPrimitives.WriteInt64LittleEndian(at[16..], t.C0);
            BinaryPrimitives.WriteInt64LittleEndian(at[24..], t.C1);
            BinaryPrimitives.WriteInt64LittleEndian(at[32..], t.C2);
        }

        return bytes;
    }

    /// <summary>Reads a table; every term is checked to name something the plan has.</summary>
    /// <exception cref="InvalidDataException">A malformed table.</exception>
    internal static SequenceLengths Read(ReadOnlySpan<byte> table, int ioCount, int bufferCount, IReadOnlyList<PlanOp> ops)
    {
        if (table.Length < HeaderSize)
        {
            throw new InvalidDataException("The plan's sequence-length table is truncated.");
        }

        int min = BinaryPrimitives.ReadInt32LittleEndian(table);
        int max = BinaryPrimitives.ReadInt32LittleEndian(table[4..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(table[8..]);
        if (min < 1 || max < min || max > MaxSupportedLength)
        {
            throw new InvalidDataException($"The plan's sequence lengths [{min}, {max}] are invalid.");
        }

        if (count < 0 || (long)count * TermSize != table.Length - HeaderSize)
        {
            throw new InvalidDataException($"The plan's sequence-length table declares {count} terms in {table.Length} bytes.");
        }

        var terms = new SequenceTerm[count];
        for (int i = 0; i < count; i++)
        {
            var at = table[(HeaderSize + (i * TermSize))..];
            var term = new SequenceTerm(
                (SequenceTarget)BinaryPrimitives.ReadInt32LittleEndian(at),
                BinaryPrimitives.ReadInt32LittleEndian(at[4..]),
                BinaryPrimitives.ReadInt32LittleEndian(at[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(at[16..]),
                BinaryPrimitives.ReadInt64LittleEndian(at[24..]),
                BinaryPrimitives.ReadInt64LittleEndian(at[32..]));
            bool valid = term.Target switch
            {
                SequenceTarget.IoLength => (uint)term.Index < (uint)ioCount,
                SequenceTarget.BufferLength => (uint)term.Index < (uint)bufferCount,
                SequenceTarget.OpParameter => (uint)term.Index < (uint)ops.Count && (uint)term.Parameter < (uint)ops[term.Index].P.Length,
                _ => false,
            };
            if (!valid)
            {
                throw new InvalidDataException($"Sequence-length term {i} names {term.Target} {term.Index}/{term.Parameter}, which the plan does not have.");
            }

            terms[i] = term;
        }

        return new SequenceLengths(min, max, terms);
    }
}
