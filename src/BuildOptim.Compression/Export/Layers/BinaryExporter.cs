using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Add, Sub, Mul, Div or PRelu; a fused Relu or Clip as its own node after the op.</summary>
internal sealed class BinaryExporter : LayerExporter<BinaryLayer>
{
    protected override void Write(BinaryLayer b, QdqGraphWriter writer)
    {
        if (b.Activation is null)
        {
            writer.Simple(b, b.Kind.ToString());
            return;
        }

        var inputs = b.Inputs.Select(v => writer.Input(b, v)).ToArray();
        string output = writer.Output(b.Output);
        string result = writer.Graph.Unique(b.Name + "_linear");
        writer.Graph.Node(b.Kind.ToString(), b.Name, inputs, result);
        writer.FusedActivationNode(b.Name, b.Activation, result, output);
        writer.Written(b.Output, output);
    }
}
