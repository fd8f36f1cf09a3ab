namespace BuildOptim.Tasks
{
    /// <summary>The BOPT codes the task itself reports (the CLI reports the rest; see docs/diagnostics.md).</summary>
    internal static class DiagnosticCodes
    {
        public const string ModelFileMissing = DiagnosticIds.ModelNotFound;
        public const string DataFileMissing = DiagnosticIds.DataFileNotFound;
        public const string InvalidMetadata = DiagnosticIds.InvalidOption;
        public const string CalibrationRequired = DiagnosticIds.MissingCalibration;
        public const string ClassNameCollision = DiagnosticIds.ClassNameCollision;
        public const string UnknownMetadata = DiagnosticIds.UnknownMetadata;
        public const string ToolFailedSilently = DiagnosticIds.InternalError;
        public const string ToolNotStarted = DiagnosticIds.ToolNotStarted;
    }
}
