namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Concat's block copy: <c>y[o·yInner + yOffset + i] = x[o·xInner + i]</c> for o in [0, outer), i in [0, xInner).
    /// For Concat along an axis, outer = Π dims before the axis, xInner = this input's dim · Π dims after, yInner the
    /// output's, and yOffset the sum of the earlier inputs' xInner.
    /// </summary>
    internal static void CopyStrided(ReadOnlySpan<float> x, int outer, int xInner, Span<float> y, int yInner, int yOffset)
        => CopyStrided<float>(x, outer, xInner, y, yInner, yOffset);

    /// <summary><see cref="CopyStrided(ReadOnlySpan{float}, int, int, Span{float}, int, int)"/> on codes.</summary>
    internal static void CopyStridedU8(ReadOnlySpan<byte> x, int outer, int xInner, Span<byte> y, int yInner, int yOffset)
        => CopyStrided<byte>(x, outer, xInner, y, yInner, yOffset);

    private static void CopyStrided<T>(ReadOnlySpan<T> x, int outer, int xInner, Span<T> y, int yInner, int yOffset)
    {
        if (outer < 0 || xInner < 0 || yOffset < 0 || yOffset + (long)xInner > yInner
            || x.Length != (long)outer * xInner || y.Length != (long)outer * yInner)
        {
            ThrowShape($"Cannot copy {outer} blocks of {xInner} ({x.Length} elements) at offset {yOffset} of blocks of {yInner} ({y.Length} elements).");
        }

        for (int o = 0; o < outer; o++)
        {
            x.Slice(o * xInner, xInner).CopyTo(y.Slice((o * yInner) + yOffset, xInner));
        }
    }
}
