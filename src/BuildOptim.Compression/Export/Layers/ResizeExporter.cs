using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// Resize (opset 13) in float: sizes when every scale is output/input (what ONNX Runtime derives from sizes), else the scales
/// when they give the output size; a size they cannot express (keep_aspect_ratio rounding), half_pixel_symmetric and
/// tf_crop_and_resize are BOPT1203.
/// </summary>
internal sealed class ResizeExporter : LayerExporter<ResizeLayer>
{
    protected override void Write(ResizeLayer l, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var input = writer.ShapeOf(l.Inputs[0]);
        var output = writer.ShapeOf(l.Output);
        bool sizes = input.Select((d, a) => l.Scales[a] == (float)output[a] / d).All(b => b);
        bool scales = input.Select((d, a) => (long)(d * l.Scales[a]) == output[a]).All(b => b);
        if (!sizes && !scales)
        {
            throw new NotSupportedException($"Resize '{l.Name}' uses scales whose output size opset 13 cannot express.");
        }

        if (l.Coordinates is ResizeCoordinates.HalfPixelSymmetric or ResizeCoordinates.TfCropAndResize)
        {
            throw new NotSupportedException($"Resize '{l.Name}' uses a coordinate transformation the export does not write (half_pixel_symmetric needs opset 19, tf_crop_and_resize a roi).");
        }

        string x = writer.Input(l, l.Inputs[0]);
        string result = writer.Output(l.Output);
        string roi = graph.Floats(l.Name + "_roi", [], [0]);
        string[] inputs = sizes
            ? [x, roi, graph.Floats(l.Name + "_scales", [], [0]), graph.Int64s(l.Name + "_sizes", output.Select(d => (long)d).ToArray(), [output.Length])]
            : [x, roi, graph.Floats(l.Name + "_scales", l.Scales, [l.Scales.Length])];
        string transform = l.Coordinates switch
        {
            ResizeCoordinates.HalfPixel => "half_pixel",
            ResizeCoordinates.Asymmetric => "asymmetric",
            ResizeCoordinates.AlignCorners => "align_corners",
            _ => "pytorch_half_pixel",
        };
        string nearest = l.Rounding switch
        {
            ResizeRounding.RoundPreferFloor => "round_prefer_floor",
            ResizeRounding.RoundPreferCeil => "round_prefer_ceil",
            ResizeRounding.Floor => "floor",
            _ => "ceil",
        };
        graph.Node(
            "Resize", l.Name, inputs, result, String("mode", l.Cubic ? "cubic" : l.Linear ? "linear" : "nearest"), String("coordinate_transformation_mode", transform),
            String("nearest_mode", nearest), Float("cubic_coeff_a", l.CubicCoefficientA), Int("exclude_outside", l.ExcludeOutside ? 1 : 0));
        writer.Written(l.Output, result);
    }
}
