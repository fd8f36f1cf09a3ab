namespace BuildOptim.Onnx.Ir;

public enum PoolKind
{
    Max,
    Average,
}

/// <summary>Max or average pooling over [C, H, W].</summary>
public sealed record PoolLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required int H { get; init; }

    public required int W { get; init; }

    public required int KH { get; init; }

    public required int KW { get; init; }

    public required int StrideH { get; init; }

    public required int StrideW { get; init; }

    public required int PadTop { get; init; }

    public required int PadLeft { get; init; }

    public required int PadBottom { get; init; }

    public required int PadRight { get; init; }

    public required int DilationH { get; init; }

    public required int DilationW { get; init; }

    public required int OH { get; init; }

    public required int OW { get; init; }

    public bool CountIncludePad { get; init; }
}

/// <summary>GlobalAveragePool / GlobalMaxPool over [C, spatial].</summary>
public sealed record GlobalPoolLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required int Spatial { get; init; }
}
