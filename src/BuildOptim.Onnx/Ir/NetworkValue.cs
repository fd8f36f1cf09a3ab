namespace BuildOptim.Onnx.Ir;

/// <summary>
/// A tensor flowing through the network: its full concrete shape (batch bound to 1 for models) and its ONNX element type.
/// </summary>
/// <remarks>
/// Plans hold every tensor as float32 (or uint8 codes): an <see cref="ElementType.Int64"/>, <see cref="ElementType.Int32"/>
/// or <see cref="ElementType.Bool"/> value is a float32 holding its exact value — integers are exact in [−2^24, 2^24]
/// (token ids, positions, shapes and masks stay far inside), bools are 0 and 1. <see cref="Type"/> keeps what the model
/// computes, so graph inputs and outputs keep their declared types and integer tensors are never quantized.
/// </remarks>
public sealed record NetworkValue(int Id, string Name, int[] Shape, ElementType Type = ElementType.Float)
{
    /// <summary>The largest integer magnitude a float32 holds exactly (2^24): the limit of integer tensors in a plan.</summary>
    public const int MaxExactInteger = 1 << 24;

    public int Length => Shape.Aggregate(1, (p, d) => p * d);

    /// <summary>True for float data (the only values a plan may quantize); false for integers and bools held as floats.</summary>
    public bool IsFloat => Type == ElementType.Float;
}
