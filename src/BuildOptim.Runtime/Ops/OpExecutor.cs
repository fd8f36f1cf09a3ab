namespace BuildOptim.Runtime.Ops;

/// <summary>
/// One op of a plan, ready to run: its parameters decoded and checked, its buffers and data sections resolved, and its
/// constants prepared (packed weights, layouts, broadcast tables) once, when the runner is created
/// (<see cref="OpRegistry.Create"/>). <see cref="Run"/> is the per-call path: it allocates nothing and decodes nothing.
/// </summary>
internal abstract class OpExecutor
{
    protected OpExecutor(PlanOp op) => Op = op;

    /// <summary>The plan op this executes.</summary>
    public PlanOp Op { get; }

    public OpKind Kind => Op.Kind;

    /// <summary>What this op needs of the scratch arrays the runner shares between its ops.</summary>
    public virtual ScratchNeeds Scratch => default;

    /// <summary>Bytes of constants this op derived from the plan when it was loaded (packed or decoded weights).</summary>
    public virtual long PreparedBytes => 0;

    /// <summary>Shapes and parameters in short, for <see cref="PlanRunner.Profile"/>.</summary>
    public virtual string Summary => Op.P.Length > 0 ? $"p0={Op.P[0]}" : string.Empty;

    /// <summary>Computes the op's outputs from its inputs, using <paramref name="scratch"/> as it declared in <see cref="Scratch"/>.</summary>
    public abstract void Run(OpScratch scratch);
}

/// <summary>Accumulator ints, float and byte scratch an op needs (the runner allocates the largest of each once).</summary>
internal readonly record struct ScratchNeeds(int Accumulator = 0, int Floats = 0, int Bytes = 0)
{
    public ScratchNeeds Max(ScratchNeeds other)
        => new(Math.Max(Accumulator, other.Accumulator), Math.Max(Floats, other.Floats), Math.Max(Bytes, other.Bytes));
}

/// <summary>The scratch arrays a runner's ops share (one op runs at a time on the calling thread).</summary>
internal sealed class OpScratch(int accumulator, int floats, int bytes)
{
    public int[] Accumulator { get; } = new int[accumulator];

    public float[] Floats { get; } = new float[floats];

    public byte[] Bytes { get; } = new byte[bytes];

    public long SizeInBytes => ((long)Accumulator.Length * sizeof(int)) + ((long)Floats.Length * sizeof(float)) + Bytes.Length;
}

/// <summary>
/// What an op's factory sees while the runner is created: the plan and the runner's buffers. Every accessor checks the
/// plan (buffer kinds and lengths, data sections, operand counts) and throws <see cref="InvalidDataException"/> on a bad one,
/// so executors can run without checks.
/// </summary>
internal sealed class OpLoadContext(ModelPlan plan, float[]?[] floats, byte[]?[] bytes)
{
    public ModelPlan Plan { get; } = plan;

    /// <summary>
    /// A constant derived from <paramref name="op"/>'s first data section (packed weights), made once per plan and shared by
    /// every runner of it, and by every sequence length of a plan that has one (<see cref="ModelPlan.Specialize"/>).
    /// <paramref name="variant"/>, <paramref name="rows"/> and <paramref name="columns"/> tell apart forms of the same section
    /// (a kernel path, the shape it is read as); never a parameter that changes with the sequence length.
    /// </summary>
    public T Prepared<T>(PlanOp op, int variant, int rows, int columns, Func<T> create)
        where T : class
        => (T)Plan.PreparedConstants.GetOrAdd((op.D.Length > 0 ? op.D[0] : -1, (int)op.Kind, variant, rows, columns), _ => create());

    /// <summary>Checks that <paramref name="op"/> has <paramref name="inputs"/> inputs, <paramref name="outputs"/> outputs and <paramref name="data"/> data sections.</summary>
    public void Expect(PlanOp op, int inputs, int outputs, int data)
    {
        if (op.Inputs.Length != inputs || op.Outputs.Length != outputs || op.D.Length != data)
        {
            throw ParameterReader.Invalid(op.Kind, $"has {op.Inputs.Length} inputs, {op.Outputs.Length} outputs and {op.D.Length} data sections; it takes {inputs}, {outputs} and {data}");
        }
    }

    public bool IsFloat(int buffer) => floats[buffer] is not null;

    /// <summary>Float buffer <paramref name="buffer"/>, checked to hold at least <paramref name="length"/> elements.</summary>
    public float[] Floats(PlanOp op, int buffer, long length)
        => floats[buffer] is { } array && length <= array.Length && length >= 0
            ? array
            : throw ParameterReader.Invalid(op.Kind, $"needs a float buffer of {length} elements; buffer {buffer} is {Describe(buffer)}");

    /// <summary>Byte buffer <paramref name="buffer"/>, checked to hold at least <paramref name="length"/> elements.</summary>
    public byte[] Bytes(PlanOp op, int buffer, long length)
        => bytes[buffer] is { } array && length <= array.Length && length >= 0
            ? array
            : throw ParameterReader.Invalid(op.Kind, $"needs a uint8 buffer of {length} elements; buffer {buffer} is {Describe(buffer)}");

    /// <summary>Data section <paramref name="index"/> of <paramref name="op"/>: <paramref name="count"/> requantization shifts, each in [1, <see cref="FixedPoint.MaxShift"/>].</summary>
    public PlanSection<int> Shifts(PlanOp op, int index, long count)
    {
        var shifts = Data<int>(op, index, count);
        foreach (int shift in shifts.Span)
        {
            if ((uint)(shift - 1) >= FixedPoint.MaxShift)
            {
                throw ParameterReader.Invalid(op.Kind, $"has a shift of {shift}, outside [1, {FixedPoint.MaxShift}]");
            }
        }

        return shifts;
    }

    /// <summary>Data section <paramref name="index"/> of <paramref name="op"/> as <paramref name="count"/> values of <typeparamref name="T"/>.</summary>
    public PlanSection<T> Data<T>(PlanOp op, int index, long count)
        where T : unmanaged
        => Plan.Section<T>(op.D[index], count);

    private string Describe(int buffer)
        => floats[buffer] is { } f ? $"float, {f.Length} elements" : bytes[buffer] is { } b ? $"uint8, {b.Length} elements" : "missing";
}

/// <summary>The short descriptions <see cref="PlanRunner.Profile"/> shows for convolutions and pools.</summary>
internal static class OpSummary
{
    /// <summary>For example <c>3x3 16->64 s2 28x28</c>, with <c>depthwise</c> or <c>gN</c> for grouped convolutions.</summary>
    public static string Conv(in ConvGeometry g)
    {
        string group = g.Group == 1 ? string.Empty : g.Group == g.C ? " depthwise" : $" g{g.Group}";
        return $"{g.KH}x{g.KW} {g.C}->{g.M} s{g.StrideH} {g.H}x{g.W}{group}";
    }

    /// <summary>For example <c>2x2 s2 16x28x28</c>.</summary>
    public static string Pool(in PoolGeometry g) => $"{g.KH}x{g.KW} s{g.StrideH} {g.C}x{g.H}x{g.W}";

    /// <summary>For example <c>3x3x3 16->64 s2 8x28x28</c>, with <c>depthwise</c> or <c>gN</c> for grouped convolutions.</summary>
    public static string Volume(in VolumeGeometry g)
    {
        string group = g.Group == 1 ? string.Empty : g.Group == g.C ? " depthwise" : $" g{g.Group}";
        return $"{g.D.Kernel}x{g.H.Kernel}x{g.W.Kernel} {g.C}->{g.M} s{g.D.Stride} {g.D.Input}x{g.H.Input}x{g.W.Input}{group}";
    }
}
