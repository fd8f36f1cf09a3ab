namespace BuildOptim.Runtime;

/// <summary>
/// What every class the BuildOptim source generator emits implements: it can be created with a parallelism and disposed.
/// <see cref="ModelPool"/> and the generated <c>AddBuildOptimModel&lt;TModel&gt;()</c> take only such types.
/// </summary>
/// <typeparam name="TSelf">The generated class itself.</typeparam>
public interface ICompressedModel<TSelf> : IDisposable
    where TSelf : class, ICompressedModel<TSelf>
{
    /// <summary>A new instance with its own scratch memory (the generated <c>new TModel(parallelism)</c>).</summary>
    /// <param name="parallelism">1 to 64; 1 uses no other thread.</param>
    static abstract TSelf Create(int parallelism);
}
