namespace BuildOptim.Tests.Engine;

/// <summary>A test class with its own folder under the temp directory (<see cref="Root"/>, created on demand), deleted after each test.</summary>
public abstract class ScratchFolderTest : IDisposable
{
    protected ScratchFolderTest()
    {
        Root = Path.Combine(Path.GetTempPath(), "buildoptim-" + GetType().Name + "-" + Guid.NewGuid().ToString("N"));
    }

    protected string Root { get; }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
