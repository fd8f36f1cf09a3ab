using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Runtime;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Runtime.Ops;

/// <summary>The plan ops of the transformer data path (op kinds 60 to 79): their parameters round-trip, their runs allocate nothing.</summary>
public class DataPathOpTests
{
    /// <summary>Small models whose plans hold every data-path op kind.</summary>
    internal static IEnumerable<(string Name, TypedModel Model)> Models()
    {
        yield return ("cast", new TypedModel()
            .Input("x", new[] { -1.5f, 0f, 2.5f, 3f }, 4)
            .Node("Cast", ["x"], ["i"], Attr("to", 7L))
            .Node("Cast", ["x"], ["b"], Attr("to", 9L))
            .Output("i", 7)
            .Output("b", 9));
        yield return ("compare", new TypedModel()
            .Input("x", new[] { -1.5f, 0f, 2.5f, 3f }, 4)
            .Input("y", new[] { 0f }, 1)
            .Node("Less", ["x", "y"], ["lt"])
            .Output("lt", 9));
        yield return ("where", new TypedModel()
            .Input("c", new[] { true, false, true, false }, 4)
            .Input("x", new[] { -1.5f, 0f, 2.5f, 3f }, 4)
            .Input("y", new[] { 9f }, 1)
            .Node("Where", ["c", "x", "y"], ["z"])
            .Output("z"));
        yield return ("gather", new TypedModel()
            .Input("ids", new long[] { 0, 1, 0 }, 1, 3)
            .Initializer("table", new[] { 1f, 2f, 3f, 4f }, 2, 2)
            .Node("Gather", ["table", "ids"], ["e"])
            .Output("e"));
        yield return ("slice", new TypedModel()
            .Input("x", new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3)
            .Initializer("starts", new long[] { 2 }, 1)
            .Initializer("ends", new long[] { -10 }, 1)
            .Initializer("axes", new long[] { 1 }, 1)
            .Initializer("steps", new long[] { -1 }, 1)
            .Node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
            .Output("y"));
        yield return ("split-expand-tile", new TypedModel(opset: 13)
            .Input("x", new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3)
            .Initializer("split", new long[] { 1, 2 }, 2)
            .Initializer("shape", new long[] { 2, 2, 1 }, 3)
            .Initializer("repeats", new long[] { 1, 3 }, 2)
            .Node("Split", ["x", "split"], ["a", "b"], Attr("axis", 1L))
            .Node("Expand", ["a", "shape"], ["e"])
            .Node("Tile", ["b", "repeats"], ["t"])
            .Output("e")
            .Output("t"));
        yield return ("matmul", new TypedModel()
            .Input("a", new float[3 * 2 * 2], 3, 1, 2, 2)
            .Input("b", new float[2 * 2 * 2], 2, 2, 2)
            .Node("MatMul", ["a", "b"], ["y"])
            .Output("y"));
    }

    [Fact]
    public void Parameters_of_every_data_path_op_decode_and_encode_back_unchanged()
    {
        var kinds = new HashSet<OpKind>();
        foreach (var (name, model) in Models())
        {
            foreach (var op in ModelPlan.FromBytes(Compile(model)).Ops)
            {
                var parameters = OpRegistryTests.Decode(op);
                Assert.True(op.P.AsSpan().SequenceEqual(parameters.Encode()), $"{name}: {op.Kind} [{string.Join(",", op.P)}] encodes back as [{string.Join(",", parameters.Encode())}]");
                kinds.Add(op.Kind);
            }
        }

        var dataPath = Enum.GetValues<OpKind>().Where(k => (int)k is >= 60 and < 80);
        Assert.All(dataPath, kind => Assert.Contains(kind, kinds));
    }

    [Fact]
    public void Runs_of_data_path_plans_allocate_nothing()
    {
        foreach (var (name, model) in Models())
        {
            var runner = new PlanRunner(ModelPlan.FromBytes(Compile(model)));
            var inputs = runner.Plan.Inputs.ToArray().Select(i => new float[i.Length]).ToList();
            var outputs = runner.Plan.Outputs.ToArray().Select(o => new float[o.Length]).ToList();
            runner.RunMany(inputs, outputs);
            Assert.True(Allocations.SteadyState(20, () => runner.RunMany(inputs, outputs)) == 0, $"{name} allocates per call");
        }
    }

    private static byte[] Compile(TypedModel model) => PlanCompiler.Compile(model.Lower(), QuantizeMode.None, null).Bytes;
}
