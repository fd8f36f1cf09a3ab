using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Writes the ONNX nodes (opset 13) of one layer type into a QDQ graph.</summary>
internal interface ILayerExporter
{
    void Write(Layer layer, QdqGraphWriter writer);
}

/// <summary>An exporter of <typeparamref name="TLayer"/>.</summary>
internal abstract class LayerExporter<TLayer> : ILayerExporter
    where TLayer : Layer
{
    public void Write(Layer layer, QdqGraphWriter writer) => Write((TLayer)layer, writer);

    protected abstract void Write(TLayer layer, QdqGraphWriter writer);
}

/// <summary>The layer-type registry of the QDQ export: exporting a new layer is one exporter class and one line here.</summary>
internal static class LayerExporters
{
    private static readonly Dictionary<Type, ILayerExporter> s_exporters = new()
    {
        [typeof(ConstantLayer)] = new ConstantExporter(),
        [typeof(DenseLayer)] = new DenseExporter(),
        [typeof(ConvLayer)] = new ConvExporter(),
        [typeof(PoolLayer)] = new PoolExporter(),
        [typeof(GlobalPoolLayer)] = new GlobalPoolExporter(),
        [typeof(ActivationLayer)] = new ActivationExporter(),
        [typeof(BinaryLayer)] = new BinaryExporter(),
        [typeof(ConcatLayer)] = new ConcatExporter(),
        [typeof(TransposeLayer)] = new TransposeExporter(),
        [typeof(ReshapeLayer)] = new ReshapeExporter(),
        [typeof(PadLayer)] = new PadExporter(),
        [typeof(SoftmaxLayer)] = new SoftmaxExporter(),
        [typeof(LrnLayer)] = new LrnExporter(),
        [typeof(ChannelAffineLayer)] = new ChannelAffineExporter(),
        [typeof(MatMulLayer)] = new MatMulExporter(),
        [typeof(CastLayer)] = new CastExporter(),
        [typeof(BinaryMathLayer)] = new BinaryMathExporter(),
        [typeof(ReduceLayer)] = new ReduceExporter(),
        [typeof(LayerNormLayer)] = new LayerNormExporter(),
        [typeof(ConvTransposeLayer)] = new ConvTransposeExporter(),
        [typeof(ResizeLayer)] = new ResizeExporter(),
        [typeof(CompareLayer)] = new CompareExporter(),
        [typeof(WhereLayer)] = new WhereExporter(),
        [typeof(GatherLayer)] = new GatherExporter(),
        [typeof(SliceLayer)] = new SliceExporter(),
        [typeof(ExpandLayer)] = new ExpandExporter(),
        [typeof(TileLayer)] = new TileExporter(),
    };

    public static ILayerExporter For(Layer layer)
        => s_exporters.TryGetValue(layer.GetType(), out var exporter)
            ? exporter
            : throw new NotSupportedException($"Layer '{layer.Name}' ({layer.GetType().Name}) has no ONNX export.");
}
