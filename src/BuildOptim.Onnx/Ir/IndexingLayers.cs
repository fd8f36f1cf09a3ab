namespace BuildOptim.Onnx.Ir;

/// <summary>
/// ONNX Gather over inputs [data, indices] along <see cref="Axis"/>: the output is data's dims before the axis, the
/// indices' dims, then data's dims after it. Indices are int64 or int32 (negative count from the end).
/// </summary>
public sealed record GatherLayer : Layer
{
    public required int Axis { get; init; }
}

/// <summary>
/// ONNX Slice resolved per dim of the input (numpy clamping done): output dim d takes <c>Begin[d] + i · Step[d]</c> for i
/// below the output's size. A Split is one SliceLayer per output.
/// </summary>
public sealed record SliceLayer : Layer
{
    public required int[] Begin { get; init; }

    public required int[] Step { get; init; }
}

/// <summary>ONNX Expand: the input broadcast (numpy rules) to the output's shape.</summary>
public sealed record ExpandLayer : Layer;

/// <summary>ONNX Tile: the input repeated <see cref="Repeats"/> times along each dim.</summary>
public sealed record TileLayer : Layer
{
    public required int[] Repeats { get; init; }
}
