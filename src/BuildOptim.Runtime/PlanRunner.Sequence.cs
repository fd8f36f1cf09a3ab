using BuildOptim.Runtime.Ops;

namespace BuildOptim.Runtime;

/// <summary>
/// Plans whose inputs have a dynamic dimension besides the batch (<see cref="ModelPlan.HasSequenceLength"/>: a sentence's
/// token count): the runner takes the length from the inputs it is given and runs the plan specialized for it. The first
/// call at a new length prepares the ops for it (and grows the buffers when it is the longest so far); calls at a length
/// already seen allocate nothing.
/// </summary>
public sealed partial class PlanRunner
{
    /// <summary>The lengths prepared so far, each with its plan and executors (all sharing the runner's buffers).</summary>
    private Dictionary<int, (ModelPlan Plan, OpExecutor[] Executors, OpScratch Scratch, bool[] Parallel, int[] PooledBy, bool[] FusedAway)>? _specializations;

    /// <summary>Per input, the sequence length it was last set at (plans with a sequence length only).</summary>
    private int[]? _inputSetAt;

    /// <summary>Whether the plan's inputs have a dynamic sequence length (<see cref="ModelPlan.HasSequenceLength"/>).</summary>
    public bool HasSequenceLength => _basePlan.HasSequenceLength;

    /// <summary>The shortest sequence the plan takes (0 without a sequence length).</summary>
    public int MinSequenceLength => _basePlan.MinSequenceLength;

    /// <summary>The longest sequence the plan takes (0 without a sequence length).</summary>
    public int MaxSequenceLength => _basePlan.MaxSequenceLength;

    /// <summary>The sequence length the next run computes at: set by <see cref="SetSequenceLength"/> or by the inputs' lengths (0 without one).</summary>
    public int SequenceLength => _plan.SequenceLength;

    /// <summary>Elements of input <paramref name="index"/> at sequence length <paramref name="sequenceLength"/>; allocates nothing.</summary>
    public int GetInputLength(int index, int sequenceLength) => _basePlan.GetInputLength(index, sequenceLength);

    /// <summary>Elements of output <paramref name="index"/> at sequence length <paramref name="sequenceLength"/>; allocates nothing.</summary>
    public int GetOutputLength(int index, int sequenceLength) => _basePlan.GetOutputLength(index, sequenceLength);

    /// <summary>Makes the next runs compute at sequence length <paramref name="sequenceLength"/> (the first time at a length, prepares it).</summary>
    /// <exception cref="InvalidOperationException">The plan has no sequence length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length is outside [<see cref="MinSequenceLength"/>, <see cref="MaxSequenceLength"/>].</exception>
    public void SetSequenceLength(int sequenceLength)
    {
        if (!_basePlan.HasSequenceLength)
        {
            throw new InvalidOperationException("This plan has no dynamic sequence length: its inputs have fixed lengths.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, _basePlan.MinSequenceLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequenceLength, _basePlan.MaxSequenceLength);
        ThrowIfDisposed();
        if (sequenceLength == _plan.SequenceLength)
        {
            return;
        }

        _specializations ??= new() { [_plan.SequenceLength] = (_plan, _executors, _scratch, _parallel, _pooledBy, _fusedAway) };
        if (!_specializations.TryGetValue(sequenceLength, out var prepared))
        {
            var plan = _basePlan.Specialize(sequenceLength);
            var (executors, scratch, parallel, pooledBy, fusedAway) = Prepare(plan, out bool grew);
            prepared = (plan, executors, scratch, parallel, pooledBy, fusedAway);
            if (grew)
            {
                // The lengths seen before held the old buffers: prepared again now (they fit the new ones), so that calls at
                // any length already seen keep allocating nothing.
                foreach (int seen in _specializations.Keys.ToArray())
                {
                    var again = _specializations[seen].Plan;
                    var (e, s, p, b, f) = Prepare(again, out _);
                    _specializations[seen] = (again, e, s, p, b, f);
                }
            }

            _specializations[sequenceLength] = prepared;
        }

        (_plan, _executors, _scratch, _parallel, _pooledBy, _fusedAway) = prepared;
    }

    /// <summary>
    /// For an input of <paramref name="length"/> elements: moves to the sequence length it implies when the plan has one,
    /// and remembers that the input was set at it.
    /// </summary>
    private void FollowInputLength(int index, int length)
    {
        if (!_basePlan.HasSequenceLength || (uint)index >= (uint)_plan.Inputs.Length)
        {
            return;
        }

        if (length != _plan.Inputs[index].Length && _basePlan.TryGetSequenceLength(index, length, out int n))
        {
            SetSequenceLength(n);
        }

        _inputSetAt ??= new int[_plan.Inputs.Length];
        _inputSetAt[index] = _plan.SequenceLength;
    }

    /// <summary>Packed inputs of <paramref name="length"/> elements in all: moves to the sequence length whose inputs add up to it.</summary>
    private void FollowPackedLength(int length)
    {
        if (!_basePlan.HasSequenceLength || length == _plan.InputLength)
        {
            return;
        }

        int lo = _basePlan.MinSequenceLength, hi = _basePlan.MaxSequenceLength;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (PackedInputLength(mid) < length)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (PackedInputLength(lo) == length)
        {
            SetSequenceLength(lo);
        }
    }

    private long PackedInputLength(int n)
    {
        long total = 0;
        for (int i = 0; i < _basePlan.Inputs.Length; i++)
        {
            total += _basePlan.GetInputLength(i, n);
        }

        return total;
    }

    /// <summary>Before a run from <see cref="SetInput(int, ReadOnlySpan{float})"/>: every input must have been set at the current length.</summary>
    private void CheckInputsAtCurrentLength()
    {
        if (_inputSetAt is null)
        {
            return;
        }

        for (int i = 0; i < _inputSetAt.Length; i++)
        {
            if (_inputSetAt[i] != _plan.SequenceLength)
            {
                throw new InvalidOperationException($"Input {i} was set for sequence length {_inputSetAt[i]}, the run is at {_plan.SequenceLength}: set every input with the same sequence length.");
            }
        }
    }
}
