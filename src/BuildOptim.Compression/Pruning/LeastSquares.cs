namespace BuildOptim.Compression.Pruning;

/// <summary>
/// Streaming multi-output linear least squares with an unpenalized intercept, in double precision:
/// rows <c>(x, t)</c> are accumulated one at a time, then
/// <c>min Σ ||W·x + b − t||² + λ·||W||²</c> is solved by Cholesky on the centred normal equations
/// <c>(Cov_xx + λI)·Wᵀ = Cov_xt</c>, <c>b = mean_t − W·mean_x</c>
/// (the same solution as the augmented system with a bias column that the ridge does not penalize).
/// </summary>
/// <remarks>
/// λ = <c>ridgeFactor · trace(Cov_xx) / n</c>, scale-free. When the Cholesky factorization fails
/// (a numerically singular system), λ grows tenfold and the solve is retried.
/// </remarks>
internal sealed class NormalEquations
{
    private readonly int _n;
    private readonly int _m;
    private readonly double[] _sx;
    private readonly double[] _st;
    private readonly double[] _sxx; // upper triangle, row-major n×n
    private readonly double[] _sxt; // n×m
    private long _count;

    public NormalEquations(int features, int targets)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targets);
        _n = features;
        _m = targets;
        _sx = new double[features];
        _st = new double[targets];
        _sxx = new double[(long)features * features];
        _sxt = new double[(long)features * targets];
    }

    public int Features => _n;

    public int Targets => _m;

    public long Count => _count;

    /// <summary>Adds one observation: features <paramref name="x"/> (length n), targets <paramref name="t"/> (length m).</summary>
    public void Add(ReadOnlySpan<double> x, ReadOnlySpan<double> t)
    {
        if (x.Length != _n || t.Length != _m)
        {
            throw new ArgumentException($"Expected {_n} features and {_m} targets, got {x.Length} and {t.Length}.");
        }

        _count++;
        for (int k = 0; k < _m; k++)
        {
            _st[k] += t[k];
        }

        for (int i = 0; i < _n; i++)
        {
            double xi = x[i];
            if (xi == 0)
            {
                continue; // ReLU outputs and zero padding are often exactly zero
            }

            _sx[i] += xi;
            var row = _sxx.AsSpan(i * _n, _n);
            for (int j = i; j < _n; j++)
            {
                row[j] += xi * x[j];
            }

            var cross = _sxt.AsSpan(i * _m, _m);
            for (int k = 0; k < _m; k++)
            {
                cross[k] += xi * t[k];
            }
        }
    }

    /// <summary>Solves the system; returns <c>W</c> as [m, n] row-major and <c>b</c> [m].</summary>
    public (double[] Weights, double[] Bias) Solve(double ridgeFactor = 1e-3)
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("No observations.");
        }

        int n = _n, m = _m;
        double inv = 1.0 / _count;
        var mx = _sx.Select(v => v * inv).ToArray();
        var mt = _st.Select(v => v * inv).ToArray();
        var cov = new double[(long)n * n];
        double trace = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double c = _sxx[i * n + j] * inv - mx[i] * mx[j];
                cov[i * n + j] = c;
                cov[j * n + i] = c;
            }

            trace += cov[i * n + i];
        }

        // rhs as [n, m]
        var rhs = new double[(long)n * m];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < m; k++)
            {
                rhs[i * m + k] = _sxt[i * m + k] * inv - mx[i] * mt[k];
            }
        }

        double scale = trace > 0 && double.IsFinite(trace) ? trace / n : 1.0;
        double lambda = ridgeFactor * scale;
        double[]? solution = null;
        for (int attempt = 0; attempt < 12 && solution is null; attempt++)
        {
            var a = (double[])cov.Clone();
            for (int i = 0; i < n; i++)
            {
                a[i * n + i] += lambda;
            }

            if (Cholesky.Factor(a, n))
            {
                solution = (double[])rhs.Clone();
                Cholesky.Solve(a, n, solution, m);
            }
            else
            {
                lambda = lambda > 0 ? lambda * 10 : 1e-12 * scale;
            }
        }

        if (solution is null)
        {
            throw new InvalidOperationException("The least-squares system could not be factored.");
        }

        var weights = new double[(long)m * n];
        var bias = new double[m];
        for (int k = 0; k < m; k++)
        {
            double b = mt[k];
            for (int i = 0; i < n; i++)
            {
                double w = solution[i * m + k];
                weights[k * n + i] = w;
                b -= w * mx[i];
            }

            bias[k] = b;
        }

        return (weights, bias);
    }

    /// <summary>Convenience for whole matrices: <paramref name="x"/> [rows, n], <paramref name="y"/> [rows, m].</summary>
    public static (double[] Weights, double[] Bias) Fit(double[,] x, double[,] y, double ridgeFactor = 1e-3)
    {
        int rows = x.GetLength(0);
        if (y.GetLength(0) != rows)
        {
            throw new ArgumentException("x and y must have the same number of rows.");
        }

        var system = new NormalEquations(x.GetLength(1), y.GetLength(1));
        var xr = new double[x.GetLength(1)];
        var yr = new double[y.GetLength(1)];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < xr.Length; i++)
            {
                xr[i] = x[r, i];
            }

            for (int k = 0; k < yr.Length; k++)
            {
                yr[k] = y[r, k];
            }

            system.Add(xr, yr);
        }

        return system.Solve(ridgeFactor);
    }
}

/// <summary>In-place Cholesky factorization <c>A = L·Lᵀ</c> of a symmetric positive definite matrix and triangular solves.</summary>
internal static class Cholesky
{
    /// <summary>Overwrites the lower triangle of <paramref name="a"/> (n×n row-major) with L; false when A is not positive definite.</summary>
    public static bool Factor(double[] a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            var rowJ = a.AsSpan(j * n, j);
            for (int k = 0; k < j; k++)
            {
                d -= rowJ[k] * rowJ[k];
            }

            if (!(d > 0) || !double.IsFinite(d))
            {
                return false;
            }

            double l = Math.Sqrt(d);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                var rowI = a.AsSpan(i * n, j);
                for (int k = 0; k < j; k++)
                {
                    s -= rowI[k] * rowJ[k];
                }

                a[i * n + j] = s / l;
            }
        }

        return true;
    }

    /// <summary>Solves <c>L·Lᵀ·X = B</c> in place; <paramref name="b"/> is [n, m] row-major.</summary>
    public static void Solve(double[] l, int n, double[] b, int m)
    {
        // forward: L·Y = B
        for (int i = 0; i < n; i++)
        {
            var bi = b.AsSpan(i * m, m);
            for (int k = 0; k < i; k++)
            {
                double lik = l[i * n + k];
                if (lik == 0)
                {
                    continue;
                }

                var bk = b.AsSpan(k * m, m);
                for (int c = 0; c < m; c++)
                {
                    bi[c] -= lik * bk[c];
                }
            }

            double inv = 1.0 / l[i * n + i];
            for (int c = 0; c < m; c++)
            {
                bi[c] *= inv;
            }
        }

        // backward: Lᵀ·X = Y
        for (int i = n - 1; i >= 0; i--)
        {
            var bi = b.AsSpan(i * m, m);
            for (int k = i + 1; k < n; k++)
            {
                double lki = l[k * n + i];
                if (lki == 0)
                {
                    continue;
                }

                var bk = b.AsSpan(k * m, m);
                for (int c = 0; c < m; c++)
                {
                    bi[c] -= lki * bk[c];
                }
            }

            double inv = 1.0 / l[i * n + i];
            for (int c = 0; c < m; c++)
            {
                bi[c] *= inv;
            }
        }
    }
}
