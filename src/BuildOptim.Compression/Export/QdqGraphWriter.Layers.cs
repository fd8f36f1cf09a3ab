using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export;

/// <summary>Each layer back to its ONNX operators (opset 13).</summary>
internal sealed partial class QdqGraphWriter
{
    private void WriteLayer(Layer layer)
    {
        switch (layer)
        {
            case ConstantLayer k:
                WriteConstant(k);
                break;
            case DenseLayer d:
                WriteDense(d);
                break;
            case ConvLayer c:
                WriteConv(c);
                break;
            case PoolLayer p:
                WritePool(p);
                break;
            case GlobalPoolLayer g:
                Simple(g, g.Kind == PoolKind.Max ? "GlobalMaxPool" : "GlobalAveragePool");
                break;
            case ActivationLayer a:
                WriteActivation(a);
                break;
            case BinaryLayer { Activation: null } b:
                Simple(b, b.Kind.ToString());
                break;
            case BinaryLayer b:
                WriteBinaryWithActivation(b);
                break;
            case ConcatLayer c:
                Simple(c, "Concat", Int("axis", c.Axis));
                break;
            case TransposeLayer t:
                Simple(t, "Transpose", Ints("perm", t.Perm));
                break;
            case ReshapeLayer r:
                WriteReshape(r);
                break;
            case PadLayer p:
                WritePad(p);
                break;
            case SoftmaxLayer s:
                WriteSoftmax(s);
                break;
            case LrnLayer l:
                Simple(l, "LRN", Int("size", l.Size), Float("alpha", l.Alpha), Float("beta", l.Beta), Float("bias", l.Bias));
                break;
            case ChannelAffineLayer c:
                WriteChannelAffine(c);
                break;
            case MatMulLayer m:
                Simple(m, "MatMul");
                break;
            default:
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.GetType().Name}) has no ONNX export.");
        }
    }

    /// <summary>One node reading every input of the layer and writing its output.</summary>
    private void Simple(Layer layer, string opType, params AttributeProto[] attributes)
    {
        var inputs = layer.Inputs.Select(v => Input(layer, v)).ToArray();
        string output = Output(layer.Output);
        _graph.Node(opType, layer.Name, inputs, output, attributes);
        Written(layer.Output, output);
    }

    /// <summary>A binary op whose Relu or Clip was fused: the op, then the activation as its own node.</summary>
    private void WriteBinaryWithActivation(BinaryLayer b)
    {
        var inputs = b.Inputs.Select(v => Input(b, v)).ToArray();
        string output = Output(b.Output);
        string result = _graph.Unique(b.Name + "_linear");
        _graph.Node(b.Kind.ToString(), b.Name, inputs, result);
        FusedActivationNode(b.Name, b.Activation, result, output);
        Written(b.Output, output);
    }

    private int[] ShapeOf(int value) => _network.Value(value).Shape;

    private void WriteConstant(ConstantLayer k)
    {
        var shape = ShapeOf(k.Output);
        string name = _network.Value(k.Output).Name;
        if (!_codes.IsCodesPrimary(k.Output))
        {
            _read[k.Output] = _graph.Floats(name, k.Data, shape, exactName: true);
            return;
        }

        // Stored as the plan stores it: codes, dequantized in the graph.
        var p = _codes.ParamsOf(k.Output);
        var codes = k.Data.Select(v => p.Quantize(v)).ToArray();
        string q = _graph.UInt8s(name + "_quantized", codes, shape);
        var (scale, zeroPoint) = QuantParamsOf(k.Output);
        _graph.Node("DequantizeLinear", name + "_DequantizeLinear", [q, scale, zeroPoint], name);
        _read[k.Output] = name;
    }

    private void WriteDense(DenseLayer d)
    {
        var inputShape = ShapeOf(d.Inputs[0]);
        string x = Input(d, d.Inputs[0]);
        string output = Output(d.Output);
        bool gemm = inputShape.Length == 2;
        if (!gemm && inputShape[^1] != d.K)
        {
            throw new NotSupportedException($"Dense '{d.Name}' reads [{string.Join(",", inputShape)}], whose last dim is not K = {d.K}.");
        }

        // Gemm takes the [N, K] rows as they are (transB = 1); MatMul needs [K, N], with the channel axis 1.
        var weights = gemm ? d.Weights : Transpose(d.Weights, d.N, d.K);
        int[] weightDims = gemm ? [d.N, d.K] : [d.K, d.N];
        int channelAxis = gemm ? 0 : 1;
        string w, b;
        if (_codes.RunsInt8(d))
        {
            var (q, scales) = WeightQuantizer.QuantizeRows(d.Weights, d.K, d.N);
            w = DequantizedWeights(d.Name, gemm ? q : Transpose(q, d.N, d.K), weightDims, scales, channelAxis);
            b = gemm ? DequantizedBias(d.Name, d.Bias, scales, _codes.ParamsOf(d.Inputs[0])) : _graph.Floats(d.Name + "_bias", d.Bias, [d.N]);
        }
        else
        {
            w = _graph.Floats(d.Name + "_weight", weights, weightDims);
            b = _graph.Floats(d.Name + "_bias", d.Bias, [d.N]);
        }

        string product = d.Activation is null ? output : _graph.Unique(d.Name + "_linear");
        if (gemm)
        {
            _graph.Node("Gemm", d.Name, [x, w, b], product, Int("transB", 1));
        }
        else if (d.Bias.All(v => v == 0))
        {
            _graph.Node("MatMul", d.Name, [x, w], product);
        }
        else
        {
            string matmul = _graph.Unique(d.Name + "_matmul");
            _graph.Node("MatMul", d.Name, [x, w], matmul);
            _graph.Node("Add", d.Name + "_bias_add", [matmul, b], product);
        }

        FusedActivationNode(d.Name, d.Activation, product, output);
        Written(d.Output, output);
    }

    private void WriteConv(ConvLayer c)
    {
        bool oneD = ShapeOf(c.Inputs[0]).Length == 3;
        string x = Input(c, c.Inputs[0]);
        string output = Output(c.Output);
        int[] weightDims = oneD ? [c.M, c.C / c.Group, c.KW] : [c.M, c.C / c.Group, c.KH, c.KW];
        string w, b;
        if (_codes.RunsInt8(c))
        {
            int patch = c.C / c.Group * c.KH * c.KW;
            var (q, scales) = WeightQuantizer.QuantizeRows(c.Weights, patch, c.M);
            w = DequantizedWeights(c.Name, q, weightDims, scales, channelAxis: 0);
            b = DequantizedBias(c.Name, c.Bias, scales, _codes.ParamsOf(c.Inputs[0]));
        }
        else
        {
            w = _graph.Floats(c.Name + "_weight", c.Weights, weightDims);
            b = _graph.Floats(c.Name + "_bias", c.Bias, [c.M]);
        }

        // The IR keeps the begin pads; the end pads are the smallest that give the lowered output size.
        int padBottom = Math.Max(0, (c.OH - 1) * c.StrideH + c.DilationH * (c.KH - 1) + 1 - c.H - c.PadTop);
        int padRight = Math.Max(0, (c.OW - 1) * c.StrideW + c.DilationW * (c.KW - 1) + 1 - c.W - c.PadLeft);
        AttributeProto[] attributes = oneD
            ?
            [
                Ints("kernel_shape", [c.KW]), Ints("strides", [c.StrideW]), Ints("pads", [c.PadLeft, padRight]),
                Ints("dilations", [c.DilationW]), Int("group", c.Group),
            ]
            :
            [
                Ints("kernel_shape", [c.KH, c.KW]), Ints("strides", [c.StrideH, c.StrideW]), Ints("pads", [c.PadTop, c.PadLeft, padBottom, padRight]),
                Ints("dilations", [c.DilationH, c.DilationW]), Int("group", c.Group),
            ];
        string convolution = c.Activation is null ? output : _graph.Unique(c.Name + "_linear");
        _graph.Node("Conv", c.Name, [x, w, b], convolution, attributes);
        FusedActivationNode(c.Name, c.Activation, convolution, output);
        Written(c.Output, output);
    }

    /// <summary>Int8 weights with one scale per output channel along <paramref name="channelAxis"/> and zero points 0.</summary>
    private string DequantizedWeights(string layer, sbyte[] q, int[] dims, double[] scales, int channelAxis)
    {
        int channels = scales.Length;
        string values = _graph.Int8s(layer + "_weight_quantized", q, dims);
        string scale = _graph.Floats(layer + "_weight_scale", scales.Select(s => (float)s).ToArray(), [channels]);
        string zeroPoint = _graph.Int8s(layer + "_weight_zero_point", new sbyte[channels], [channels]);
        string weights = _graph.Unique(layer + "_weight");
        _graph.Node("DequantizeLinear", layer + "_weight_DequantizeLinear", [values, scale, zeroPoint], weights, Int("axis", channelAxis));
        return weights;
    }

    /// <summary>
    /// Int32 bias in units of <c>inputScale · weightScale[n]</c>, rounded as <see cref="WeightQuantizer.QuantizeBias"/>
    /// rounds it before folding the input zero point (which the QDQ graph keeps explicit).
    /// </summary>
    private string DequantizedBias(string layer, float[] bias, double[] weightScales, QuantParams input)
    {
        int n = bias.Length;
        var q = new int[n];
        var scale = new float[n];
        for (int i = 0; i < n; i++)
        {
            double unit = input.Scale * weightScales[i];
            q[i] = (int)Math.Clamp(Math.Round(bias[i] / unit, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            scale[i] = (float)unit;
        }

        string values = _graph.Int32s(layer + "_bias_quantized", q, [n]);
        string scales = _graph.Floats(layer + "_bias_scale", scale, [n]);
        string zeroPoint = _graph.Int32s(layer + "_bias_zero_point", new int[n], [n]);
        string result = _graph.Unique(layer + "_bias");
        _graph.Node("DequantizeLinear", layer + "_bias_DequantizeLinear", [values, scales, zeroPoint], result, Int("axis", 0));
        return result;
    }

    /// <summary>A fused ReLU or Clip as its own node from <paramref name="x"/> to <paramref name="output"/> (nothing when none).</summary>
    private void FusedActivationNode(string layer, FusedActivation? activation, string x, string output)
    {
        switch (activation)
        {
            case null:
                return;
            case { Kind: ActivationKind.Relu }:
                _graph.Node("Relu", layer + "_Relu", [x], output);
                return;
            default:
                _graph.Node("Clip", layer + "_Clip", [x, Scalar(layer + "_min", activation.Min), Scalar(layer + "_max", activation.Max)], output);
                return;
        }
    }

    private string Scalar(string name, float value) => _graph.Floats(name, [value], []);

    private void WritePool(PoolLayer p)
    {
        bool oneD = ShapeOf(p.Inputs[0]).Length == 3;
        int effectiveH = p.DilationH * (p.KH - 1) + 1, effectiveW = p.DilationW * (p.KW - 1) + 1;
        bool ceil = (p.H + p.PadTop + p.PadBottom - effectiveH) / p.StrideH + 1 != p.OH
            || (p.W + p.PadLeft + p.PadRight - effectiveW) / p.StrideW + 1 != p.OW;
        var attributes = new List<AttributeProto>
        {
            Ints("kernel_shape", oneD ? [p.KW] : [p.KH, p.KW]),
            Ints("strides", oneD ? [p.StrideW] : [p.StrideH, p.StrideW]),
            Ints("pads", oneD ? [p.PadLeft, p.PadRight] : [p.PadTop, p.PadLeft, p.PadBottom, p.PadRight]),
        };
        if (ceil)
        {
            attributes.Add(Int("ceil_mode", 1));
        }

        bool dilated = p.DilationH != 1 || p.DilationW != 1;
        if (p.Kind == PoolKind.Max)
        {
            if (dilated)
            {
                attributes.Add(Ints("dilations", oneD ? [p.DilationW] : [p.DilationH, p.DilationW]));
            }

            Simple(p, "MaxPool", [.. attributes]);
            return;
        }

        if (dilated)
        {
            throw new NotSupportedException($"AveragePool '{p.Name}' is dilated; opset {QdqExporter.Opset} AveragePool has no dilations.");
        }

        if (p.CountIncludePad)
        {
            attributes.Add(Int("count_include_pad", 1));
        }

        Simple(p, "AveragePool", [.. attributes]);
    }

    private void WriteActivation(ActivationLayer a)
    {
        switch (a.Kind)
        {
            case ActivationKind.LeakyRelu:
                Simple(a, "LeakyRelu", Float("alpha", a.Alpha));
                return;
            case ActivationKind.Elu:
                Simple(a, "Elu", Float("alpha", a.Alpha));
                return;
            case ActivationKind.Selu:
                Simple(a, "Selu", Float("alpha", a.Alpha), Float("gamma", a.Beta));
                return;
            case ActivationKind.HardSigmoid:
                Simple(a, "HardSigmoid", Float("alpha", a.Alpha), Float("beta", a.Beta));
                return;
            case ActivationKind.Clip:
            {
                string x = Input(a, a.Inputs[0]);
                string output = Output(a.Output);
                _graph.Node("Clip", a.Name, [x, Scalar(a.Name + "_min", a.Alpha), Scalar(a.Name + "_max", a.Beta)], output);
                Written(a.Output, output);
                return;
            }

            case ActivationKind.HardSwish:
            {
                // HardSwish is opset 14: x · HardSigmoid(x) with α = 1/6, β = 1/2.
                string x = Input(a, a.Inputs[0]);
                string output = Output(a.Output);
                string gate = _graph.Unique(a.Name + "_hard_sigmoid");
                _graph.Node("HardSigmoid", a.Name + "_HardSigmoid", [x], gate, Float("alpha", 1f / 6), Float("beta", 0.5f));
                _graph.Node("Mul", a.Name, [x, gate], output);
                Written(a.Output, output);
                return;
            }

            default:
                Simple(a, a.Kind.ToString());
                return;
        }
    }

    private void WriteReshape(ReshapeLayer r)
    {
        string x = Input(r, r.Inputs[0]);
        string output = Output(r.Output);
        _graph.Node("Reshape", r.Name, [x, ShapeTensor(r.Name + "_shape", ShapeOf(r.Inputs[0]), ShapeOf(r.Output))], output);
        Written(r.Output, output);
    }

    /// <summary>A Reshape target; with a symbolic batch, a leading batch dim of 1 becomes −1 so any batch flows through.</summary>
    private string ShapeTensor(string name, int[] from, int[] to)
    {
        var target = to.Select(d => (long)d).ToArray();
        if (_network.DynamicBatch && from.Length > 0 && from[0] == 1 && target.Length > 0 && target[0] == 1)
        {
            target[0] = -1;
        }

        return _graph.Int64s(name, target, [target.Length]);
    }

    private void WritePad(PadLayer p)
    {
        string x = Input(p, p.Inputs[0]);
        string output = Output(p.Output);
        var inputs = new List<string> { x, _graph.Int64s(p.Name + "_pads", p.Pads.Select(v => (long)v).ToArray(), [p.Pads.Length]) };
        if (p.Mode == PaddingMode.Constant)
        {
            inputs.Add(Scalar(p.Name + "_value", p.Value));
        }

        _graph.Node("Pad", p.Name, inputs, output, String("mode", p.Mode.ToString().ToLowerInvariant()));
        Written(p.Output, output);
    }

    private void WriteSoftmax(SoftmaxLayer s)
    {
        string opType = s.Log ? "LogSoftmax" : "Softmax";
        var shape = ShapeOf(s.Inputs[0]);
        int axis = Enumerable.Range(0, shape.Length).FirstOrDefault(
            a => shape[a] == s.AxisSize && Product(shape[..a]) == s.Outer && Product(shape[(a + 1)..]) == s.Inner, -1);
        if (axis >= 0)
        {
            Simple(s, opType, Int("axis", axis));
            return;
        }

        // A legacy (opset < 13) softmax over flattened trailing dims: [Outer, AxisSize, Inner] around an axis-1 softmax.
        string x = Input(s, s.Inputs[0]);
        string output = Output(s.Output);
        string flat = _graph.Unique(s.Name + "_flat");
        string normalized = _graph.Unique(s.Name + "_normalized");
        _graph.Node("Reshape", s.Name + "_Reshape", [x, ShapeTensor(s.Name + "_flat_shape", shape, [s.Outer, s.AxisSize, s.Inner])], flat);
        _graph.Node(opType, s.Name, [flat], normalized, Int("axis", 1));
        _graph.Node("Reshape", s.Name + "_Reshape_back", [normalized, ShapeTensor(s.Name + "_shape", [s.Outer, s.AxisSize, s.Inner], ShapeOf(s.Output))], output);
        Written(s.Output, output);
    }

    /// <summary>BatchNormalization as the plan runs it: <c>x · Scale[c] + Shift[c]</c> along dim 1.</summary>
    private void WriteChannelAffine(ChannelAffineLayer c)
    {
        var shape = ShapeOf(c.Inputs[0]);
        int[] dims = [c.Scale.Length, .. Enumerable.Repeat(1, Math.Max(0, shape.Length - 2))];
        string x = Input(c, c.Inputs[0]);
        string output = Output(c.Output);
        string scaled = _graph.Unique(c.Name + "_scaled");
        _graph.Node("Mul", c.Name + "_Mul", [x, _graph.Floats(c.Name + "_scale", c.Scale, dims)], scaled);
        _graph.Node("Add", c.Name, [scaled, _graph.Floats(c.Name + "_shift", c.Shift, dims)], output);
        Written(c.Output, output);
    }

    private static int Product(int[] dims) => dims.Aggregate(1, (p, d) => p * d);

    private static T[] Transpose<T>(T[] rows, int n, int k)
    {
        var result = new T[rows.Length];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                result[j * n + i] = rows[i * k + j];
            }
        }

        return result;
    }
}
