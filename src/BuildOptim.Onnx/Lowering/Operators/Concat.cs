using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>Concat along one axis: a <see cref="ConcatLayer"/>, or on constants the joined tensor.</summary>
internal static class Concat
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        string path = n.Path;
        var ids = Enumerable.Range(0, node.Inputs.Count).Select(n.Runtime).ToArray();
        var first = c.Shape(ids[0]);
        int axis = Shapes.Axis(path, node, node.GetInt("axis", 0), first.Length);
        var shape = first.Select(d => (long)d).ToArray();
        shape[axis] = 0;
        foreach (int id in ids)
        {
            var dims = c.Shape(id);
            if (dims.Length != first.Length || Enumerable.Range(0, dims.Length).Any(d => d != axis && dims[d] != first[d]))
            {
                throw n.Bad($"concatenates [{string.Join(",", first)}] with [{string.Join(",", dims)}] along axis {axis}");
            }

            shape[axis] += dims[axis];
        }

        Shapes.ElementCount(path, node, shape);
        return n.Add(new ConcatLayer { Name = n.Name, Inputs = ids, Output = n.NewOutput(shape.Select(d => (int)d).ToArray()), Axis = axis });
    }

    /// <summary>Float when every input is, int64 otherwise (float inputs truncated).</summary>
    public static Tensor Fold(NodeFolding f)
    {
        var tensors = f.All();
        var node = f.Node;
        string path = f.Path;
        if (tensors.Length == 0)
        {
            throw f.Bad("has no inputs");
        }

        int rank = tensors[0].Dims.Length;
        int axis = Shapes.Axis(path, node, node.GetInt("axis", 0), rank);
        var dims = tensors[0].Dims.Select(d => (long)d).ToArray();
        dims[axis] = 0;
        foreach (var t in tensors)
        {
            if (t.Dims.Length != rank || Enumerable.Range(0, rank).Any(d => d != axis && t.Dims[d] != dims[d]))
            {
                throw f.Bad($"concatenates [{string.Join(",", tensors[0].Dims)}] with [{string.Join(",", t.Dims)}] along axis {axis}");
            }

            dims[axis] += t.Dims[axis];
        }

        int count = Shapes.ElementCount(path, node, dims);
        bool isFloat = tensors.All(t => t.IsFloat);
        f.Charge(count, !isFloat);
        int outer = Shapes.Product(tensors[0].Dims.Take(axis));
        int inner = Shapes.Product(tensors[0].Dims.Skip(axis + 1));
        var floats = isFloat ? new float[count] : null;
        var ints = isFloat ? null : new long[count];
        int n = 0;
        for (int o = 0; o < outer; o++)
        {
            foreach (var t in tensors)
            {
                int block = t.Dims[axis] * inner;
                for (int i = o * block; i < (o + 1) * block; i++, n++)
                {
                    if (floats is not null)
                    {
                        floats[n] = t.Floats![i];
                    }
                    else
                    {
                        ints![n] = t.IsFloat ? (long)t.Floats![i] : t.Int64s![i];
                    }
                }
            }
        }

        int[] shape = dims.Select(d => (int)d).ToArray();
        return isFloat ? new Tensor(f.OutputName, shape, floats!) : new Tensor(f.OutputName, shape, ints!);
    }
}
