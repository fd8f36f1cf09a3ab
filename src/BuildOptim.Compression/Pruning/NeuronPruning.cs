using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Pruning;

/// <summary>What structured pruning did to one Dense or Conv layer.</summary>
/// <param name="Name">The layer's name.</param>
/// <param name="Kind"><c>Dense</c>, <c>Conv</c> or <c>DepthwiseConv</c> (grouped convolutions included).</param>
/// <param name="Before">Neurons (Dense outputs) or output channels (Conv) before pruning.</param>
/// <param name="After">The same after pruning (equal to <paramref name="Before"/> when untouched).</param>
/// <param name="Consumer">The layer that reads these outputs and was updated (null when the layer is constrained).</param>
/// <param name="Refit">True when the consumer's weights were refit by least squares on the calibration set.</param>
/// <param name="Constraint">Why the layer could not be pruned; null when it was prunable.</param>
public sealed record NeuronPruningLayer(string Name, string Kind, int Before, int After, string? Consumer, bool Refit, string? Constraint)
{
    public bool Pruned => After < Before;
}

/// <summary>The pruned network and a per-layer summary (every Dense and Conv layer, in network order).</summary>
public sealed record NeuronPruningResult(Network Network, IReadOnlyList<NeuronPruningLayer> Layers)
{
    public int RemovedUnits => Layers.Sum(l => l.Before - l.After);
}

/// <summary>
/// Structured pruning (<c>Prune="Neurons"</c>): removes whole neurons of Dense layers and whole output
/// channels of Conv layers, updates the layer that reads them, and refits that layer by least squares
/// on the calibration set so its pre-activation output is reconstructed as closely as possible.
/// </summary>
/// <remarks>
/// <para><b>Which layers are pruned.</b> A <see cref="DenseLayer"/>, or a <see cref="ConvLayer"/> with
/// <c>Group = 1</c> (a grouped or depthwise conv ties its output channels to its input channels and is
/// never pruned), is prunable when its output reaches exactly one consumer, a <see cref="DenseLayer"/> or a
/// <c>Group = 1</c> <see cref="ConvLayer"/>, through zero or more per-channel layers, each the single
/// reader of its input and none a graph output:</para>
/// <list type="bullet">
/// <item><see cref="ActivationLayer"/> (elementwise);</item>
/// <item><see cref="PoolLayer"/> (max/average) and <see cref="GlobalPoolLayer"/> over [1, C, …] (channel-preserving);</item>
/// <item><see cref="ChannelAffineLayer"/> (unfolded BatchNormalization: its Scale/Shift entries are dropped too);</item>
/// <item><see cref="ReshapeLayer"/> from [1, C, spatial…] to [1, C·S] (Flatten: the next Dense's K columns
/// come in groups of S per channel, all removed together) or to [1, C, spatial′…] with the same S.</item>
/// </list>
/// <para>A Dense consumer must read the channels on its K axis (a Dense after a Conv needs the Flatten);
/// a Conv consumer must read them on axis 1. Anything else constrains the channel set and the producer is
/// left alone (its <see cref="NeuronPruningLayer.Constraint"/> says why): a value read by several layers
/// (e.g. the input of a residual block), a graph output, a residual <see cref="BinaryLayer"/> add, a
/// <see cref="ConcatLayer"/>, a depthwise/grouped conv, <see cref="SoftmaxLayer"/>, LRN, transposes, pads.</para>
/// <para><b>How many and which.</b> In each prunable layer, <c>floor(sparsity · units)</c> units are removed
/// (at least one is kept). Unit j's score is
/// <c>mean |a_j| × ||W_next[:, j]||₂</c>: <c>a_j</c> is the producer's output after its fused activation,
/// averaged over calibration samples and spatial positions (fp32 plan, the Runtime's own kernels);
/// <c>W_next[:, j]</c> are all the consumer weights that read unit j (for a Conv consumer every output channel
/// and kernel tap; after a Flatten, the S columns of the channel). The lowest scores are removed; ties go to
/// the lower index, so the result is deterministic.</para>
/// <para><b>Refit.</b> The consumer's new weights solve, per output,
/// <c>min ||X_kept·W′ᵀ + b′ − (X_full·Wᵀ + b)||² + λ||W′||²</c> in double precision (Cholesky on the centred
/// normal equations, intercept not penalized, <c>λ = 1e-3 · trace(Cov) / n</c>). <c>X_full·Wᵀ + b</c> is the
/// consumer's pre-activation output in the <i>original</i> network and <c>X_kept</c> its remaining inputs in
/// the network as pruned so far, so a later refit also compensates the error of earlier ones. Rows are the
/// consumer's input rows (Dense) or every output position of the convolution (im2col patches, any kernel,
/// stride, padding and dilation). The refit is skipped (the inputs are only dropped) when the consumer has more
/// than <see cref="MaxRefitFeatures"/> remaining inputs per output; very large row counts are subsampled
/// deterministically (every k-th row).</para>
/// <para>Layers are visited in network (topological) order; each producer is pruned once, on the network
/// as pruned so far. Value ids are preserved: the values between a producer and its consumer get new
/// <see cref="NetworkValue"/> entries with the reduced channel dim, and the result compiles with
/// <see cref="PlanCompiler"/> in fp32 and int8.</para>
/// </remarks>
public static class NeuronPruning
{
    /// <summary>Consumers with more remaining inputs per output than this are not refit (the solve is O(n³)).</summary>
    public const int MaxRefitFeatures = 2048;

    /// <summary>Consumer inputs (original + current network, all samples) kept in memory up to this many floats; beyond it the refit re-runs both networks.</summary>
    private const long MaxCachedFloats = 32L << 20;

    /// <summary>Work budget for accumulating one refit's normal equations (multiply-adds); rows beyond it are subsampled.</summary>
    private const double RefitBudget = 4e9;

    public static NeuronPruningResult Apply(Network network, NdArray calibration, double sparsity)
        => Apply(network, calibration, sparsity, refit: true);

    internal static NeuronPruningResult Apply(Network network, NdArray calibration, double sparsity, bool refit)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(calibration);
        if (double.IsNaN(sparsity) || sparsity < 0 || sparsity >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "Sparsity must be in [0, 1).");
        }

        CheckCalibration(network, calibration);
        var current = network;
        var summaries = new List<NeuronPruningLayer>();
        ValueProbe? originalProbe = null;
        for (int index = 0; index < network.Layers.Count; index++)
        {
            var layer = current.Layers[index];
            if (layer is not (DenseLayer or ConvLayer))
            {
                continue;
            }

            int units = Units(layer);
            var (chain, constraint) = Analyze(current, index);
            if (chain is null)
            {
                summaries.Add(new NeuronPruningLayer(layer.Name, KindOf(layer), units, units, null, false, constraint));
                continue;
            }

            var consumer = current.Layers[chain.ConsumerIndex];
            int remove = Math.Min((int)Math.Floor(units * sparsity), units - 1);
            if (remove <= 0)
            {
                summaries.Add(new NeuronPruningLayer(layer.Name, KindOf(layer), units, units, consumer.Name, false, null));
                continue;
            }

            var probe = new ValueProbe(current);
            bool refitThis = refit && (long)(units - remove) * chain.ColumnGroup <= MaxRefitFeatures;
            int inputId = consumer.Inputs[0];
            int inputLength = current.Value(inputId).Length;
            bool cache = refitThis && 2L * calibration.SampleCount * inputLength <= MaxCachedFloats;
            float[][]? cachedOriginal = cache ? new float[calibration.SampleCount][] : null;
            float[][]? cachedCurrent = cache ? new float[calibration.SampleCount][] : null;
            if (refitThis)
            {
                originalProbe ??= new ValueProbe(network);
            }

            // One pass scores the units and, when they fit in memory, keeps the consumer's inputs
            // (original and current network) for the refit.
            var kept = SelectKept(chain, probe, calibration, current, remove, s =>
            {
                if (cache)
                {
                    cachedCurrent![s] = probe.Value(inputId).ToArray();
                    originalProbe!.Run(calibration.Sample(s));
                    cachedOriginal![s] = originalProbe.Value(inputId).ToArray();
                }
            });
            var keptColumns = KeptColumns(kept, chain.ColumnGroup);

            (float[] Weights, float[] Bias)? refitted = null;
            if (refitThis)
            {
                var bufferOriginal = new float[inputLength];
                var bufferCurrent = new float[inputLength];
                (float[] Original, float[] Current) Inputs(int s)
                {
                    if (cache)
                    {
                        return (cachedOriginal![s], cachedCurrent![s]);
                    }

                    originalProbe!.Run(calibration.Sample(s));
                    originalProbe.Value(inputId).CopyTo(bufferOriginal);
                    probe.Run(calibration.Sample(s));
                    probe.Value(inputId).CopyTo(bufferCurrent);
                    return (bufferOriginal, bufferCurrent);
                }

                refitted = Refit(network.Layers[chain.ConsumerIndex], consumer, calibration.SampleCount, inputLength, Inputs, keptColumns);
            }

            current = Rewrite(current, chain, kept, keptColumns, refitted);
            summaries.Add(new NeuronPruningLayer(layer.Name, KindOf(layer), units, kept.Length, consumer.Name, refitted is not null, null));
        }

        return new NeuronPruningResult(current, summaries);
    }

    /// <summary>Throws unless <paramref name="calibration"/> holds at least one sample of the network's input length.</summary>
    internal static void CheckCalibration(Network network, NdArray calibration)
    {
        if (calibration.SampleCount == 0 || calibration.SampleLength != network.InputLength)
        {
            throw new ArgumentException($"Calibration samples must be non-empty with {network.InputLength} values each (got {calibration.SampleCount} × {calibration.SampleLength}).", nameof(calibration));
        }
    }

    internal enum Layout
    {
        /// <summary>Channels on the last dim (a Dense output with rows).</summary>
        Last,

        /// <summary>[1, C, spatial…]: each channel contiguous, S = product of spatial dims.</summary>
        Axis1,

        /// <summary>[1, C·S] after a Flatten: channel c occupies [c·S, (c+1)·S).</summary>
        Flat,
    }

    internal sealed record Chain(int ProducerIndex, int Channels, Layout ProducerLayout, List<(int Index, Layout Output)> Between, int ConsumerIndex, int ColumnGroup);

    internal static int Units(Layer layer) => layer switch
    {
        DenseLayer d => d.N,
        ConvLayer c => c.M,
        _ => 0,
    };

    internal static string KindOf(Layer layer) => layer switch
    {
        DenseLayer => "Dense",
        ConvLayer { Group: > 1 } => "DepthwiseConv",
        _ => "Conv",
    };

    private static int Product(ReadOnlySpan<int> dims)
    {
        int p = 1;
        foreach (int d in dims)
        {
            p *= d;
        }

        return p;
    }

    /// <summary>Finds the consumer of the producer at <paramref name="producerIndex"/>, or says why there is none that can be updated.</summary>
    internal static (Chain? Chain, string? Constraint) Analyze(Network network, int producerIndex)
    {
        var producer = network.Layers[producerIndex];
        int channels;
        Layout layout;
        var outShape = network.Value(producer.Output).Shape;
        switch (producer)
        {
            case DenseLayer d:
                if (outShape.Length == 0 || outShape[^1] != d.N)
                {
                    return (null, "output shape does not end with its neurons");
                }

                channels = d.N;
                layout = outShape.Length == 2 && outShape[0] == 1 ? Layout.Axis1 : Layout.Last;
                break;
            case ConvLayer c:
                if (c.Group != 1)
                {
                    return (null, "grouped/depthwise convolution: its output channels are tied to its input channels");
                }

                if (outShape.Length < 3 || outShape[0] != 1 || outShape[1] != c.M)
                {
                    return (null, "output is not [1, M, spatial…]");
                }

                channels = c.M;
                layout = Layout.Axis1;
                break;
            default:
                return (null, "not a Dense or Conv layer");
        }

        var readers = new Dictionary<int, List<int>>();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            foreach (int input in network.Layers[i].Inputs.Distinct())
            {
                if (!readers.TryGetValue(input, out var list))
                {
                    readers[input] = list = [];
                }

                list.Add(i);
            }
        }

        var counts = network.ConsumerCounts();
        var producerLayout = layout;
        var between = new List<(int, Layout)>();
        int value = producer.Output;
        while (true)
        {
            string valueName = network.Value(value).Name;
            if (network.Outputs.Contains(value))
            {
                return (null, $"'{valueName}' is a graph output");
            }

            if (counts[value] != 1 || !readers.TryGetValue(value, out var list) || list.Count != 1)
            {
                return (null, $"'{valueName}' is read by {counts[value]} layers (e.g. a residual branch)");
            }

            int readerIndex = list[0];
            var reader = network.Layers[readerIndex];
            var shape = network.Value(value).Shape;
            int spatial = layout switch
            {
                Layout.Axis1 => Product(shape.AsSpan(2)),
                Layout.Flat => shape[1] / channels,
                _ => 1,
            };
            switch (reader)
            {
                case DenseLayer dense:
                    if ((layout == Layout.Last && dense.K == channels) || (layout == Layout.Axis1 && shape.Length == 2 && dense.K == channels))
                    {
                        return (new Chain(producerIndex, channels, producerLayout, between, readerIndex, 1), null);
                    }

                    if (layout == Layout.Flat && dense.K == shape[1])
                    {
                        return (new Chain(producerIndex, channels, producerLayout, between, readerIndex, spatial), null);
                    }

                    return (null, $"Dense '{reader.Name}' does not read the channels on its input axis");
                case ConvLayer conv:
                    if (conv.Group != 1)
                    {
                        return (null, $"read by grouped/depthwise convolution '{reader.Name}'");
                    }

                    if (layout == Layout.Axis1 && shape.Length >= 3 && conv.C == channels && conv.Inputs[0] == value)
                    {
                        return (new Chain(producerIndex, channels, producerLayout, between, readerIndex, conv.KH * conv.KW), null);
                    }

                    return (null, $"Conv '{reader.Name}' does not read the channels on axis 1");
                case ActivationLayer:
                    between.Add((readerIndex, layout));
                    break;
                case PoolLayer pool when layout == Layout.Axis1 && pool.C == channels:
                    between.Add((readerIndex, layout));
                    break;
                case GlobalPoolLayer global when layout == Layout.Axis1 && global.C == channels:
                    between.Add((readerIndex, layout));
                    break;
                case ChannelAffineLayer affine when layout == Layout.Axis1 && shape.Length >= 2 && affine.Scale.Length == channels && affine.Shift.Length == channels:
                    between.Add((readerIndex, layout));
                    break;
                case ReshapeLayer when layout is Layout.Axis1 or Layout.Flat:
                    var reshaped = network.Value(reader.Output).Shape;
                    if (reshaped.Length == 2 && reshaped[0] == 1 && reshaped[1] == channels * spatial)
                    {
                        layout = Layout.Flat;
                    }
                    else if (layout == Layout.Axis1 && reshaped.Length >= 2 && reshaped[0] == 1 && reshaped[1] == channels && Product(reshaped.AsSpan(2)) == spatial)
                    {
                        layout = Layout.Axis1;
                    }
                    else
                    {
                        return (null, $"Reshape '{reader.Name}' to [{string.Join(", ", reshaped)}] moves channels");
                    }

                    between.Add((readerIndex, layout));
                    break;
                default:
                    return (null, $"read by {reader.GetType().Name.Replace("Layer", "")} '{reader.Name}', which ties or mixes channels (residual add, concat, softmax, …)");
            }

            value = reader.Output;
        }
    }

    /// <summary>Scores every unit and returns the kept ones in ascending order.</summary>
    private static int[] SelectKept(Chain chain, ValueProbe probe, NdArray calibration, Network network, int remove, Action<int> afterRun)
    {
        var producer = network.Layers[chain.ProducerIndex];
        int channels = chain.Channels;
        int length = network.Value(producer.Output).Length;
        int perChannel = length / channels;
        var sums = new double[channels];
        for (int s = 0; s < calibration.SampleCount; s++)
        {
            probe.Run(calibration.Sample(s));
            afterRun(s);
            var a = probe.Value(producer.Output);
            if (chain.ProducerLayout == Layout.Last)
            {
                for (int i = 0; i < a.Length; i++)
                {
                    sums[i % channels] += Math.Abs(a[i]);
                }
            }
            else
            {
                for (int c = 0; c < channels; c++)
                {
                    double sum = 0;
                    foreach (float v in a.Slice(c * perChannel, perChannel))
                    {
                        sum += Math.Abs(v);
                    }

                    sums[c] += sum;
                }
            }
        }

        var (weights, rows, rowLength) = ConsumerWeights(network.Layers[chain.ConsumerIndex]);
        var norms = new double[channels];
        for (int r = 0; r < rows; r++)
        {
            var row = weights.AsSpan(r * rowLength, rowLength);
            for (int col = 0; col < rowLength; col++)
            {
                norms[col / chain.ColumnGroup] += (double)row[col] * row[col];
            }
        }

        double positions = (double)calibration.SampleCount * perChannel;
        var scores = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            scores[c] = sums[c] / positions * Math.Sqrt(norms[c]);
        }

        var order = Enumerable.Range(0, channels).ToArray();
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
        var kept = order.Skip(remove).ToArray();
        Array.Sort(kept);
        return kept;
    }

    internal static (float[] Weights, int Rows, int RowLength) ConsumerWeights(Layer consumer) => consumer switch
    {
        DenseLayer d => (d.Weights, d.N, d.K),
        ConvLayer c => (c.Weights, c.M, c.Weights.Length / c.M),
        _ => throw new InvalidOperationException(),
    };

    internal static int[] KeptColumns(int[] kept, int group)
    {
        var columns = new int[kept.Length * group];
        for (int i = 0; i < kept.Length; i++)
        {
            for (int u = 0; u < group; u++)
            {
                columns[i * group + u] = kept[i] * group + u;
            }
        }

        return columns;
    }

    /// <summary>
    /// Least-squares refit of the consumer: its kept inputs in the current network must reproduce the
    /// pre-activation output of the original consumer on the original network's inputs. Null when skipped.
    /// </summary>
    private static (float[] Weights, float[] Bias)? Refit(Layer original, Layer consumer, int samples, int inputLength, Func<int, (float[] Original, float[] Current)> inputs, int[] keptColumns)
    {
        int n = keptColumns.Length;
        if (n > MaxRefitFeatures)
        {
            return null;
        }

        var (origWeights, m, fullColumns) = ConsumerWeights(original);
        var (_, curRows, curRowLength) = ConsumerWeights(consumer);
        if (curRows != m || curRowLength != fullColumns || original.GetType() != consumer.GetType())
        {
            return null; // the consumer changed shape since the original network (not expected)
        }

        var origBias = original switch
        {
            DenseLayer d => d.Bias,
            ConvLayer c => c.Bias,
            _ => throw new InvalidOperationException(),
        };
        var system = new NormalEquations(n, m);
        var full = new double[fullColumns];
        var keep = new double[n];
        var target = new double[m];
        var keepPatch = new double[fullColumns];

        int rowsPerSample = consumer switch
        {
            DenseLayer d => inputLength / d.K,
            ConvLayer c => inputLength / (c.C * c.H * c.W) * c.OH * c.OW,
            _ => 0,
        };
        double rowCost = (double)n * n / 2 + (double)n * m + (double)fullColumns * m + 1;
        long totalRows = (long)samples * rowsPerSample;
        long step = Math.Max(1, (long)Math.Ceiling(totalRows * rowCost / RefitBudget));
        long rowIndex = 0;

        for (int s = 0; s < samples; s++)
        {
            long firstUsed = (rowIndex + step - 1) / step * step;
            if (firstUsed >= rowIndex + rowsPerSample)
            {
                rowIndex += rowsPerSample; // subsampling uses no row of this sample: do not run it
                continue;
            }

            var (xo, xc) = inputs(s);
            for (int r = 0; r < rowsPerSample; r++, rowIndex++)
            {
                if (rowIndex % step != 0)
                {
                    continue;
                }

                switch (consumer)
                {
                    case DenseLayer d:
                        for (int k = 0; k < d.K; k++)
                        {
                            full[k] = xo[r * d.K + k];
                            keepPatch[k] = xc[r * d.K + k];
                        }

                        break;
                    case ConvLayer c:
                        Patch(c, xo, r, full);
                        Patch(c, xc, r, keepPatch);
                        break;
                }

                for (int i = 0; i < n; i++)
                {
                    keep[i] = keepPatch[keptColumns[i]];
                }

                for (int o = 0; o < m; o++)
                {
                    double t = origBias[o];
                    var w = origWeights.AsSpan(o * fullColumns, fullColumns);
                    for (int k = 0; k < fullColumns; k++)
                    {
                        t += w[k] * full[k];
                    }

                    target[o] = t;
                }

                system.Add(keep, target);
            }
        }

        var (weights, bias) = system.Solve();
        return (weights.Select(v => (float)v).ToArray(), bias.Select(v => (float)v).ToArray());
    }

    /// <summary>The im2col patch of output position <paramref name="row"/> (image-major), columns ordered [C, KH, KW].</summary>
    private static void Patch(ConvLayer c, ReadOnlySpan<float> x, int row, double[] patch)
    {
        int positions = c.OH * c.OW;
        int image = row / positions, p = row % positions;
        int oh = p / c.OW, ow = p % c.OW;
        int imageLength = c.C * c.H * c.W;
        var input = x.Slice(image * imageLength, imageLength);
        int col = 0;
        for (int ch = 0; ch < c.C; ch++)
        {
            for (int kh = 0; kh < c.KH; kh++)
            {
                int ih = oh * c.StrideH - c.PadTop + kh * c.DilationH;
                for (int kw = 0; kw < c.KW; kw++, col++)
                {
                    int iw = ow * c.StrideW - c.PadLeft + kw * c.DilationW;
                    patch[col] = ih >= 0 && ih < c.H && iw >= 0 && iw < c.W ? input[(ch * c.H + ih) * c.W + iw] : 0;
                }
            }
        }
    }

    internal static Network Rewrite(Network network, Chain chain, int[] kept, int[] keptColumns, (float[] Weights, float[] Bias)? refitted)
    {
        var values = new List<NetworkValue>(network.Values);
        var layers = new List<Layer>(network.Layers);
        int channels = chain.Channels, after = kept.Length;

        void Resize(int id, Layout layout)
        {
            var v = values[id];
            var shape = (int[])v.Shape.Clone();
            switch (layout)
            {
                case Layout.Last:
                    shape[^1] = after;
                    break;
                case Layout.Axis1:
                    shape[1] = after;
                    break;
                case Layout.Flat:
                    shape[1] = shape[1] / channels * after;
                    break;
            }

            values[id] = v with { Shape = shape };
        }

        var producer = layers[chain.ProducerIndex];
        layers[chain.ProducerIndex] = producer switch
        {
            DenseLayer d => d with { N = after, Weights = SelectRows(d.Weights, d.K, kept), Bias = kept.Select(i => d.Bias[i]).ToArray() },
            ConvLayer c => c with { M = after, Weights = SelectRows(c.Weights, c.Weights.Length / c.M, kept), Bias = kept.Select(i => c.Bias[i]).ToArray() },
            _ => throw new InvalidOperationException(),
        };
        Resize(producer.Output, chain.ProducerLayout);

        foreach (var (index, layout) in chain.Between)
        {
            var layer = layers[index];
            layers[index] = layer switch
            {
                PoolLayer p => p with { C = after },
                GlobalPoolLayer g => g with { C = after },
                ChannelAffineLayer a => a with { Scale = kept.Select(i => a.Scale[i]).ToArray(), Shift = kept.Select(i => a.Shift[i]).ToArray() },
                _ => layer,
            };
            Resize(layer.Output, layout);
        }

        var consumer = layers[chain.ConsumerIndex];
        layers[chain.ConsumerIndex] = consumer switch
        {
            DenseLayer d => d with
            {
                K = keptColumns.Length,
                Weights = refitted?.Weights ?? SelectColumns(d.Weights, d.N, d.K, keptColumns),
                Bias = refitted?.Bias ?? d.Bias,
            },
            ConvLayer c => c with
            {
                C = after,
                Weights = refitted?.Weights ?? SelectColumns(c.Weights, c.M, c.Weights.Length / c.M, keptColumns),
                Bias = refitted?.Bias ?? c.Bias,
            },
            _ => throw new InvalidOperationException(),
        };

        return new Network
        {
            SourcePath = network.SourcePath,
            Values = values,
            Layers = layers,
            Inputs = network.Inputs,
            Outputs = network.Outputs,
            DynamicBatch = network.DynamicBatch,
        };
    }

    private static float[] SelectRows(float[] weights, int rowLength, int[] rows)
    {
        var result = new float[rows.Length * rowLength];
        for (int i = 0; i < rows.Length; i++)
        {
            weights.AsSpan(rows[i] * rowLength, rowLength).CopyTo(result.AsSpan(i * rowLength, rowLength));
        }

        return result;
    }

    internal static float[] SelectColumns(float[] weights, int rows, int rowLength, int[] columns)
    {
        var result = new float[rows * columns.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < columns.Length; i++)
            {
                result[r * columns.Length + i] = weights[r * rowLength + columns[i]];
            }
        }

        return result;
    }
}
