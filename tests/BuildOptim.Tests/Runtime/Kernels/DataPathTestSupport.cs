namespace BuildOptim.Tests.Runtime.Kernels;

/// <summary>Reference index arithmetic for the data-path kernel tests (comparisons, Where, Gather, strided copies).</summary>
internal static class DataPathTestSupport
{
    public static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);

    /// <summary>
    /// numpy broadcasting of any number of operands by index arithmetic (an operand dim of 1 always reads index 0):
    /// <paramref name="element"/> gets each operand's flat index for every output element in order.
    /// </summary>
    public static T[] Broadcast<T>(int[][] operands, Func<int[], T> element)
    {
        int rank = operands.Max(d => d.Length);
        var padded = operands.Select(d => Enumerable.Repeat(1, rank - d.Length).Concat(d).ToArray()).ToArray();
        var dims = Enumerable.Range(0, rank).Select(k => padded.Select(p => p[k]).FirstOrDefault(d => d != 1, 1)).ToArray();
        var y = new T[Count(dims)];
        var index = new int[rank];
        var flat = new int[operands.Length];
        for (int at = 0; at < y.Length; at++)
        {
            int rest = at;
            for (int k = rank - 1; k >= 0; k--)
            {
                index[k] = rest % dims[k];
                rest /= dims[k];
            }

            for (int o = 0; o < operands.Length; o++)
            {
                flat[o] = 0;
                for (int k = 0; k < rank; k++)
                {
                    flat[o] = (flat[o] * padded[o][k]) + (padded[o][k] == 1 ? 0 : index[k]);
                }
            }

            y[at] = element(flat);
        }

        return y;
    }
}
