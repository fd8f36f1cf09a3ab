namespace BuildOptim.Runtime;

public sealed partial class PlanRunner
{
    /// <summary>Accumulator ints, im2col floats and im2col bytes the largest op needs.</summary>
    private static (int Accumulator, int Floats, int Bytes) ScratchNeeds(PlanOp[] ops)
    {
        int acc = 0, floats = 0, bytes = 0;
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case OpKind.DenseU8S8ToU8:
                case OpKind.DenseU8S8ToF32:
                    acc = Math.Max(acc, op.P[2]);
                    break;
                case OpKind.ConvF32:
                    floats = Math.Max(floats, Kernels.ConvF32ScratchLength(op.Conv(1)));
                    break;
                case OpKind.ConvU8S8ToU8:
                case OpKind.ConvU8S8ToF32:
                    bytes = Math.Max(bytes, Kernels.ConvU8S8ScratchLength(op.Conv(1), packedWeights: true));
                    acc = Math.Max(acc, Kernels.ConvU8S8AccumulatorLength(op.Conv(1)));
                    break;
                case OpKind.DenseSharedU8U4ToU8:
                case OpKind.DenseSharedU8U4ToF32:
                    acc = Math.Max(acc, op.P[2]);
                    break;
                case OpKind.ConvSharedU8U4ToU8:
                case OpKind.ConvSharedU8U4ToF32:
                    // Decoded and packed once in Prepare: the plain kernel's scratch.
                    bytes = Math.Max(bytes, Kernels.ConvU8S8ScratchLength(op.Conv(1), packedWeights: true));
                    acc = Math.Max(acc, Kernels.ConvU8S8AccumulatorLength(op.Conv(1)));
                    break;
            }
        }

        return (acc, floats, bytes);
    }

    /// <summary>
    /// Pairs each int8 convolution with the 2 × 2, stride-2 MaxPool that follows it, when the pool is the only reader of the
    /// convolution's output and the fused kernel fits (<see cref="Kernels.ConvU8S8MaxPool2x2Fits"/>): the convolution then
    /// writes the pooled codes itself, bit for bit the same, and the pool op is skipped (<paramref name="parallel"/>: the ops
    /// split across threads). Returns, per op, the index of the pool fused into it (−1 for none) and whether it is a pool
    /// fused away.
    /// </summary>
    private static (int[] PooledBy, bool[] FusedAway) FusePools(PlanOp[] ops, ModelPlan plan, bool[] parallel)
    {
        var pooledBy = new int[ops.Length];
        var fusedAway = new bool[ops.Length];
        pooledBy.AsSpan().Fill(-1);
        for (int i = 0; i + 1 < ops.Length; i++)
        {
            var conv = ops[i];
            var pool = ops[i + 1];
            if (conv.Kind is not (OpKind.ConvU8S8ToU8 or OpKind.ConvSharedU8U4ToU8) || pool.Kind != OpKind.PoolU8 || pool.P[15] != 0)
            {
                continue;
            }

            var g = conv.Conv(1);
            var pg = pool.Pool(0);
            int convOut = conv.Outputs[0];
            bool shapes = Kernels.IsPool2x2Stride2(pg) && (long)pg.C == (long)conv.P[0] * g.M
                && pg.H == g.OH && pg.W == g.OW && pg.OH == g.OH / 2 && pg.OW == g.OW / 2;
            // The pool's output may reuse the convolution's input buffer only when the kernel has copied all of x before it
            // writes any output: one group, one sample, one thread, and a padded image.
            bool overwritesInput = pool.Outputs[0] == conv.Inputs[0]
                && !(g.Group == 1 && conv.P[0] == 1 && !parallel[i] && Kernels.ConvU8S8CopiesInputFirst(g));
            if (!shapes || pool.Inputs[0] != convOut || overwritesInput || !Kernels.ConvU8S8MaxPool2x2Fits(g)
                || !DeadAfter(ops, i + 2, convOut, plan))
            {
                continue;
            }

            pooledBy[i] = i + 1;
            fusedAway[i + 1] = true;
        }

        return (pooledBy, fusedAway);
    }

    /// <summary>Whether no op from <paramref name="from"/> on reads <paramref name="buffer"/> before one overwrites it, and it is not an output.</summary>
    private static bool DeadAfter(PlanOp[] ops, int from, int buffer, ModelPlan plan)
    {
        foreach (var (outputBuffer, _) in plan.Outputs)
        {
            if (outputBuffer == buffer)
            {
                return false;
            }
        }

        for (int j = from; j < ops.Length; j++)
        {
            if (ops[j].Inputs.Contains(buffer))
            {
                return false;
            }

            if (ops[j].Outputs.Contains(buffer))
            {
                return true;
            }
        }

        return true;
    }

    /// <summary>Per-op decoded parameters (broadcast strides, transpose and pad tables, packed convolution weights), built once.</summary>
    private object?[] Prepare(PlanOp[] ops)
    {
        var prepared = new object?[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            var p = op.P;
            prepared[i] = op.Kind switch
            {
                OpKind.BinaryF32 => new BroadcastOperands(BroadcastAt(p, 1)),
                OpKind.AddU8 => PrepareAdd(p),
                OpKind.MulU8 => new BroadcastOperands(BroadcastAt(p, 0)),
                OpKind.Transpose => new[] { p.AsSpan(1, p[0]).ToArray(), p.AsSpan(7, p[0]).ToArray() },
                OpKind.Pad => new[] { p.AsSpan(3, p[0]).ToArray(), p.AsSpan(9, 2 * p[0]).ToArray() },
                OpKind.ConvU8S8ToU8 or OpKind.ConvU8S8ToF32 => PackConvWeights(op),
                OpKind.ConvSharedU8U4ToU8 => DecodeSharedConvWeights(op, p[20]),
                OpKind.ConvSharedU8U4ToF32 => DecodeSharedConvWeights(op, p[19]),
                _ => null,
            };
        }

        return prepared;
    }

    /// <summary>The prepared layout of each u8 × s8 convolution (its tap offsets and blocking depend on the geometry alone).</summary>
    private static Kernels.ConvGemmLayout?[] PrepareConvLayouts(PlanOp[] ops)
    {
        var layouts = new Kernels.ConvGemmLayout?[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i].Kind is OpKind.ConvU8S8ToU8 or OpKind.ConvU8S8ToF32 or OpKind.ConvSharedU8U4ToU8 or OpKind.ConvSharedU8U4ToF32)
            {
                layouts[i] = Kernels.ConvGemmLayout.For(ops[i].Conv(1));
            }
        }

        return layouts;
    }

    /// <summary>The bytes a prepared object holds (arrays of packed weights and tables; small records of strides count as 0).</summary>
    private static long PreparedSize(object? prepared) => prepared switch
    {
        int[] packed => (long)packed.Length * sizeof(int),
        SharedConvWeights shared => shared.Weights.Length + ((long)shared.Packed.Length * sizeof(int)),
        _ => 0,
    };

    /// <summary>The micro-kernel layout of a u8 × s8 convolution's weights (packing once spares every run the rearrangement).</summary>
    private int[] PackConvWeights(PlanOp op)
    {
        var g = op.Conv(1);
        return Kernels.PackConvU8S8Weights(_plan.Data<sbyte>(op.D[0], g.M * g.PatchLength), g);
    }

    /// <summary>
    /// A quantized Add's broadcast and parameters, and whether it broadcasts at all: then it runs elementwise
    /// (<see cref="Kernels.AddU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, in AddU8Parameters, Span{byte})"/>, 16 codes at a
    /// time in AVX2), else through the broadcasting loop. Both give the same codes.
    /// </summary>
    private static AddOperands PrepareAdd(int[] p)
    {
        var operands = new BroadcastOperands(BroadcastAt(p, 0));
        int q = 19;
        var parameters = new AddU8Parameters(p[q], p[q + 1], p[q + 2], p[q + 3], (byte)p[q + 4], (byte)p[q + 5]);
        if (!parameters.IsValid)
        {
            throw new InvalidDataException($"A quantized Add has invalid parameters {parameters}.");
        }

        int length = operands.Shape.Length;
        bool elementwise = operands.LengthA == length && operands.LengthB == length && operands.Shape.StridesA.AsSpan().SequenceEqual(operands.Shape.StridesB);
        return new AddOperands(operands, elementwise, parameters);
    }

    /// <summary>A quantized Add's broadcast, whether it broadcasts nothing, and its parameters.</summary>
    private sealed record AddOperands(BroadcastOperands Operands, bool Elementwise, AddU8Parameters Parameters);

    /// <summary>
    /// A shared-weight convolution's int8 weights decoded from their 4-bit indices and codebooks, and packed for the
    /// micro-kernel, once per runner: every call then runs the plain u8 × s8 kernel, as fast as an unshared layer. The
    /// plan (and the assembly) keep the 4-bit form; in memory the layer takes what an int8 one does.
    /// </summary>
    private SharedConvWeights DecodeSharedConvWeights(PlanOp op, int codebookCount)
    {
        var g = op.Conv(1);
        var indices = _plan.Data<byte>(op.D[0], g.M * Kernels.PackedU4RowLength(g.PatchLength));
        var codebooks = _plan.Data<sbyte>(op.D[1], codebookCount * Kernels.SharedCodebookLength);
        var weights = new sbyte[g.M * g.PatchLength];
        Kernels.DecodeU4S8(indices, codebooks, g.M, g.PatchLength, weights);
        return new SharedConvWeights(weights, Kernels.PackConvU8S8Weights(weights, g));
    }

    private sealed record SharedConvWeights(sbyte[] Weights, int[] Packed);

    /// <summary>A broadcast and the element counts of its two operands (buffers may be larger when shared).</summary>
    private sealed record BroadcastOperands(BroadcastShape Shape, int LengthA, int LengthB)
    {
        public BroadcastOperands(BroadcastShape shape)
            : this(shape, Extent(shape.OutputDims, shape.StridesA), Extent(shape.OutputDims, shape.StridesB))
        {
        }

        private static int Extent(int[] dims, int[] strides)
        {
            int extent = 1;
            for (int d = 0; d < dims.Length; d++)
            {
                extent += (dims[d] - 1) * strides[d];
            }

            return dims.Any(x => x == 0) ? 0 : extent;
        }
    }

    private static BroadcastShape BroadcastAt(int[] p, int at)
    {
        int rank = p[at];
        return new BroadcastShape(p.AsSpan(at + 1, rank).ToArray(), p.AsSpan(at + 7, rank).ToArray(), p.AsSpan(at + 13, rank).ToArray());
    }

    private void Execute(int index)
    {
        var op = _ops[index];
        object? prepared = _prepared[index];
        var p = op.P;
        int i0 = op.Inputs.Length > 0 ? op.Inputs[0] : -1;
        int o0 = op.Outputs[0];
        switch (op.Kind)
        {
            case OpKind.QuantizeF32ToU8:
                Kernels.QuantizeF32ToU8(F(i0, p[0]), op.F(2), p[1], B(o0, p[0]));
                break;
            case OpKind.DequantizeU8ToF32:
                Kernels.DequantizeU8ToF32(B(i0, p[0]), op.F(2), p[1], F(o0, p[0]));
                break;
            case OpKind.DenseU8S8ToU8:
            {
                int rows = p[0], k = p[1], n = p[2];
                var w = _plan.Data<sbyte>(op.D[0], n * k);
                var bias = _plan.Data<int>(op.D[1], n);
                var mult = _plan.Data<int>(op.D[2], n);
                var shift = _plan.Data<int>(op.D[3], n);
                var acc = _accumulator.AsSpan(0, n);
                var x = B(i0, rows * k);
                var y = B(o0, rows * n);
                for (int r = 0; r < rows; r++)
                {
                    Kernels.GemvU8S8S32(x.Slice(r * k, k), w, bias, acc);
                    Kernels.RequantizeS32ToU8(acc, mult, shift, p[3], (byte)p[4], (byte)p[5], y.Slice(r * n, n));
                }

                break;
            }

            case OpKind.DenseU8S8ToF32:
            {
                int rows = p[0], k = p[1], n = p[2];
                var w = _plan.Data<sbyte>(op.D[0], n * k);
                var bias = _plan.Data<int>(op.D[1], n);
                var scale = _plan.Data<float>(op.D[2], n);
                var acc = _accumulator.AsSpan(0, n);
                var x = B(i0, rows * k);
                var y = F(o0, rows * n);
                for (int r = 0; r < rows; r++)
                {
                    var yr = y.Slice(r * n, n);
                    Kernels.GemvU8S8S32(x.Slice(r * k, k), w, bias, acc);
                    Kernels.DequantizeS32ToF32(acc, scale, yr);
                    Kernels.ClampF32(yr, op.F(3), op.F(4), yr);
                }

                break;
            }

            case OpKind.DenseF32:
            {
                int rows = p[0], k = p[1], n = p[2];
                var w = _plan.Data<float>(op.D[0], n * k);
                var bias = _plan.Data<float>(op.D[1], n);
                var x = F(i0, rows * k);
                var y = F(o0, rows * n);
                for (int r = 0; r < rows; r++)
                {
                    var yr = y.Slice(r * n, n);
                    Kernels.GemvF32(x.Slice(r * k, k), w, bias, Activation.None, yr);
                    Kernels.ClampF32(yr, op.F(3), op.F(4), yr);
                }

                break;
            }

            case OpKind.LookupU8:
                Kernels.LookupU8(B(i0, p[0]), _plan.Data<byte>(op.D[0], 256), B(o0, p[0]));
                break;
            case OpKind.ActivationF32:
                Kernels.ActivationF32(F(i0, p[0]), (Activation)p[1], op.F(2), op.F(3), F(o0, p[0]));
                break;
            case OpKind.SoftmaxF32:
            {
                int length = p[0] * p[1] * p[2];
                if (p[2] == 1)
                {
                    Kernels.SoftmaxF32(F(i0, length), p[1], p[3] != 0, F(o0, length));
                }
                else
                {
                    Kernels.SoftmaxAxisF32(F(i0, length), p[0], p[1], p[2], p[3] != 0, F(o0, length));
                }

                break;
            }

            case OpKind.Copy:
                if (IsFloat(i0))
                {
                    F(i0, p[0]).CopyTo(F(o0, p[0]));
                }
                else
                {
                    B(i0, p[0]).CopyTo(B(o0, p[0]));
                }

                break;
            case OpKind.ConvF32:
            {
                int batch = p[0];
                var g = op.Conv(1);
                var w = _plan.Data<float>(op.D[0], g.M * g.PatchLength);
                var bias = _plan.Data<float>(op.D[1], g.M);
                for (int b = 0; b < batch; b++)
                {
                    Kernels.ConvF32(F(i0, batch * g.InputLength).Slice(b * g.InputLength, g.InputLength), g, w, bias, op.F(16), op.F(17), _floatScratch, F(o0, batch * g.OutputLength).Slice(b * g.OutputLength, g.OutputLength));
                }

                break;
            }

            case OpKind.ConvU8S8ToU8:
            case OpKind.ConvSharedU8U4ToU8:
                ExecuteConvChannels(index, 0, op.Conv(1).M, _byteScratch, _accumulator);
                break;

            case OpKind.ConvU8S8ToF32:
            {
                int batch = p[0];
                var g = op.Conv(1);
                var w = _plan.Data<sbyte>(op.D[0], g.M * g.PatchLength);
                var bias = _plan.Data<int>(op.D[1], g.M);
                var scale = _plan.Data<float>(op.D[2], g.M);
                for (int b = 0; b < batch; b++)
                {
                    Kernels.ConvU8S8ToF32(B(i0, batch * g.InputLength).Slice(b * g.InputLength, g.InputLength), g, (byte)p[16], w, (int[])prepared!, bias, scale, op.F(17), op.F(18), _byteScratch, _accumulator, F(o0, batch * g.OutputLength).Slice(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512, _convLayouts[index]);
                }

                break;
            }

            case OpKind.PoolF32:
            {
                var g = op.Pool(0);
                if (p[15] == 0)
                {
                    Kernels.MaxPoolF32(F(i0, g.InputLength), g, F(o0, g.OutputLength));
                }
                else
                {
                    Kernels.AveragePoolF32(F(i0, g.InputLength), g, p[16] != 0, F(o0, g.OutputLength));
                }

                break;
            }

            case OpKind.PoolU8:
            {
                var g = op.Pool(0);
                if (p[15] == 0)
                {
                    Kernels.MaxPoolU8(B(i0, g.InputLength), g, B(o0, g.OutputLength));
                }
                else
                {
                    Kernels.AveragePoolU8(B(i0, g.InputLength), g, p[16] != 0, (byte)p[17], B(o0, g.OutputLength));
                }

                break;
            }

            case OpKind.GlobalPoolF32:
                if (p[2] == 0)
                {
                    Kernels.GlobalMaxPoolF32(F(i0, p[0] * p[1]), p[0], p[1], F(o0, p[0]));
                }
                else
                {
                    Kernels.GlobalAveragePoolF32(F(i0, p[0] * p[1]), p[0], p[1], F(o0, p[0]));
                }

                break;
            case OpKind.GlobalPoolU8:
                if (p[2] == 0)
                {
                    Kernels.MaxPoolU8(B(i0, p[0] * p[1]), new PoolGeometry(p[0], 1, p[1], 1, p[1], 1, 1, 0, 0, 0, 0, 1, 1, 1, 1), B(o0, p[0]));
                }
                else
                {
                    Kernels.GlobalAveragePoolU8(B(i0, p[0] * p[1]), p[0], p[1], B(o0, p[0]));
                }

                break;
            case OpKind.BinaryF32:
            {
                var (shape, lengthA, lengthB) = (BroadcastOperands)prepared!;
                Kernels.BinaryF32((BinaryOp)p[0], F(i0, lengthA), F(op.Inputs[1], lengthB), shape, F(o0, shape.Length));
                break;
            }

            case OpKind.AddU8:
            {
                var ((shape, lengthA, lengthB), elementwise, parameters) = (AddOperands)prepared!;
                if (elementwise)
                {
                    Kernels.AddU8(B(i0, lengthA), B(op.Inputs[1], lengthB), parameters, B(o0, shape.Length));
                }
                else
                {
                    Kernels.AddU8(B(i0, lengthA), B(op.Inputs[1], lengthB), shape, parameters, B(o0, shape.Length));
                }

                break;
            }

            case OpKind.MulU8:
            {
                var (shape, lengthA, lengthB) = (BroadcastOperands)prepared!;
                int q = 19;
                Kernels.MulU8(B(i0, lengthA), p[q], B(op.Inputs[1], lengthB), p[q + 1], shape, p[q + 2], p[q + 3], p[q + 4], (byte)p[q + 5], (byte)p[q + 6], B(o0, shape.Length));
                break;
            }

            case OpKind.ConcatF32:
            {
                int outer = p[0], yInner = p[1];
                var y = F(o0, outer * yInner);
                for (int i = 0; i < op.Inputs.Length; i++)
                {
                    int xInner = p[2 + 2 * i], offset = p[3 + 2 * i];
                    Kernels.CopyStrided(F(op.Inputs[i], outer * xInner), outer, xInner, y, yInner, offset);
                }

                break;
            }

            case OpKind.ConcatU8:
            {
                int outer = p[0], yInner = p[1];
                var y = B(o0, outer * yInner);
                for (int i = 0; i < op.Inputs.Length; i++)
                {
                    int at = 3 + 6 * i;
                    int xInner = p[at], offset = p[at + 1];
                    var x = B(op.Inputs[i], outer * xInner);
                    if (p[at + 5] != 0)
                    {
                        // Requantize into this input's slot of the byte scratch, then copy strided.
                        var tmp = _bytes[op.Outputs[1]].AsSpan(0, outer * xInner);
                        Kernels.RequantizeU8(x, p[at + 2], p[at + 3], p[at + 4], p[2], tmp);
                        x = tmp;
                    }

                    Kernels.CopyStridedU8(x, outer, xInner, y, yInner, offset);
                }

                break;
            }

            case OpKind.Transpose:
            {
                var tables = (int[][])prepared!;
                var dims = tables[0];
                var perm = tables[1];
                int length = dims.Aggregate(1, (a, d) => a * d);
                if (IsFloat(i0))
                {
                    Kernels.TransposeF32(F(i0, length), dims, perm, F(o0, length));
                }
                else
                {
                    Kernels.TransposeU8(B(i0, length), dims, perm, B(o0, length));
                }

                break;
            }

            case OpKind.Pad:
            {
                int rank = p[0];
                var tables = (int[][])prepared!;
                var dims = tables[0];
                var pads = tables[1];
                int inLength = dims.Aggregate(1, (a, d) => a * d);
                int outLength = 1;
                for (int d = 0; d < rank; d++)
                {
                    outLength *= dims[d] + pads[d] + pads[d + rank];
                }

                if (IsFloat(i0))
                {
                    Kernels.PadF32(F(i0, inLength), dims, pads, (PadMode)p[1], op.F(2), F(o0, outLength));
                }
                else
                {
                    Kernels.PadU8(B(i0, inLength), dims, pads, (PadMode)p[1], (byte)p[2], B(o0, outLength));
                }

                break;
            }

            case OpKind.LrnF32:
            {
                int batch = p[0], channels = p[1], spatial = p[2];
                int length = channels * spatial;
                for (int b = 0; b < batch; b++)
                {
                    Kernels.LrnF32(F(i0, batch * length).Slice(b * length, length), channels, spatial, p[3], op.F(4), op.F(5), op.F(6), F(o0, batch * length).Slice(b * length, length));
                }

                break;
            }

            case OpKind.ChannelAffineF32:
            {
                int batch = p[0], channels = p[1], spatial = p[2];
                int length = channels * spatial;
                var scale = _plan.Data<float>(op.D[0], channels);
                var shift = _plan.Data<float>(op.D[1], channels);
                for (int b = 0; b < batch; b++)
                {
                    Kernels.ChannelAffineF32(F(i0, batch * length).Slice(b * length, length), channels, spatial, scale, shift, F(o0, batch * length).Slice(b * length, length));
                }

                break;
            }

            case OpKind.MatMulF32:
            {
                int batch = p[0], m = p[1], k = p[2], n = p[3];
                bool ba = p[4] != 0, bb = p[5] != 0;
                Kernels.MatMulF32(F(i0, (ba ? 1 : batch) * m * k), F(op.Inputs[1], (bb ? 1 : batch) * k * n), batch, m, k, n, ba, bb, F(o0, batch * m * n));
                break;
            }

            case OpKind.DenseSharedU8U4ToU8:
            {
                int rows = p[0], k = p[1], n = p[2];
                var indices = _plan.Data<byte>(op.D[0], n * Kernels.PackedU4RowLength(k));
                var codebooks = _plan.Data<sbyte>(op.D[1], p[6] * Kernels.SharedCodebookLength);
                var bias = _plan.Data<int>(op.D[2], n);
                var mult = _plan.Data<int>(op.D[3], n);
                var shift = _plan.Data<int>(op.D[4], n);
                var acc = _accumulator.AsSpan(0, n);
                var x = B(i0, rows * k);
                var y = B(o0, rows * n);
                for (int r = 0; r < rows; r++)
                {
                    Kernels.SharedGemvU8U4S32(x.Slice(r * k, k), indices, codebooks, bias, acc);
                    Kernels.RequantizeS32ToU8(acc, mult, shift, p[3], (byte)p[4], (byte)p[5], y.Slice(r * n, n));
                }

                break;
            }

            case OpKind.DenseSharedU8U4ToF32:
            {
                int rows = p[0], k = p[1], n = p[2];
                var indices = _plan.Data<byte>(op.D[0], n * Kernels.PackedU4RowLength(k));
                var codebooks = _plan.Data<sbyte>(op.D[1], p[5] * Kernels.SharedCodebookLength);
                var bias = _plan.Data<int>(op.D[2], n);
                var scale = _plan.Data<float>(op.D[3], n);
                var acc = _accumulator.AsSpan(0, n);
                var x = B(i0, rows * k);
                var y = F(o0, rows * n);
                for (int r = 0; r < rows; r++)
                {
                    var yr = y.Slice(r * n, n);
                    Kernels.SharedGemvU8U4S32(x.Slice(r * k, k), indices, codebooks, bias, acc);
                    Kernels.DequantizeS32ToF32(acc, scale, yr);
                    Kernels.ClampF32(yr, op.F(3), op.F(4), yr);
                }

                break;
            }

            case OpKind.ConvSharedU8U4ToF32:
            {
                int batch = p[0];
                var g = op.Conv(1);
                var (weights, packed) = (SharedConvWeights)prepared!;
                var bias = _plan.Data<int>(op.D[2], g.M);
                var scale = _plan.Data<float>(op.D[3], g.M);
                for (int b = 0; b < batch; b++)
                {
                    Kernels.ConvU8S8ToF32(B(i0, batch * g.InputLength).Slice(b * g.InputLength, g.InputLength), g, (byte)p[16], weights, packed, bias, scale, op.F(17), op.F(18), _byteScratch, _accumulator, F(o0, batch * g.OutputLength).Slice(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512, _convLayouts[index]);
                }

                break;
            }

            case OpKind.Constant:
                break; // written once by the constructor
            default:
                throw new InvalidDataException($"Op kind {op.Kind} is not supported by this runtime.");
        }
    }

}
