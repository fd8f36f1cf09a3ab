namespace BuildOptim.Onnx.Ir;

public enum PaddingMode
{
    Constant,
    Reflect,
    Edge,
}

public sealed record ConcatLayer : Layer
{
    public required int Axis { get; init; }
}

public sealed record TransposeLayer : Layer
{
    public required int[] Perm { get; init; }
}

/// <summary>Same data, new shape (Reshape, Flatten, Squeeze, Unsqueeze).</summary>
public sealed record ReshapeLayer : Layer;

public sealed record PadLayer : Layer
{
    public required PaddingMode Mode { get; init; }

    /// <summary>ONNX order: all begins, then all ends; negative values crop.</summary>
    public required int[] Pads { get; init; }

    public float Value { get; init; }
}
