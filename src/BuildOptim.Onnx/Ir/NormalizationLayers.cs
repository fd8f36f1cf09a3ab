namespace BuildOptim.Onnx.Ir;

/// <summary>Softmax/LogSoftmax over the middle dim of [Outer, AxisSize, Inner].</summary>
public sealed record SoftmaxLayer : Layer
{
    public required int Outer { get; init; }

    public required int AxisSize { get; init; }

    public required int Inner { get; init; }

    public required bool Log { get; init; }
}

public sealed record LrnLayer : Layer
{
    public required int Size { get; init; }

    public required float Alpha { get; init; }

    public required float Beta { get; init; }

    public required float Bias { get; init; }
}

/// <summary><c>y = x · Scale[c] + Shift[c]</c> along dim 1 (an unfolded BatchNormalization).</summary>
public sealed record ChannelAffineLayer : Layer
{
    public required float[] Scale { get; init; }

    public required float[] Shift { get; init; }
}
