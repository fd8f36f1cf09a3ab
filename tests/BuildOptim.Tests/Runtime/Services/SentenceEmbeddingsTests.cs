using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Services;

public sealed class SentenceEmbeddingsTests
{
    [Fact]
    public void Mean_pooling_averages_the_tokens_the_mask_keeps()
    {
        float[] states = [1f, 2f, 3f, 5f, 100f, 100f, -1f, 0f]; // 4 tokens × 2
        long[] mask = [1, 1, 0, 1];
        var embedding = new float[2];

        int kept = SentenceEmbeddings.MeanPool(states, mask, embedding);

        Assert.Equal(3, kept);
        Assert.Equal(1f, embedding[0]);
        Assert.Equal(7f / 3f, embedding[1], 6);
        Assert.Equal(4, SentenceEmbeddings.MeanPool(states, default, embedding));
        Assert.Equal([103f / 4f, 107f / 4f], embedding);
        Assert.Throws<ArgumentException>(() => SentenceEmbeddings.MeanPool(states, [1, 1], embedding));
        Assert.Throws<ArgumentException>(() => SentenceEmbeddings.MeanPool(states, mask, new float[3]));
    }

    [Fact]
    public void Normalize_scales_to_unit_length_and_leaves_zero_alone()
    {
        float[] v = [3f, 4f];
        SentenceEmbeddings.Normalize(v);
        Assert.Equal([0.6f, 0.8f], v);

        float[] zero = [0f, 0f];
        SentenceEmbeddings.Normalize(zero);
        Assert.Equal([0f, 0f], zero);
    }
}
