// Classifies the Fashion-MNIST evaluation images with the model BuildOptim compressed at build time.
using System.Diagnostics;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;
using FashionMnist;

const int TimedRuns = 10_000;

string evalPath = Path.Combine(AppContext.BaseDirectory, "Data", "eval.npz");
IReadOnlyList<NdArray> arrays = NpzReader.Read(evalPath);
NdArray images = arrays.Single(a => a.Name != "labels");
int[] labels = arrays.Single(a => a.Name == "labels").ToLabels();

// What the build compressed (dotnet run does not show the build's output).
Console.WriteLine(FashionMlpModel.CompressionSummary);

var model = new FashionMlpModel();

int correct = 0;
for (int i = 0; i < images.SampleCount; i++)
{
    if (model.Predict(images.Sample(i)) == labels[i])
    {
        correct++;
    }
}
Console.WriteLine($"Accuracy: {100.0 * correct / images.SampleCount:F2}% ({correct}/{images.SampleCount})");

// Class names (ClassNames="Models/classes.txt") with their probabilities: the three most likely for the first image.
var top = new Prediction[3];
int ranked = model.PredictTopK(images.Sample(0), top);
Console.WriteLine($"Image 0 ({FashionMlpModel.ClassNames[labels[0]]}): "
    + string.Join(", ", top[..ranked].Select(p => $"{p.Label} {p.Score:P1}")));

Span<float> logits = stackalloc float[FashionMlpModel.OutputLength];
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
using Stream plan = typeof(FashionMlpModel).Assembly.GetManifestResourceStream(FashionMlpModel.ResourceName)!;
Console.WriteLine($"Embedded plan {FashionMlpModel.ResourceName}: {plan.Length:N0} bytes");
