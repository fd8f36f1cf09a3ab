using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Services;

public sealed class ClassScoresTests
{
    private static readonly string[] s_labels = ["a", "b", "c", "d", "e"];

    [Fact]
    public void Probabilities_of_logits_are_their_softmax_and_of_log_probabilities_their_exponentials()
    {
        float[] logits = [2f, -1f, 0.5f, 2f, 30f];
        var probabilities = new float[logits.Length];

        ClassScores.Probabilities(logits, ClassScoreKind.Logits, probabilities);

        double sum = logits.Sum(v => Math.Exp(v));
        Assert.Equal(logits.Select(v => Math.Exp(v) / sum), probabilities.Select(p => (double)p), (a, b) => Math.Abs(a - b) < 1e-6);

        float[] logProbabilities = [.. probabilities.Select(p => MathF.Log(p))];
        var back = new float[logits.Length];
        ClassScores.Probabilities(logProbabilities, ClassScoreKind.LogProbabilities, back);
        Assert.Equal(probabilities, back, (a, b) => Math.Abs(a - b) < 1e-6f);

        ClassScores.Probabilities(probabilities, ClassScoreKind.Probabilities, back);
        Assert.Equal(probabilities, back);
        Assert.Throws<ArgumentException>(() => ClassScores.Probabilities(logits, ClassScoreKind.Logits, new float[4]));
    }

    [Fact]
    public void In_place_probabilities_equal_the_copying_ones()
    {
        float[] logits = [0.1f, 3f, -2f, 1f, 1f];
        var copied = new float[logits.Length];
        ClassScores.Probabilities(logits, ClassScoreKind.Logits, copied);

        ClassScores.Probabilities(logits, ClassScoreKind.Logits, logits);

        Assert.Equal(copied, logits);
    }

    [Fact]
    public void Top_k_ranks_by_score_with_the_lower_index_first_on_ties_and_scores_match_Probabilities()
    {
        float[] logits = [1f, 3f, 3f, -1f, 2f];
        var probabilities = new float[logits.Length];
        ClassScores.Probabilities(logits, ClassScoreKind.Logits, probabilities);
        var top = new Prediction[3];

        int count = ClassScores.TopK(logits, ClassScoreKind.Logits, s_labels, top);

        Assert.Equal(3, count);
        Assert.Equal([1, 2, 4], top.Select(p => p.ClassIndex));
        Assert.Equal(["b", "c", "e"], top.Select(p => p.Label));
        Assert.Equal([probabilities[1], probabilities[2], probabilities[4]], top.Select(p => p.Score));
        Assert.Equal(new Prediction(1, "b", probabilities[1]), ClassScores.Top(logits, ClassScoreKind.Logits, s_labels));
        Assert.Null(ClassScores.Top(logits, ClassScoreKind.Logits, default).Label);
    }

    [Fact]
    public void Top_k_longer_than_the_classes_writes_every_class_and_says_so()
    {
        var top = new Prediction[8];

        int count = ClassScores.TopK([0.2f, 0.5f, 0.3f], ClassScoreKind.Probabilities, default, top);

        Assert.Equal(3, count);
        Assert.Equal([1, 2, 0], top[..3].Select(p => p.ClassIndex));
        Assert.Equal([0.5f, 0.3f, 0.2f], top[..3].Select(p => p.Score));
        Assert.Equal(0, ClassScores.TopK([1f], ClassScoreKind.Logits, default, []));
        Assert.Throws<ArgumentException>(() => ClassScores.TopK([1f, 2f], ClassScoreKind.Logits, ["only one"], top));
    }

    [Fact]
    public void Ranking_allocates_nothing()
    {
        float[] logits = [.. Enumerable.Range(0, 1000).Select(i => MathF.Sin(i))];
        var top = new Prediction[5];
        var probabilities = new float[logits.Length];

        long allocated = Allocations.SteadyState(200, () =>
        {
            ClassScores.TopK(logits, ClassScoreKind.Logits, default, top);
            ClassScores.Top(logits, ClassScoreKind.Logits, default);
            ClassScores.Probabilities(logits, ClassScoreKind.Logits, probabilities);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(logits.Select((v, i) => (v, i)).OrderByDescending(x => x.v).Take(5).Select(x => x.i), top.Select(p => p.ClassIndex));
    }
}
