namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.ResizeSeparableF32"/>: rank (1–6), inDims[6], outDims[6], taps[6] (unused slots 1, 1, 0), extrapolation
/// (f32). Data: for each axis with taps &gt; 0, last axis first, its source indices s32 [out·taps] then its weights f32 [out·taps].
/// </summary>
internal sealed record ResizeSeparableF32Parameters(int[] InDims, int[] OutDims, int[] Taps, float Extrapolation) : IOpParameters
{
    public const int MaxRank = 6;

    /// <summary>Taps per output position the op accepts on one axis (an antialiased 1/256 downscale needs about 1,000).</summary>
    public const int MaxTaps = 4096;

    public OpKind Kind => OpKind.ResizeSeparableF32;

    /// <summary>The axes resized, in the order they run: last axis first.</summary>
    public IEnumerable<int> Passes => Enumerable.Range(0, InDims.Length).Reverse().Where(a => Taps[a] > 0);

    public int[] Encode() => [InDims.Length, .. Pad(InDims, 1), .. Pad(OutDims, 1), .. Pad(Taps, 0), ParameterEncoding.Bits(Extrapolation)];

    private static int[] Pad(int[] values, int fill) => [.. values, .. Enumerable.Repeat(fill, MaxRank - values.Length)];

    public static ResizeSeparableF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ResizeSeparableF32, p, 2 + (3 * MaxRank));
        int rank = r.Int();
        if (rank is < 1 or > MaxRank)
        {
            throw ParameterReader.Invalid(OpKind.ResizeSeparableF32, $"has rank {rank}");
        }

        var values = new int[3 * MaxRank];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = r.Count("dim or tap count");
        }

        int[] input = values[..rank], output = values[MaxRank..(MaxRank + rank)], taps = values[(2 * MaxRank)..((2 * MaxRank) + rank)];
        float extrapolation = r.Float();
        long inLength = input.Aggregate(1L, (a, d) => a * d), outLength = output.Aggregate(1L, (a, d) => a * d);
        bool valid = inLength <= int.MaxValue && outLength <= int.MaxValue && input.All(d => d > 0)
            && taps.Select((t, a) => t == 0 ? input[a] == output[a] : t <= MaxTaps && (long)output[a] * t <= int.MaxValue).All(b => b);
        return valid
            ? new(input, output, taps, extrapolation)
            : throw ParameterReader.Invalid(OpKind.ResizeSeparableF32, "has an empty input, more than 2^31 elements, or tap counts that do not fit its dims");
    }

    /// <summary>Floats of one intermediate tensor: the largest result of a pass before the last.</summary>
    public int IntermediateLength()
    {
        var dims = (int[])InDims.Clone();
        long largest = 0;
        var passes = Passes.ToArray();
        for (int i = 0; i < passes.Length - 1; i++)
        {
            dims[passes[i]] = OutDims[passes[i]];
            largest = Math.Max(largest, dims.Aggregate(1L, (p, d) => p * d));
        }

        return largest <= int.MaxValue / 2 ? (int)largest : throw ParameterReader.Invalid(OpKind.ResizeSeparableF32, "needs more than 2^30 floats of intermediate results");
    }

    public bool Equals(ResizeSeparableF32Parameters? other)
        => other is not null && InDims.SequenceEqual(other.InDims) && OutDims.SequenceEqual(other.OutDims) && Taps.SequenceEqual(other.Taps)
            && BitConverter.SingleToInt32Bits(Extrapolation) == BitConverter.SingleToInt32Bits(other.Extrapolation);

    public override int GetHashCode() => HashCode.Combine(InDims.Length, OutDims.Sum(), Taps.Sum());
}

/// <summary>
/// Separable Resize: one <see cref="Kernels.ResizeAxisF32Core"/> pass per resized axis, last axis first, through two
/// intermediate tensors in the shared scratch; the tables read in place and checked at load.
/// </summary>
internal sealed class ResizeSeparableF32Op : OpExecutor
{
    private readonly ResizeSeparableF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly Pass[] _passes;
    private readonly int _intermediate;
    private readonly int _inLength;
    private readonly int _outLength;

    private ResizeSeparableF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        _p = ResizeSeparableF32Parameters.Decode(op.P);
        var axes = _p.Passes.ToArray();
        context.Expect(op, inputs: 1, outputs: 1, data: 2 * axes.Length);
        int Length(int[] d) => d.Aggregate(1, (p, v) => p * v);
        _inLength = Length(_p.InDims);
        _outLength = Length(_p.OutDims);
        _x = context.Floats(op, op.Inputs[0], _inLength);
        _y = context.Floats(op, op.Outputs[0], _outLength);
        _intermediate = _p.IntermediateLength();
        var dims = (int[])_p.InDims.Clone();
        _passes = new Pass[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = axes[i], taps = _p.Taps[a], input = dims[a], output = _p.OutDims[a];
            var indices = context.Data<int>(op, 2 * i, (long)output * taps);
            var weights = context.Data<float>(op, (2 * i) + 1, (long)output * taps);
            var span = indices.Span;
            for (int k = 0; k < span.Length; k++)
            {
                int index = span[k];
                if (index >= input || index < (k % taps == 0 ? -1 : 0))
                {
                    throw new InvalidDataException($"A {op.Kind} op has source index {index} on axis {a} of {input}.");
                }
            }

            int outer = Length(dims[..a]), inner = Length(dims[(a + 1)..]);
            dims[a] = output;
            _passes[i] = new Pass(outer, input, inner, output, taps, indices, weights);
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ResizeSeparableF32Op(op, context);

    public override ScratchNeeds Scratch => new(Floats: 2 * _intermediate);

    public override string Summary => $"[{string.Join(",", _p.InDims)}] -> [{string.Join(",", _p.OutDims)}] taps [{string.Join(",", _p.Taps)}]";

    public override void Run(OpScratch scratch)
    {
        if (_passes.Length == 0)
        {
            _x.AsSpan(0, _inLength).CopyTo(_y);
            return;
        }

        ReadOnlySpan<float> source = _x;
        for (int i = 0; i < _passes.Length; i++)
        {
            var pass = _passes[i];
            int length = pass.Outer * pass.Output * pass.Inner;
            var target = i == _passes.Length - 1 ? _y.AsSpan(0, length) : scratch.Floats.AsSpan((i % 2) * _intermediate, length);
            Kernels.ResizeAxisF32Core(source[..(pass.Outer * pass.Input * pass.Inner)], pass.Outer, pass.Input, pass.Inner, pass.Output, pass.Taps, pass.Indices.Span, pass.Weights.Span, _p.Extrapolation, target, SimdLevel.Vector512);
            source = target;
        }
    }

    private sealed record Pass(int Outer, int Input, int Inner, int Output, int Taps, PlanSection<int> Indices, PlanSection<float> Weights);
}
