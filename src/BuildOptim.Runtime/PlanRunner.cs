using BuildOptim.Runtime.Ops;

namespace BuildOptim.Runtime;

/// <summary>
/// Executes a <see cref="ModelPlan"/>. All scratch memory is allocated in the constructor:
/// <see cref="Run(ReadOnlySpan{float}, Span{float})"/> allocates nothing.
/// </summary>
/// <remarks>
/// An instance is not thread-safe; create one per thread (they share the plan). With a <see cref="Parallelism"/> above 1 a
/// call also uses the runner's helper threads for its large convolutions; it returns when they are done.
/// </remarks>
public sealed partial class PlanRunner
{
    /// <summary>The plan as loaded; for a plan with a sequence length, <see cref="_plan"/> is its specialization for the current length.</summary>
    private readonly ModelPlan _basePlan;
    private readonly float[]?[] _floats;
    private readonly byte[]?[] _bytes;
    private readonly long _parallelMinimumMacs;
    private readonly bool _fusePools;
    private ModelPlan _plan;

    /// <summary>Per op, its executor: parameters decoded, buffers resolved and constants prepared once (<see cref="OpRegistry"/>).</summary>
    private OpExecutor[] _executors;
    private OpScratch _scratch;
    private bool[] _parallel;
    private int[] _pooledBy;
    private bool[] _fusedAway;
    private ConvWorker[] _workers = [];

    /// <summary>A runner that computes on the calling thread only.</summary>
    public PlanRunner(ModelPlan plan)
        : this(plan, 1)
    {
    }

    /// <summary>
    /// A runner whose large convolutions are split across up to <paramref name="parallelism"/> threads: the calling thread
    /// and <paramref name="parallelism"/> − 1 background helper threads of the runner's own, each with its own scratch (see
    /// <see cref="Parallelism"/>). They are started here when the plan has a convolution that large, and each exits within
    /// about a second of the runner being garbage collected.
    /// Outputs are bit-identical for every value; 1 (the default) uses no other thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parallelism"/> is below 1 or above 64.</exception>
    /// <exception cref="InvalidDataException">The plan holds an op this runtime does not know, or one whose parameters, buffers or data do not fit.</exception>
    public PlanRunner(ModelPlan plan, int parallelism)
        : this(plan, parallelism, ParallelMinimumMacs)
    {
    }

    /// <summary>As <see cref="PlanRunner(ModelPlan, int)"/> with the size threshold of the parallel convolutions given (tests split small models).</summary>
    internal PlanRunner(ModelPlan plan, int parallelism, long parallelMinimumMacs, bool fusePools = true)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parallelism, 64);
        _basePlan = plan;
        Parallelism = parallelism;
        _parallelMinimumMacs = parallelMinimumMacs;
        _fusePools = fusePools;
        var buffers = plan.Buffers;
        _floats = new float[]?[buffers.Length];
        _bytes = new byte[]?[buffers.Length];
        foreach (var (kind, _) in buffers)
        {
            if (kind is not (BufferKind.Float32 or BufferKind.UInt8))
            {
                throw new InvalidDataException($"Buffer kind {kind} is not supported.");
            }
        }

        // A plan with a sequence length starts at its shortest; SetInput moves it to the length of the inputs given.
        _plan = plan.HasSequenceLength ? plan.Specialize(plan.MinSequenceLength) : plan;
        (_executors, _scratch, _parallel, _pooledBy, _fusedAway) = Prepare(_plan, out _);
    }

    /// <summary>
    /// Sizes the buffers for <paramref name="plan"/> (growing, never shrinking) and creates its executors: every op decoded,
    /// checked against the buffers and prepared once; constants are written into their buffers here.
    /// </summary>
    /// <param name="plan">The plan, or its specialization for one sequence length.</param>
    /// <param name="grew">Whether a buffer was reallocated: executors made for other lengths hold the old arrays.</param>
    private (OpExecutor[], OpScratch, bool[], int[], bool[]) Prepare(ModelPlan plan, out bool grew)
    {
        grew = false;
        var buffers = plan.Buffers;
        var full = _basePlan.Buffers;
        for (int i = 0; i < buffers.Length; i++)
        {
            int length = buffers[i].Length;
            int current = _floats[i]?.Length ?? _bytes[i]?.Length ?? -1;
            if (current >= length)
            {
                continue;
            }

            // Room to grow (at most to the longest sequence's length), so that lengths rising one by one reallocate rarely.
            int capacity = plan == _basePlan || current < 0 ? length : (int)Math.Min(Math.Max(length, 2L * current), Math.Max(length, full[i].Length));
            if (buffers[i].Kind == BufferKind.Float32)
            {
                _floats[i] = new float[capacity];
            }
            else
            {
                _bytes[i] = new byte[capacity];
            }

            grew = current >= 0;
        }

        var context = new OpLoadContext(plan, _floats, _bytes);
        var ops = plan.Ops;
        var executors = new OpExecutor[ops.Length];
        var needs = default(ScratchNeeds);
        for (int i = 0; i < ops.Length; i++)
        {
            executors[i] = OpRegistry.Create(ops[i], context);
            needs = needs.Max(executors[i].Scratch);
        }

        var scratch = new OpScratch(needs.Accumulator, needs.Floats, needs.Bytes);
        var parallel = new bool[executors.Length];
        int helperScratch = 0;
        for (int i = 0; i < executors.Length; i++)
        {
            if (Parallelism > 1 && executors[i] is IChannelSplittable split && split.Splits(_parallelMinimumMacs))
            {
                parallel[i] = true;
                helperScratch = Math.Max(helperScratch, split.HelperScratchLength);
            }
        }

        var (pooledBy, fusedAway) = _fusePools ? ConvMaxPoolFusion.Apply(executors, plan, parallel) : (Enumerable.Repeat(-1, executors.Length).ToArray(), new bool[executors.Length]);
        if (parallel.Contains(true) && (_workers.Length == 0 || _workers[0].ScratchBytes < helperScratch))
        {
            foreach (var worker in _workers)
            {
                worker.Stop();
            }

            _workers = [.. Enumerable.Range(1, Parallelism - 1).Select(_ => new ConvWorker(this, helperScratch))];
        }

        ScratchBytes = _floats.Sum(f => (long)(f?.Length ?? 0) * sizeof(float))
            + _bytes.Sum(b => (long)(b?.Length ?? 0))
            + scratch.SizeInBytes
            + _workers.Sum(w => w.ScratchBytes);
        PreparedBytes = executors.Sum(e => e.PreparedBytes);
        return (executors, scratch, parallel, pooledBy, fusedAway);
    }

    /// <summary>The plan this runner executes (as loaded; see <see cref="SequenceLength"/> for a plan with a sequence length).</summary>
    public ModelPlan Plan => _basePlan;

    /// <summary>Floats per input sample.</summary>
    public int InputLength => _plan.InputLength;

    /// <summary>Floats per output sample.</summary>
    public int OutputLength => _plan.OutputLength;

    /// <summary>Bytes of scratch memory this runner holds (activations, accumulators, packed columns; with <see cref="Parallelism"/> above 1, each helper's convolution scratch too).</summary>
    public long ScratchBytes { get; private set; }

    /// <summary>
    /// Bytes of constants this runner derived from the plan when it was created: convolution weights packed for the
    /// micro-kernel and shared weights decoded.
    /// </summary>
    public long PreparedBytes { get; private set; }

    /// <summary>
    /// Runs one sample: <paramref name="input"/> has <see cref="InputLength"/> floats, <paramref name="output"/> <see cref="OutputLength"/>
    /// (several inputs or outputs packed one after the other in graph order; see <see cref="SetInput(int, ReadOnlySpan{float})"/> for typed ones).
    /// </summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        FollowPackedLength(input.Length);
        if (input.Length != InputLength)
        {
            throw new ArgumentException($"Expected an input of {InputLength} floats, got {input.Length}.", nameof(input));
        }

        if (output.Length != OutputLength)
        {
            throw new ArgumentException($"Expected an output of {OutputLength} floats, got {output.Length}.", nameof(output));
        }

        RunCore(input, output);
    }

    /// <summary>Runs <paramref name="batchSize"/> samples stored one after the other.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        if (input.Length != (long)InputLength * batchSize)
        {
            throw new ArgumentException($"Expected an input of {InputLength} × {batchSize} = {(long)InputLength * batchSize} floats, got {input.Length}.", nameof(input));
        }

        if (output.Length != (long)OutputLength * batchSize)
        {
            throw new ArgumentException($"Expected an output of {OutputLength} × {batchSize} = {(long)OutputLength * batchSize} floats, got {output.Length}.", nameof(output));
        }

        for (int b = 0; b < batchSize; b++)
        {
            RunCore(input.Slice(b * InputLength, InputLength), output.Slice(b * OutputLength, OutputLength));
        }
    }

    /// <summary>Runs a plan with several inputs and outputs (conformance runs); arrays are in plan order.</summary>
    public void RunMany(IReadOnlyList<float[]> inputs, IReadOnlyList<float[]> outputs)
    {
        var planInputs = _plan.Inputs;
        var planOutputs = _plan.Outputs;
        if (inputs.Count != planInputs.Length || outputs.Count != planOutputs.Length)
        {
            throw new ArgumentException($"The plan takes {planInputs.Length} inputs and {planOutputs.Length} outputs.");
        }

        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length != planInputs[i].Length)
            {
                throw new ArgumentException($"Input {i} needs {planInputs[i].Length} floats, got {inputs[i].Length}.");
            }

            inputs[i].CopyTo(_floats[planInputs[i].Buffer].AsSpan());
        }

        ExecuteAll();
        for (int i = 0; i < outputs.Count; i++)
        {
            _floats[planOutputs[i].Buffer].AsSpan(0, planOutputs[i].Length).CopyTo(outputs[i]);
        }
    }

    /// <summary>The current contents of a float buffer (calibration reads intermediate tensors).</summary>
    internal ReadOnlySpan<float> FloatBuffer(int buffer) => _floats[buffer];

    /// <summary>One sample: a plan with several inputs takes them packed one after the other in graph order, and gives its outputs packed alike.</summary>
    private void RunCore(ReadOnlySpan<float> input, Span<float> output)
    {
        var inputs = _plan.Inputs;
        int offset = 0;
        foreach (var (inBuffer, inLength) in inputs)
        {
            input.Slice(offset, inLength).CopyTo(_floats[inBuffer].AsSpan(0, inLength));
            offset += inLength;
        }

        ExecuteAll();
        offset = 0;
        foreach (var (outBuffer, outLength) in _plan.Outputs)
        {
            _floats[outBuffer].AsSpan(0, outLength).CopyTo(output.Slice(offset, outLength));
            offset += outLength;
        }
    }

    private void ExecuteAll()
    {
        ThrowIfDisposed();
        for (int i = 0; i < _executors.Length; i++)
        {
            if (!_fusedAway[i])
            {
                ExecuteOp(i);
            }
        }
    }

    private void ExecuteOp(int index)
    {
        if (_parallel[index])
        {
            ExecuteParallel(index);
        }
        else
        {
            _executors[index].Run(_scratch);
        }
    }
}
