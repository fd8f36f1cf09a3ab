namespace BuildOptim.Onnx.Ir;

/// <summary>
/// ONNX Gather over inputs [data, indices] along <see cref="Axis"/>: the output is data's dims before the axis, the
/// indices' dims, then data's dims after it. Indices are int64 or int32 (negative count from the end).
/// </summary>
public sealed record GatherLayer : Layer
{
    public required int Axis { get; init; }
}
