namespace BuildOptim.Onnx.Ir;

/// <summary>
/// ONNX Cast of a runtime tensor to <see cref="To"/> (float, int64, int32 or bool): to an integer type from float truncates
/// toward zero, to bool is <c>x ≠ 0</c>; every other conversion leaves the float32 the plan holds unchanged.
/// </summary>
public sealed record CastLayer : Layer
{
    public required ElementType To { get; init; }
}
