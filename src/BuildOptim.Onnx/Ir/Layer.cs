namespace BuildOptim.Onnx.Ir;

/// <summary>One layer: reads <see cref="Inputs"/> (value ids) and writes <see cref="Output"/>.</summary>
public abstract record Layer
{
    public required string Name { get; init; }

    public required int[] Inputs { get; init; }

    public required int Output { get; init; }
}

/// <summary>A constant tensor materialized as a value (operand of an elementwise op or Concat).</summary>
public sealed record ConstantLayer : Layer
{
    public required float[] Data { get; init; }
}
