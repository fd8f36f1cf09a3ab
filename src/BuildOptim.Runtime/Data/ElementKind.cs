namespace BuildOptim.Runtime.Data;

/// <summary>The element type an array had on disk, before it was converted to <see cref="float"/>.</summary>
/// <remarks>Names follow .NET; the numpy dtype codes are <c>f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1 f2</c>.</remarks>
public enum ElementKind
{
    Float32,
    Float64,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Bool,
    Float16,
}

internal static class ElementKinds
{
    public static int SizeOf(ElementKind kind) => kind switch
    {
        ElementKind.Int8 or ElementKind.UInt8 or ElementKind.Bool => 1,
        ElementKind.Int16 or ElementKind.UInt16 or ElementKind.Float16 => 2,
        ElementKind.Int32 or ElementKind.UInt32 or ElementKind.Float32 => 4,
        ElementKind.Int64 or ElementKind.UInt64 or ElementKind.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool IsFloatingPoint(ElementKind kind) =>
        kind is ElementKind.Float16 or ElementKind.Float32 or ElementKind.Float64;

    /// <summary>The numpy name, for messages a Python user recognises.</summary>
    public static string NumpyName(ElementKind kind) => kind switch
    {
        ElementKind.Float16 => "float16",
        ElementKind.Float32 => "float32",
        ElementKind.Float64 => "float64",
        ElementKind.Int8 => "int8",
        ElementKind.UInt8 => "uint8",
        ElementKind.Int16 => "int16",
        ElementKind.UInt16 => "uint16",
        ElementKind.Int32 => "int32",
        ElementKind.UInt32 => "uint32",
        ElementKind.Int64 => "int64",
        ElementKind.UInt64 => "uint64",
        ElementKind.Bool => "bool",
        _ => kind.ToString(),
    };
}
