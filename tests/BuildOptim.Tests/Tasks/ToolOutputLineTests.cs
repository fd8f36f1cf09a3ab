using BuildOptim.Tasks;

namespace BuildOptim.Tests.Tasks;

public sealed class ToolOutputLineTests
{
    [Fact]
    public void Canonical_error_line_is_a_diagnostic_with_file_and_code()
    {
        ToolOutputLine line = ToolOutputLine.Parse("/p/Models/mlp.onnx: error BOPT2001: accuracy dropped 3.1 points; the gate allows 1.");

        Assert.Equal(ToolOutputKind.Diagnostic, line.Kind);
        Assert.True(line.Diagnostic!.IsError);
        Assert.Equal("BOPT2001", line.Diagnostic.Code);
        Assert.Equal("/p/Models/mlp.onnx", line.Diagnostic.File);
        Assert.Equal("accuracy dropped 3.1 points; the gate allows 1.", line.Diagnostic.Message);
    }

    [Fact]
    public void Windows_path_with_position_is_parsed()
    {
        ToolOutputLine line = ToolOutputLine.Parse(@"C:\src\app\Data\calib.csv(12,3): warning BOPT1105: row 12 has 3 values");

        Assert.Equal(ToolOutputKind.Diagnostic, line.Kind);
        Assert.False(line.Diagnostic!.IsError);
        Assert.Equal(@"C:\src\app\Data\calib.csv", line.Diagnostic.File);
        Assert.Equal((12, 3), (line.Diagnostic.Line, line.Diagnostic.Column));
        Assert.Equal("BOPT1105", line.Diagnostic.Code);
    }

    [Fact]
    public void Diagnostic_without_origin_has_an_empty_file()
    {
        ToolOutputLine line = ToolOutputLine.Parse("error BOPT3003: out of memory");

        Assert.Equal(ToolOutputKind.Diagnostic, line.Kind);
        Assert.Equal("", line.Diagnostic!.File);
    }

    [Fact]
    public void Summary_line_is_recognised()
    {
        Assert.Equal(ToolOutputKind.Summary, ToolOutputLine.Parse("BuildOptim: mlp.onnx 420 KB -> 110 KB, accuracy 88.1% -> 87.9%").Kind);
    }

    [Fact]
    public void Distillation_progress_lines_are_recognised_and_match_the_engines_prefix()
    {
        Assert.Equal(ToolOutputLine.ProgressPrefix, BuildOptim.Compression.Compressor.ProgressPrefix.TrimEnd());
        Assert.Equal(ToolOutputKind.Progress, ToolOutputLine.Parse("BuildOptim distill: fine-tune epoch 1/10 loss 0.3642 agreement 93.40 % (0.5 s)").Kind);
    }

    [Fact]
    public void The_relay_shows_progress_at_normal_importance_and_other_output_at_low()
    {
        var engine = new RecordingBuildEngine();
        var task = new CompressModel { BuildEngine = engine };
        var relay = new ToolOutputRelay(task.Log);
        relay.Relay("BuildOptim distill: student epoch 2/50 loss 0.4784 agreement 89.60 % (0.4 s)");
        relay.Relay("calibrating 256 samples");
        Assert.Equal(Microsoft.Build.Framework.MessageImportance.Normal, engine.Messages[0].Importance);
        Assert.Equal(Microsoft.Build.Framework.MessageImportance.Low, engine.Messages[1].Importance);
        Assert.Null(relay.LastOtherLine is { } other && other.StartsWith("BuildOptim distill", StringComparison.Ordinal) ? other : null);
    }

    [Theory]
    [InlineData("calibrating 256 samples")]
    [InlineData("mean squared error BOPT is low")]
    [InlineData("Unhandled exception. System.Exception: error BOPT")]
    [InlineData("")]
    public void Other_lines_are_plain_output(string text)
    {
        Assert.Equal(ToolOutputKind.Other, ToolOutputLine.Parse(text).Kind);
    }
}
