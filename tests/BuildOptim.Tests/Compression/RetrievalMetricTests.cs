using BuildOptim.Compression.Evaluation;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// Issue 16's gate figure for embedding models: top-1 retrieval agreement, each sample's nearest neighbour among the others
/// by cosine, fp32 against compressed.
/// </summary>
public sealed class RetrievalMetricTests
{
    // Four 2-D embeddings: 0 and 1 close together, 2 and 3 close together.
    private static readonly float[] s_reference = [1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.9f];

    [Fact]
    public void The_same_neighbours_agree_fully_whatever_the_scale()
    {
        float[] scaled = s_reference.Select(v => v * 3).ToArray();

        var metrics = Metrics.Compute(s_reference, scaled, 2, null, retrieval: true);

        Assert.Equal(1.0, metrics.RetrievalAgreement);
    }

    [Fact]
    public void A_sample_whose_nearest_neighbour_changes_counts_against_it()
    {
        // Sample 1 moves next to sample 2: its own neighbour becomes 2 and 2's becomes 1; 0 and 3 keep theirs.
        float[] compressed = [1, 0, 0.15f, 0.85f, 0, 1, 0.1f, 0.9f];

        var metrics = Metrics.Compute(s_reference, compressed, 2, null, retrieval: true);

        Assert.Equal(0.5, metrics.RetrievalAgreement);
        Assert.Null(Metrics.Compute(s_reference, compressed, 2, null).RetrievalAgreement);
        Assert.Null(Metrics.Compute(s_reference.AsSpan(0, 4).ToArray(), compressed.AsSpan(0, 4).ToArray(), 2, null, retrieval: true).RetrievalAgreement);
    }
}
