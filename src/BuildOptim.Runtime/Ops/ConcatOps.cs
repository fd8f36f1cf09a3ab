namespace BuildOptim.Runtime.Ops;

/// <summary>One input of a Concat: its block length per outer index and where the block starts in the output's.</summary>
internal readonly record struct ConcatF32Input(int Inner, int Offset);

/// <summary><see cref="OpKind.ConcatF32"/>: outer, output inner, then per input: inner, offset.</summary>
internal sealed record ConcatF32Parameters(int Outer, int OutputInner, ConcatF32Input[] Inputs) : IOpParameters
{
    public OpKind Kind => OpKind.ConcatF32;

    public int[] Encode() => [Outer, OutputInner, .. Inputs.SelectMany(i => new[] { i.Inner, i.Offset })];

    public static ConcatF32Parameters Decode(ReadOnlySpan<int> p, int inputCount)
    {
        var r = new ParameterReader(OpKind.ConcatF32, p, 2 + (2 * inputCount));
        int outer = r.Count("outer size"), outputInner = r.Count("output inner size");
        var inputs = new ConcatF32Input[inputCount];
        for (int i = 0; i < inputCount; i++)
        {
            inputs[i] = ConcatOps.Block(OpKind.ConcatF32, r.Count("inner size"), r.Count("offset"), outputInner);
        }

        return new(outer, outputInner, inputs);
    }
}

/// <summary>One input of a quantized Concat, and how its codes are re-expressed in the output's parameters when they differ (<see cref="Kernels.RequantizeU8"/>).</summary>
internal readonly record struct ConcatU8Input(int Inner, int Offset, int ZeroPoint, int Multiplier, int Shift, bool Requantize);

/// <summary>
/// <see cref="OpKind.ConcatU8"/>: outer, output inner, output zero point, then per input: inner, offset, zero point,
/// multiplier, shift, requantize. Outputs: the output and a scratch buffer for requantized inputs.
/// </summary>
internal sealed record ConcatU8Parameters(int Outer, int OutputInner, int OutputZeroPoint, ConcatU8Input[] Inputs) : IOpParameters
{
    public OpKind Kind => OpKind.ConcatU8;

    public int[] Encode()
        => [Outer, OutputInner, OutputZeroPoint, .. Inputs.SelectMany(i => new[] { i.Inner, i.Offset, i.ZeroPoint, i.Multiplier, i.Shift, ParameterEncoding.Flag(i.Requantize) })];

    public static ConcatU8Parameters Decode(ReadOnlySpan<int> p, int inputCount)
    {
        var r = new ParameterReader(OpKind.ConcatU8, p, 3 + (6 * inputCount));
        int outer = r.Count("outer size"), outputInner = r.Count("output inner size"), zeroPoint = r.Code("output zero point");
        var inputs = new ConcatU8Input[inputCount];
        for (int i = 0; i < inputCount; i++)
        {
            var (inner, offset) = ConcatOps.Block(OpKind.ConcatU8, r.Count("inner size"), r.Count("offset"), outputInner);
            inputs[i] = new ConcatU8Input(inner, offset, r.Code("input zero point"), r.Int(), r.Shift(), r.Flag("requantize"));
        }

        return new(outer, outputInner, zeroPoint, inputs);
    }
}

/// <summary>Concat: each input's blocks copied into the output (<see cref="Kernels.CopyStrided"/>).</summary>
internal sealed class ConcatF32Op : OpExecutor
{
    private readonly ConcatF32Parameters _p;
    private readonly float[][] _x;
    private readonly float[] _y;

    private ConcatF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: op.Inputs.Length, outputs: 1, data: 0);
        _p = ConcatF32Parameters.Decode(op.P, op.Inputs.Length);
        _x = [.. _p.Inputs.Select((input, i) => context.Floats(op, op.Inputs[i], (long)_p.Outer * input.Inner))];
        _y = context.Floats(op, op.Outputs[0], (long)_p.Outer * _p.OutputInner);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ConcatF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (outer, outputInner, inputs) = _p;
        var y = _y.AsSpan(0, outer * outputInner);
        for (int i = 0; i < inputs.Length; i++)
        {
            var (inner, offset) = inputs[i];
            Kernels.CopyStrided(_x[i].AsSpan(0, outer * inner), outer, inner, y, outputInner, offset);
        }
    }
}

/// <summary>
/// Concat on codes: each input's blocks copied into the output, re-expressed first under the output's parameters
/// (<see cref="Kernels.RequantizeU8"/>, into the op's scratch buffer) when its own differ.
/// </summary>
internal sealed class ConcatU8Op : OpExecutor
{
    private readonly ConcatU8Parameters _p;
    private readonly byte[][] _x;
    private readonly byte[] _y;
    private readonly byte[] _requantized;

    private ConcatU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: op.Inputs.Length, outputs: 2, data: 0);
        _p = ConcatU8Parameters.Decode(op.P, op.Inputs.Length);
        _x = [.. _p.Inputs.Select((input, i) => context.Bytes(op, op.Inputs[i], (long)_p.Outer * input.Inner))];
        _y = context.Bytes(op, op.Outputs[0], (long)_p.Outer * _p.OutputInner);
        long requantized = _p.Inputs.Where(i => i.Requantize).Select(i => (long)_p.Outer * i.Inner).DefaultIfEmpty(0).Max();
        _requantized = context.Bytes(op, op.Outputs[1], requantized);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ConcatU8Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (outer, outputInner, outputZeroPoint, inputs) = _p;
        var y = _y.AsSpan(0, outer * outputInner);
        for (int i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            ReadOnlySpan<byte> x = _x[i].AsSpan(0, outer * input.Inner);
            if (input.Requantize)
            {
                var requantized = _requantized.AsSpan(0, outer * input.Inner);
                Kernels.RequantizeU8Core(x, input.ZeroPoint, input.Multiplier, input.Shift, outputZeroPoint, requantized);
                x = requantized;
            }

            Kernels.CopyStridedU8(x, outer, input.Inner, y, outputInner, input.Offset);
        }
    }
}

/// <summary>Checks shared by the two Concat ops.</summary>
internal static class ConcatOps
{
    /// <summary>An input block that lies inside the output's: <c>offset + inner ≤ outputInner</c>.</summary>
    public static ConcatF32Input Block(OpKind kind, int inner, int offset, int outputInner)
        => (long)inner + offset <= outputInner ? new(inner, offset) : throw ParameterReader.Invalid(kind, $"has an input block [{offset}, {(long)offset + inner}) outside the output's {outputInner}");
}
