namespace BuildOptim.Runtime.Ops;

/// <summary>
/// The typed parameters of one <see cref="OpKind"/>: what the op's integer parameters (<see cref="PlanOp.P"/>) mean, in one
/// place. The emitters write them with <see cref="Encode"/>; the runner reads them once, when it is created, with the
/// record's static <c>Decode</c>, which checks counts and ranges and throws <see cref="InvalidDataException"/> on a bad plan.
/// </summary>
internal interface IOpParameters
{
    /// <summary>The op these parameters belong to.</summary>
    OpKind Kind { get; }

    /// <summary>The parameters as the plan stores them (part of the file format: change only with <see cref="PlanFormat.Version"/>).</summary>
    int[] Encode();
}

/// <summary>How the parameter records encode the values several ops share (geometries, broadcasts, floats, flags).</summary>
internal static class ParameterEncoding
{
    /// <summary>A float as its IEEE bits.</summary>
    public static int Bits(float value) => BitConverter.SingleToInt32Bits(value);

    public static int Flag(bool value) => value ? 1 : 0;

    /// <summary>The 15 ints of a <see cref="ConvGeometry"/> in declaration order.</summary>
    public static int[] Conv(in ConvGeometry g) => [g.C, g.H, g.W, g.M, g.KH, g.KW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Group, g.OH, g.OW];

    /// <summary>The 15 ints of a <see cref="PoolGeometry"/> in declaration order.</summary>
    public static int[] Pool(in PoolGeometry g) => [g.C, g.H, g.W, g.KH, g.KW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.PadBottom, g.PadRight, g.DilationH, g.DilationW, g.OH, g.OW];

    /// <summary>The <see cref="VolumeGeometry.EncodedLength"/> ints of a <see cref="VolumeGeometry"/>: C, M, Group, then per axis D, H, W its Input, Kernel, Stride, Dilation, PadBegin, PadEnd, Output.</summary>
    public static int[] Volume(in VolumeGeometry g) => [g.C, g.M, g.Group, .. Axis(g.D), .. Axis(g.H), .. Axis(g.W)];

    private static int[] Axis(in AxisGeometry a) => [a.Input, a.Kernel, a.Stride, a.Dilation, a.PadBegin, a.PadEnd, a.Output];

    /// <summary>A broadcast as 19 ints: rank, output dims[6], strides of a[6], strides of b[6] (unused entries 0).</summary>
    public static int[] Broadcast(BroadcastShape shape)
    {
        int rank = shape.OutputDims.Length;
        var encoded = new int[1 + (3 * BroadcastShape.MaxRank)];
        encoded[0] = rank;
        shape.OutputDims.CopyTo(encoded, 1);
        shape.StridesA.CopyTo(encoded, 1 + BroadcastShape.MaxRank);
        shape.StridesB.CopyTo(encoded, 1 + (2 * BroadcastShape.MaxRank));
        return encoded;
    }
}

/// <summary>
/// Reads an op's parameters in order, checking each against its meaning; any violation is an
/// <see cref="InvalidDataException"/> naming the op and the parameter.
/// </summary>
internal ref struct ParameterReader
{
    private readonly OpKind _kind;
    private readonly ReadOnlySpan<int> _p;
    private int _at;

    /// <summary>A reader over <paramref name="p"/>, which must hold exactly <paramref name="count"/> ints.</summary>
    public ParameterReader(OpKind kind, ReadOnlySpan<int> p, int count)
    {
        _kind = kind;
        _p = p;
        if (p.Length != count)
        {
            throw Invalid(kind, $"has {p.Length} parameters; it takes {count}");
        }
    }

    public static InvalidDataException Invalid(OpKind kind, string problem) => new($"A {kind} op {problem}.");

    public int Int() => _p[_at++];

    /// <summary>A size or count: not negative.</summary>
    public int Count(string name)
    {
        int value = Int();
        return value >= 0 ? value : throw Invalid(_kind, $"has a negative {name} ({value})");
    }

    /// <summary>A uint8 zero point or code: in [0, 255].</summary>
    public byte Code(string name)
    {
        int value = Int();
        return (uint)value <= byte.MaxValue ? (byte)value : throw Invalid(_kind, $"has a {name} of {value}, outside [0, 255]");
    }

    /// <summary>A code clamp: two codes, the first not above the second.</summary>
    public (byte Min, byte Max) CodeClamp()
    {
        byte min = Code("clamp minimum");
        byte max = Code("clamp maximum");
        return min <= max ? (min, max) : throw Invalid(_kind, $"has an empty clamp range [{min}, {max}]");
    }

    /// <summary>A float stored as its IEEE bits.</summary>
    public float Float() => BitConverter.Int32BitsToSingle(Int());

    /// <summary>A float clamp whose range may not be empty (kernels that require <c>min ≤ max</c>).</summary>
    public (float Min, float Max) FloatClamp()
    {
        float min = Float();
        float max = Float();
        return min <= max ? (min, max) : throw Invalid(_kind, $"has an empty clamp range [{min}, {max}]");
    }

    /// <summary>A requantization shift: in [1, <see cref="FixedPoint.MaxShift"/>].</summary>
    public int Shift()
    {
        int value = Int();
        return (uint)(value - 1) < FixedPoint.MaxShift ? value : throw Invalid(_kind, $"has a shift of {value}, outside [1, {FixedPoint.MaxShift}]");
    }

    /// <summary>A count of 4-bit weight codebooks: one for the layer, or one per row of <paramref name="rows"/>.</summary>
    public int Codebooks(int rows)
    {
        int value = Int();
        return value == 1 || value == rows ? value : throw Invalid(_kind, $"has {value} codebooks; it takes 1 or {rows}");
    }

    /// <summary>0 or 1.</summary>
    public bool Flag(string name)
    {
        int value = Int();
        return (uint)value <= 1 ? value == 1 : throw Invalid(_kind, $"has a {name} flag of {value}, not 0 or 1");
    }

    /// <summary>A defined value of <typeparamref name="T"/>.</summary>
    public T Enum<T>()
        where T : struct, Enum
    {
        int value = Int();
        var result = (T)(object)value;
        return System.Enum.IsDefined(result) ? result : throw Invalid(_kind, $"has an unknown {typeof(T).Name} {value}");
    }

    /// <summary>
    /// A convolution geometry: positive channels, kernel, strides, dilations and groups dividing both channel counts, sizes
    /// not negative, and a sample and its output that fit in int32.
    /// </summary>
    public ConvGeometry Conv()
    {
        var g = new ConvGeometry(Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int());
        bool valid = g.C >= 1 && g.M >= 1 && g.H >= 0 && g.W >= 0 && g.KH >= 1 && g.KW >= 1 && g.StrideH >= 1 && g.StrideW >= 1
            && g.DilationH >= 1 && g.DilationW >= 1 && g.Group >= 1 && g.OH >= 0 && g.OW >= 0
            && g.C % g.Group == 0 && g.M % g.Group == 0
            && (long)g.C * g.H * g.W <= int.MaxValue && (long)g.M * g.OH * g.OW <= int.MaxValue
            && (long)g.M * g.GroupInputChannels * g.KH * g.KW <= int.MaxValue;
        return valid ? g : throw Invalid(_kind, $"has an invalid convolution geometry {g}");
    }

    /// <summary>A pooling geometry: positive kernel, strides and dilations, sizes not negative, a sample that fits in int32.</summary>
    public PoolGeometry Pool()
    {
        var g = new PoolGeometry(Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int(), Int());
        bool valid = g.C >= 0 && g.H >= 0 && g.W >= 0 && g.KH >= 1 && g.KW >= 1 && g.StrideH >= 1 && g.StrideW >= 1
            && g.DilationH >= 1 && g.DilationW >= 1 && g.OH >= 0 && g.OW >= 0
            && (long)g.C * g.H * g.W <= int.MaxValue && (long)g.C * g.OH * g.OW <= int.MaxValue;
        return valid ? g : throw Invalid(_kind, $"has an invalid pooling geometry {g}");
    }

    /// <summary>A 3-D window geometry (<see cref="ParameterEncoding.Volume"/>), checked with <see cref="VolumeGeometry.IsValid"/>.</summary>
    public VolumeGeometry Volume()
    {
        int c = Int(), m = Int(), group = Int();
        var g = new VolumeGeometry(c, m, group, Axis(), Axis(), Axis());
        return g.IsValid ? g : throw Invalid(_kind, $"has an invalid 3-D geometry {g}");
    }

    private AxisGeometry Axis() => new(Int(), Int(), Int(), Int(), Int(), Int(), Int());

    /// <summary>A broadcast (<see cref="ParameterEncoding.Broadcast"/>): rank up to 6, dims and strides not negative.</summary>
    public BroadcastShape Broadcast()
    {
        int rank = Int();
        if ((uint)rank > BroadcastShape.MaxRank)
        {
            throw Invalid(_kind, $"has a broadcast of rank {rank}; at most {BroadcastShape.MaxRank} is supported");
        }

        var dims = _p.Slice(_at, rank).ToArray();
        var stridesA = _p.Slice(_at + BroadcastShape.MaxRank, rank).ToArray();
        var stridesB = _p.Slice(_at + (2 * BroadcastShape.MaxRank), rank).ToArray();
        _at += 3 * BroadcastShape.MaxRank;
        long length = 1;
        for (int d = 0; d < rank; d++)
        {
            length *= dims[d];
            if (dims[d] < 0 || stridesA[d] < 0 || stridesB[d] < 0 || length > int.MaxValue)
            {
                throw Invalid(_kind, "has a broadcast with negative dims or strides, or more than 2^31 elements");
            }
        }

        return new BroadcastShape(dims, stridesA, stridesB);
    }

    /// <summary>A layout table of rank ≤ 6 (<see cref="Kernels.MaxLayoutRank"/>) stored in <paramref name="slots"/> ints, its first <paramref name="used"/> in use.</summary>
    public int[] Table(int slots, int used)
    {
        var table = _p.Slice(_at, used).ToArray();
        _at += slots;
        return table;
    }
}
