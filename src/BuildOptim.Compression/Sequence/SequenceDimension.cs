using BuildOptim.Onnx;

namespace BuildOptim.Compression.Sequence;

/// <summary>
/// The one dynamic dimension besides the batch that a model's inputs may keep (a sentence's token count, an audio
/// length): where it sits in each input, and the inputs' shapes with it bound to a length. Every dynamic dimension after
/// the batch must carry the same symbolic name in the model (<c>sequence_length</c>), or be the only one; others are
/// fixed with <c>InputShape</c>.
/// </summary>
internal sealed class SequenceDimension
{
    private readonly Graph _graph;
    private readonly Dictionary<string, int?[]> _dims;

    private SequenceDimension(Graph graph, Dictionary<string, int?[]> dims, IReadOnlyList<(int Input, int Dim)> positions, string name)
    {
        _graph = graph;
        _dims = dims;
        Positions = positions;
        Name = name;
    }

    /// <summary>Each input and dimension index that has the sequence length.</summary>
    public IReadOnlyList<(int Input, int Dim)> Positions { get; }

    /// <summary>The model's name for it (<c>sequence_length</c>), or "the sequence length".</summary>
    public string Name { get; }

    /// <summary>
    /// The sequence dimension of <paramref name="graph"/> after <paramref name="inputShapes"/>, or null when no dimension
    /// besides the batch stays dynamic, or when several different ones do (lowering then asks for InputShape).
    /// </summary>
    public static SequenceDimension? Find(Graph graph, IReadOnlyDictionary<string, int?[]>? inputShapes)
    {
        if (inputShapes is not null && inputShapes.Keys.Any(name => name.Length == 0 ? graph.Inputs.Count != 1 : graph.Inputs.All(i => i.Name != name)))
        {
            return null; // lowering names the input that does not exist
        }

        var dims = new Dictionary<string, int?[]>(StringComparer.Ordinal);
        var positions = new List<(int, int)>();
        var names = new HashSet<string?>();
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            var input = graph.Inputs[i];
            int?[] effective = input.Dims;
            if (InputShapes.GivenFor(inputShapes, input.Name, graph.Inputs.Count) is { } given)
            {
                if (given.Length != input.Dims.Length)
                {
                    return null; // lowering reports the rank mismatch
                }

                effective = InputShapes.Fill(input.Dims, given); // as lowering does; a fixed dim it contradicts is lowering's error
            }

            dims[input.Name] = effective;
            for (int d = 1; d < effective.Length; d++)
            {
                if (effective[d] is null)
                {
                    positions.Add((i, d));
                    names.Add(d < input.DimNames.Length ? input.DimNames[d] : null);
                }
            }
        }

        bool one = positions.Count == 1 || (names.Count == 1 && names.Single() is { Length: > 0 });
        return positions.Count > 0 && one
            ? new SequenceDimension(graph, dims, positions, names.Single() is { Length: > 0 } n ? n : "the sequence length")
            : null;
    }

    /// <summary>Every input's shape with the sequence bound to <paramref name="length"/> (the batch stays as declared).</summary>
    public Dictionary<string, int?[]> ShapesAt(int length)
    {
        var shapes = new Dictionary<string, int?[]>(StringComparer.Ordinal);
        foreach (var (name, dims) in _dims)
        {
            shapes[name] = [.. dims];
        }

        foreach (var (input, dim) in Positions)
        {
            shapes[_graph.Inputs[input].Name][dim] = length;
        }

        return shapes;
    }

    /// <summary><c>input_ids:?,n;attention_mask:?,n</c> with <c>n</c> a length: the InputShape that fixes it.</summary>
    public string InputShapeAt(int length)
        => string.Join(";", ShapesAt(length).Select(kv => kv.Key + ":" + string.Join(",", kv.Value.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? InputShapes.DynamicText))));
}
