namespace BuildOptim.Onnx.Ir;

/// <summary>A tensor flowing through the network, with its full concrete shape (batch bound to 1 for models).</summary>
public sealed record NetworkValue(int Id, string Name, int[] Shape)
{
    public int Length => Shape.Aggregate(1, (p, d) => p * d);
}
