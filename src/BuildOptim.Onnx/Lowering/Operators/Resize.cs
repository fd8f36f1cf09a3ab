using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Resize (opsets 11–19) with constant scales or sizes (and opset-18 axes and keep_aspect_ratio_policy): one
/// <see cref="ResizeLayer"/>. Modes nearest, linear and cubic (cubic_coeff_a, exclude_outside) on any axes, with
/// coordinate_transformation_mode half_pixel, half_pixel_symmetric, asymmetric, align_corners, pytorch_half_pixel or
/// tf_crop_and_resize (a constant roi, extrapolation_value). Antialias is BOPT1004.
/// </summary>
internal static class Resize
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        int x = n.Runtime(0);
        var shape = c.Shape(x);
        int rank = shape.Length;
        if (c.Graph.OpsetVersion < 11)
        {
            throw n.Unsupported($"Resize '{n.Name}' in '{n.Path}' is opset {c.Graph.OpsetVersion}; BuildOptim supports Resize from opset 11.");
        }

        string mode = Text(node, "mode", "nearest");
        string transform = Text(node, "coordinate_transformation_mode", "half_pixel");
        string nearest = Text(node, "nearest_mode", "round_prefer_floor");
        string policy = Text(node, "keep_aspect_ratio_policy", "stretch");
        var coordinates = transform switch
        {
            "half_pixel" => ResizeCoordinates.HalfPixel,
            "asymmetric" => ResizeCoordinates.Asymmetric,
            "align_corners" => ResizeCoordinates.AlignCorners,
            "pytorch_half_pixel" => ResizeCoordinates.PytorchHalfPixel,
            "half_pixel_symmetric" => ResizeCoordinates.HalfPixelSymmetric,
            "tf_crop_and_resize" => ResizeCoordinates.TfCropAndResize,
            _ => throw n.Unsupported($"Resize '{n.Name}' in '{n.Path}' uses coordinate_transformation_mode '{transform}'; BuildOptim supports half_pixel, half_pixel_symmetric, asymmetric, align_corners, pytorch_half_pixel and tf_crop_and_resize."),
        };
        var rounding = nearest switch
        {
            "round_prefer_floor" => ResizeRounding.RoundPreferFloor,
            "round_prefer_ceil" => ResizeRounding.RoundPreferCeil,
            "floor" => ResizeRounding.Floor,
            "ceil" => ResizeRounding.Ceil,
            _ => throw n.Bad($"has nearest_mode '{nearest}'"),
        };
        if (mode is not ("nearest" or "linear" or "cubic") || node.GetInt("antialias", 0) != 0)
        {
            throw n.Unsupported($"Resize '{n.Name}' in '{n.Path}' is {mode}{(node.GetInt("antialias", 0) != 0 ? " with antialias" : "")}; BuildOptim supports nearest, linear and cubic without antialias.");
        }

        var axes = (node.GetInts("axes") ?? Enumerable.Range(0, rank).Select(i => (long)i).ToArray()).Select(a => a < 0 ? a + rank : a).ToArray();
        if (axes.Any(a => a < 0 || a >= rank) || axes.Distinct().Count() != axes.Length)
        {
            throw n.Bad($"has axes [{string.Join(",", axes)}] for a rank-{rank} input");
        }

        var scales = Enumerable.Repeat(1f, rank).ToArray();
        var output = (int[])shape.Clone();
        var scaleInput = n.Input(2) is null ? null : n.Constant(2, "scales");
        var sizeInput = n.Input(3) is null ? null : n.Constant(3, "sizes");
        if (scaleInput is { ElementCount: > 0 })
        {
            if (!scaleInput.IsFloat || scaleInput.ElementCount != axes.Length || scaleInput.Floats!.Any(s => !(s > 0) || float.IsInfinity(s)))
            {
                throw n.Bad($"has scales [{string.Join(",", scaleInput.Floats ?? [])}]; it needs {axes.Length} positive floats");
            }

            for (int i = 0; i < axes.Length; i++)
            {
                scales[axes[i]] = scaleInput.Floats![i];
                output[axes[i]] = Size(n, (long)(shape[axes[i]] * scaleInput.Floats[i]));
            }
        }
        else if (sizeInput is { ElementCount: > 0, IsFloat: false } && sizeInput.ElementCount == axes.Length && sizeInput.Int64s!.All(s => s > 0 && s <= int.MaxValue))
        {
            var sizes = sizeInput.Int64s!;
            var ratios = axes.Select((a, i) => (float)sizes[i] / shape[a]).ToArray();
            float common = policy switch
            {
                "not_larger" => ratios.Min(),
                "not_smaller" => ratios.Max(),
                _ => 0,
            };
            for (int i = 0; i < axes.Length; i++)
            {
                scales[axes[i]] = policy == "stretch" ? ratios[i] : common;
                output[axes[i]] = policy == "stretch" ? (int)sizes[i] : Size(n, (long)Math.Round(common * shape[axes[i]], MidpointRounding.AwayFromZero));
            }
        }
        else
        {
            throw n.Bad("needs constant scales or sizes (int64, one positive value per resized axis)");
        }

        float[]? roi = null;
        if (coordinates == ResizeCoordinates.TfCropAndResize)
        {
            var roiInput = n.Input(1) is null ? null : n.Constant(1, "roi");
            if (roiInput is null || !roiInput.IsFloat || roiInput.ElementCount != 2 * axes.Length || roiInput.Floats!.Any(v => !float.IsFinite(v)))
            {
                throw n.Bad($"uses tf_crop_and_resize; it needs a constant float roi of {2 * axes.Length} finite values (starts, then ends)");
            }

            roi = [.. Enumerable.Repeat(0f, rank), .. Enumerable.Repeat(1f, rank)];
            for (int i = 0; i < axes.Length; i++)
            {
                roi[axes[i]] = roiInput.Floats![i];
                roi[rank + axes[i]] = roiInput.Floats[axes.Length + i];
            }
        }

        float cubicA = node.GetFloat("cubic_coeff_a", -0.75f);
        float extrapolation = node.GetFloat("extrapolation_value", 0f);
        if (!float.IsFinite(cubicA))
        {
            throw n.Bad($"has cubic_coeff_a {cubicA}");
        }

        Shapes.ElementCount(n.Path, node, output);
        c.Charge(node, 8L * output.Sum());
        return n.Add(new ResizeLayer
        {
            Name = n.Name, Inputs = [x], Output = n.NewOutput(output),
            Linear = mode == "linear", Cubic = mode == "cubic", Coordinates = coordinates, Rounding = rounding, Scales = scales,
            CubicCoefficientA = cubicA, ExcludeOutside = node.GetInt("exclude_outside", 0) != 0, Roi = roi, ExtrapolationValue = extrapolation,
        });
    }

    /// <summary>
    /// Upsample (opsets 7–9, deprecated by Resize): scales of at least 1 from the attribute (opset 7) or a constant input
    /// (opset 9), nearest or linear, as ONNX Runtime runs it: asymmetric coordinates, nearest rounding down, output
    /// <c>floor(input · scale)</c>.
    /// </summary>
    public static SymbolicValue LowerUpsample(NodeLowering n)
    {
        var node = n.Node;
        int x = n.Runtime(0);
        var shape = n.Context.Shape(x);
        string mode = Text(node, "mode", "nearest");
        if (mode is not ("nearest" or "linear" or "bilinear"))
        {
            throw n.Unsupported($"Upsample '{n.Name}' in '{n.Path}' is {mode}; BuildOptim supports nearest and linear.");
        }

        float[] scales = n.Input(1) is null ? node.Attributes.TryGetValue("scales", out var a) ? a.Floats ?? [] : [] : n.Constant(1, "scales").Floats ?? [];
        if (scales.Length != shape.Length || scales.Any(s => !(s >= 1) || float.IsInfinity(s)))
        {
            throw n.Bad($"has scales [{string.Join(",", scales)}]; it needs {shape.Length} finite floats of at least 1");
        }

        var output = shape.Select((d, i) => Size(n, (long)(d * scales[i]))).ToArray();
        Shapes.ElementCount(n.Path, node, output);
        n.Context.Charge(node, 8L * output.Sum());
        return n.Add(new ResizeLayer
        {
            Name = n.Name, Inputs = [x], Output = n.NewOutput(output),
            Linear = mode != "nearest", Coordinates = ResizeCoordinates.Asymmetric, Rounding = ResizeRounding.Floor, Scales = (float[])scales.Clone(),
        });
    }

    private static int Size(NodeLowering n, long size)
        => size is >= 1 and <= int.MaxValue ? (int)size : throw n.Bad($"resizes an axis to {size} elements");

    private static string Text(Node node, string name, string fallback)
        => node.Attributes.TryGetValue(name, out var a) && a.S is { } s ? s : fallback;
}
