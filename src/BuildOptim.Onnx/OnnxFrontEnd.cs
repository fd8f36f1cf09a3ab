using BuildOptim.Onnx.Ir;
using BuildOptim.Onnx.Lowering;
using BuildOptim.Onnx.Passes;

namespace BuildOptim.Onnx;

/// <summary>
/// The engine's front end: an ONNX model in, the optimized IR out. It loads the file
/// (<see cref="OnnxModelLoader"/>), lowers the graph through the operator registry
/// (<see cref="GraphLowering"/>), then runs the graph passes (<see cref="GraphPasses"/>). Lowering and
/// passes know nothing of each other: both meet only in the IR and here.
/// </summary>
public static class OnnxFrontEnd
{
    /// <summary>Loads a model with one float input [batch, ...] and returns its network after the graph passes.</summary>
    public static Network Load(string path) => Import(OnnxModelLoader.Load(path));

    /// <summary>Loads a model for compression with dynamic dimensions fixed by <paramref name="inputShapes"/> (the <c>InputShape</c> option).</summary>
    public static Network Load(string path, IReadOnlyDictionary<string, int?[]>? inputShapes) => GraphPasses.Run(GraphLowering.LowerModel(OnnxModelLoader.Load(path), inputShapes));

    /// <summary>Lowers a loaded model (one float input, batch bound to 1) and runs the graph passes.</summary>
    public static Network Import(Graph graph) => GraphPasses.Run(GraphLowering.LowerModel(graph));

    /// <summary>Lowers and optimizes a loaded model for compression, its dynamic dimensions fixed by <paramref name="inputShapes"/>.</summary>
    public static Network Import(Graph graph, IReadOnlyDictionary<string, int?[]>? inputShapes) => GraphPasses.Run(GraphLowering.LowerModel(graph, inputShapes));

    /// <summary>Lowers a graph with the given concrete input shapes (any number of inputs and outputs) and runs the graph passes.</summary>
    public static Network Import(Graph graph, IReadOnlyDictionary<string, int[]> inputShapes) => GraphPasses.Run(GraphLowering.Lower(graph, inputShapes));
}
