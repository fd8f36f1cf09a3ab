namespace BuildOptim.Compression.Distillation;

/// <summary>
/// The loss of one sample and its gradient with respect to the student's outputs (docs/distillation.md).
/// Classifiers, from logits <c>s</c> (student) and <c>t</c> (teacher), temperature <c>T</c>:
/// <c>p = softmax(t / T)</c>, <c>q = softmax(s / T)</c>, <c>soft = T² · Σ p · (log p − log q)</c> with gradient
/// <c>T · (q − p)</c>; with a label y, <c>hard = −log softmax(s)[y]</c> with gradient <c>softmax(s) − onehot(y)</c>, and the
/// loss is <c>α · soft + (1 − α) · hard</c>, α = <see cref="SoftTargetWeight"/>. Other models: the mean squared error
/// <c>Σ (s − t)² / L</c>, gradient <c>2 (s − t) / L</c>. Computed in double precision, in index order.
/// </summary>
internal sealed class DistillationLoss(bool classifier, double temperature)
{
    /// <summary>α: the share of the soft (teacher) term when a sample has a label (Hinton et al. weigh the soft term higher).</summary>
    public const double SoftTargetWeight = 0.7;

    private double[] _p = [];
    private double[] _q = [];

    public bool Classifier => classifier;

    public double Temperature => temperature;

    /// <summary>The sample's loss; writes its gradient times <paramref name="scale"/> (1 / batch size) into <paramref name="gradient"/>.</summary>
    public double Compute(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, int label, Span<float> gradient, double scale)
    {
        int n = student.Length;
        if (!classifier)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double d = (double)student[i] - teacher[i];
                sum += d * d;
                gradient[i] = (float)(scale * 2 * d / n);
            }

            return sum / n;
        }

        if (_p.Length != n)
        {
            (_p, _q) = (new double[n], new double[n]);
        }

        double logP = Softmax(teacher, 1 / temperature, _p);
        double logQ = Softmax(student, 1 / temperature, _q);
        double kl = 0;
        for (int i = 0; i < n; i++)
        {
            // log p_i − log q_i = (t_i − s_i) / T − (logZ_p − logZ_q), and p_i · that is 0 where p_i underflows to 0.
            if (_p[i] > 0)
            {
                kl += _p[i] * (((double)teacher[i] - student[i]) / temperature - (logP - logQ));
            }
        }

        double soft = temperature * temperature * kl;
        double alpha = label >= 0 ? SoftTargetWeight : 1;
        for (int i = 0; i < n; i++)
        {
            gradient[i] = (float)(scale * alpha * temperature * (_q[i] - _p[i]));
        }

        if (label < 0)
        {
            return soft;
        }

        double logZ = Softmax(student, 1, _q);
        double hard = logZ - student[label];
        for (int i = 0; i < n; i++)
        {
            gradient[i] += (float)(scale * (1 - alpha) * (_q[i] - (i == label ? 1 : 0)));
        }

        return alpha * soft + (1 - alpha) * hard;
    }

    /// <summary><c>result = softmax(x · inverseT)</c>; returns <c>log Σ exp(x · inverseT)</c>.</summary>
    private static double Softmax(ReadOnlySpan<float> x, double inverseT, double[] result)
    {
        double max = double.NegativeInfinity;
        foreach (float v in x)
        {
            max = Math.Max(max, v * inverseT);
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            result[i] = Math.Exp(x[i] * inverseT - max);
            sum += result[i];
        }

        for (int i = 0; i < x.Length; i++)
        {
            result[i] /= sum;
        }

        return max + Math.Log(sum);
    }
}
