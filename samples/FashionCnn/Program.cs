// Classifies the Fashion-MNIST evaluation images with the CNN BuildOptim compressed at build time (BatchNorm folded, depthwise conv, ReLU6, residual add, all int8).
using System.Diagnostics;
using BuildOptim.Runtime.Data;
using FashionCnn;

const int TimedRuns = 2_000;

string evalPath = Path.Combine(AppContext.BaseDirectory, "Data", "eval.npz");
IReadOnlyList<NdArray> arrays = NpzReader.Read(evalPath);
NdArray images = arrays.Single(a => a.Name != "labels");
int[] labels = arrays.Single(a => a.Name == "labels").ToLabels();

// What the build compressed (dotnet run does not show the build's output).
Console.WriteLine(FashionCnnModel.CompressionSummary);

var model = new FashionCnnModel();

int correct = 0;
for (int i = 0; i < images.SampleCount; i++)
{
    if (model.Predict(images.Sample(i)) == labels[i])
    {
        correct++;
    }
}
Console.WriteLine($"Accuracy: {100.0 * correct / images.SampleCount:F2}% ({correct}/{images.SampleCount})");

Span<float> logits = stackalloc float[FashionCnnModel.OutputLength];
// Warm-up for a second: the JIT recompiles hot methods optimized only some time after their first calls (sooner
// on an idle machine), and one-time plan binding is not a per-call cost.
var warmUp = Stopwatch.StartNew();
while (warmUp.ElapsedMilliseconds < 1000)
{
    model.Run(images.Sample(0), logits);
}

// Five timed batches; the median is what a busy machine moves least.
long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
var batches = new double[5];
for (int b = 0; b < batches.Length; b++)
{
    var stopwatch = Stopwatch.StartNew();
    for (int i = 0; i < TimedRuns; i++)
    {
        model.Run(images.Sample(i % images.SampleCount), logits);
    }

    batches[b] = stopwatch.Elapsed.TotalMicroseconds / TimedRuns;
}

long allocatedPerRun = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (batches.Length * TimedRuns);
Array.Sort(batches);
Console.WriteLine($"Allocated per Run: {allocatedPerRun} bytes");
Console.WriteLine($"Time per Run: {batches[batches.Length / 2]:F1} µs (median of {batches.Length} batches of {TimedRuns:N0}; best {batches[0]:F1} µs)");

// The compressed plan travels inside this assembly as a manifest resource; there is no model file to deploy.
using Stream plan = typeof(FashionCnnModel).Assembly.GetManifestResourceStream(FashionCnnModel.ResourceName)!;
Console.WriteLine($"Embedded plan {FashionCnnModel.ResourceName}: {plan.Length:N0} bytes");
