namespace BuildOptim.Tasks
{
    /// <summary>The BOPT codes the task itself reports (the CLI reports the rest; see docs/diagnostics.md).</summary>
    internal static class DiagnosticCodes
    {
        public const string ModelFileMissing = "BOPT1001";
        public const string DataFileMissing = "BOPT1101";
        public const string InvalidMetadata = "BOPT1201";
        public const string CalibrationRequired = "BOPT1202";
        public const string ClassNameCollision = "BOPT1205";
        public const string ToolFailedSilently = "BOPT3001";
        public const string ToolNotStarted = "BOPT3002";
    }
}
