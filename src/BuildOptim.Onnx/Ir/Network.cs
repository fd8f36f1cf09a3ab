namespace BuildOptim.Onnx.Ir;

/// <summary>A model lowered to layers over values with concrete shapes.</summary>
public sealed class Network
{
    public required string SourcePath { get; init; }

    public required List<NetworkValue> Values { get; init; }

    public required List<Layer> Layers { get; set; }

    public required List<int> Inputs { get; init; }

    public required List<int> Outputs { get; init; }

    /// <summary>True when the model's batch dimension is symbolic (bound to 1 here).</summary>
    public bool DynamicBatch { get; init; }

    public NetworkValue Value(int id) => Values[id];

    public string InputName => Values[Inputs[0]].Name;

    public string OutputName => Values[Outputs[0]].Name;

    /// <summary>Per-sample input dims (the batch dim excluded).</summary>
    public int[] InputShape => Values[Inputs[0]].Shape[1..];

    /// <summary>Per-sample output dims (the batch dim excluded).</summary>
    public int[] OutputShape => Values[Outputs[0]].Shape.Length > 1 ? Values[Outputs[0]].Shape[1..] : Values[Outputs[0]].Shape;

    /// <summary>Values per sample in the inputs: the one input's, or all of them packed one after the other in graph order (as a plan takes them).</summary>
    public int InputLength => Inputs.Sum(i => Values[i].Length);

    /// <summary>Values per sample in the outputs: the one output's, or all of them packed one after the other (as a plan gives them).</summary>
    public int OutputLength => Outputs.Sum(o => Values[o].Length);

    /// <summary>The element type of each graph input, in graph order (float, int64, int32 or bool; see <see cref="NetworkValue"/>).</summary>
    public IReadOnlyList<ElementType> InputTypes => Inputs.Select(i => Values[i].Type).ToArray();

    /// <summary>The element type of each graph output, in graph order, as the model declares it.</summary>
    public IReadOnlyList<ElementType> OutputTypes => Outputs.Select(o => Values[o].Type).ToArray();

    /// <summary>Bytes of float parameters (weights, biases, constants).</summary>
    public long ParameterBytes => Layers.Sum(l => l switch
    {
        DenseLayer d => (long)d.Weights.Length + d.Bias.Length,
        ConvLayer c => (long)c.Weights.Length + c.Bias.Length,
        ConstantLayer k => k.Data.Length,
        _ => 0L,
    }) * sizeof(float);

    /// <summary>Number of layers reading each value (graph outputs count as a reader).</summary>
    public int[] ConsumerCounts()
    {
        var counts = new int[Values.Count];
        foreach (var layer in Layers)
        {
            foreach (int input in layer.Inputs)
            {
                counts[input]++;
            }
        }

        foreach (int output in Outputs)
        {
            counts[output]++;
        }

        return counts;
    }

    public Network With(List<Layer> layers) => new()
    {
        SourcePath = SourcePath,
        Values = Values,
        Layers = layers,
        Inputs = Inputs,
        Outputs = Outputs,
        DynamicBatch = DynamicBatch,
    };
}
