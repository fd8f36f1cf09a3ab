using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace BuildOptim.Runtime.Data;

/// <summary>Converts raw array bytes, in file byte order, to float32.</summary>
internal static class ElementConverter
{
    /// <summary>
    /// Converts the whole elements in <paramref name="raw"/> into <paramref name="destination"/>
    /// (one float per element). <paramref name="raw"/> is scratch: it is byte-swapped in place when
    /// <paramref name="swap"/> is set.
    /// </summary>
    public static void ToSingle(ElementKind kind, bool swap, Span<byte> raw, Span<float> destination)
    {
        switch (kind)
        {
            case ElementKind.Float32:
                MemoryMarshal.Cast<uint, float>(Swapped(MemoryMarshal.Cast<byte, uint>(raw), swap)).CopyTo(destination);
                break;
            case ElementKind.Float64:
                Widen(MemoryMarshal.Cast<ulong, double>(Swapped(MemoryMarshal.Cast<byte, ulong>(raw), swap)), destination);
                break;
            case ElementKind.Float16:
                Widen(MemoryMarshal.Cast<ushort, Half>(Swapped(MemoryMarshal.Cast<byte, ushort>(raw), swap)), destination);
                break;
            case ElementKind.Int8:
                Widen(MemoryMarshal.Cast<byte, sbyte>(raw), destination);
                break;
            case ElementKind.UInt8:
                Widen<byte>(raw, destination);
                break;
            case ElementKind.Bool:
                for (int i = 0; i < raw.Length; i++)
                {
                    destination[i] = raw[i] != 0 ? 1f : 0f;
                }
                break;
            case ElementKind.Int16:
                Widen(Swapped(MemoryMarshal.Cast<byte, short>(raw), swap), destination);
                break;
            case ElementKind.UInt16:
                Widen(Swapped(MemoryMarshal.Cast<byte, ushort>(raw), swap), destination);
                break;
            case ElementKind.Int32:
                Widen(Swapped(MemoryMarshal.Cast<byte, int>(raw), swap), destination);
                break;
            case ElementKind.UInt32:
                Widen(Swapped(MemoryMarshal.Cast<byte, uint>(raw), swap), destination);
                break;
            case ElementKind.Int64:
                Widen(Swapped(MemoryMarshal.Cast<byte, long>(raw), swap), destination);
                break;
            case ElementKind.UInt64:
                Widen(Swapped(MemoryMarshal.Cast<byte, ulong>(raw), swap), destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>Rounds to nearest float, as numpy's <c>astype(np.float32)</c> does.</summary>
    private static void Widen<T>(Span<T> source, Span<float> destination)
        where T : unmanaged, INumberBase<T>
    {
        destination = destination[..source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = float.CreateTruncating(source[i]);
        }
    }

    private static Span<short> Swapped(Span<short> values, bool swap)
    {
        if (swap)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }

    private static Span<ushort> Swapped(Span<ushort> values, bool swap)
    {
        if (swap)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }

    private static Span<int> Swapped(Span<int> values, bool swap)
    {
        if (swap)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }

    private static Span<uint> Swapped(Span<uint> values, bool swap)
    {
        if (swap)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }

    private static Span<long> Swapped(Span<long> values, bool swap)
    {
        if (swap)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }

    private static Span<ulong> Swapped(Span<ulong> values, bool swap)
    {
        if (swap)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }
        return values;
    }
}
