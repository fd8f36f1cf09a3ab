using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests;

/// <summary>
/// A model built in code around one float input <c>x</c> of fixed dims and one output <c>y</c>, written to a folder and
/// lowered, with seeded uniform inputs: what the operator tests compare against ONNX Runtime.
/// </summary>
internal sealed record OneInputModel(string Path, Network Network, NdArray Inputs)
{
    /// <param name="body">Adds the nodes from <c>x</c> to <c>y</c>.</param>
    /// <param name="low">Inputs are uniform in [low, low + width).</param>
    public static OneInputModel Write(string folder, int opset, int[] dims, Action<OnnxModelBuilder> body, int seed, int samples, double low, double width)
    {
        var builder = new OnnxModelBuilder(opset: opset);
        builder.Graph.Input[0] = OnnxModelBuilder.FloatValue("x", null, [.. dims.Select(d => (long)d)]);
        body(builder);
        builder.Graph.Output.Add(new global::Onnx.ValueInfoProto { Name = "y", Type = new global::Onnx.TypeProto { TensorType = new global::Onnx.TypeProto.Types.Tensor { ElemType = 1 } } });
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, "model.onnx");
        File.WriteAllBytes(path, builder.ToBytes());

        var network = OnnxFrontEnd.Load(path);
        var random = new Random(seed);
        var data = Enumerable.Range(0, samples * network.InputLength).Select(_ => (float)((random.NextDouble() * width) + low)).ToArray();
        return new OneInputModel(path, network, new NdArray("x", ElementKind.Float32, [samples, .. network.InputShape], data));
    }
}
