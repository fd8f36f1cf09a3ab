namespace BuildOptim.Runtime;

/// <summary>
/// The kernels plans run on: fp32 and int8, SIMD with scalar twins, integer-exact on the int8 path. Reached through
/// <see cref="PlanRunner"/>, which checks a plan's operands once when it loads it; only <see cref="ArgMax"/>, which the
/// generated <c>Predict</c> calls, is public.
/// </summary>
public static partial class Kernels
{
    /// <summary>Index of the largest element (first on ties); -1 for an empty span.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (best < 0 || x[i] > bestValue)
            {
                best = i;
                bestValue = x[i];
            }
        }

        return best;
    }
}
