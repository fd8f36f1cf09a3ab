namespace BuildOptim.Onnx.Ir;

/// <summary>
/// ONNX Cast of a runtime tensor to <see cref="To"/> (float, int64, int32 or bool): to an integer type from float truncates
/// toward zero, to bool is <c>x ≠ 0</c>; every other conversion leaves the float32 the plan holds unchanged.
/// </summary>
public sealed record CastLayer : Layer
{
    public required ElementType To { get; init; }
}

/// <summary>The predicates of a <see cref="CompareLayer"/>; the ONNX operators of the same names.</summary>
public enum CompareKind
{
    Equal,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    And,
    Or,
    Xor,
}

/// <summary>A comparison, or a connective of bools (true where ≠ 0), with numpy broadcasting: a bool tensor.</summary>
public sealed record CompareLayer : Layer
{
    public required CompareKind Kind { get; init; }
}

/// <summary>ONNX Where: <c>condition ≠ 0 ? x : y</c> over inputs [condition, x, y], with numpy broadcasting of the three.</summary>
public sealed record WhereLayer : Layer;
