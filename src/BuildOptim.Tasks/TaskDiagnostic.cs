namespace BuildOptim.Tasks
{
    /// <summary>One coded error or warning, ready to be logged against <see cref="File"/>.</summary>
    internal sealed class TaskDiagnostic
    {
        public TaskDiagnostic(bool isError, string code, string file, string message, int line = 0, int column = 0)
        {
            IsError = isError;
            Code = code;
            File = file;
            Message = message;
            Line = line;
            Column = column;
        }

        public bool IsError { get; }
        public string Code { get; }
        public string File { get; }
        public string Message { get; }
        public int Line { get; }
        public int Column { get; }

        public static TaskDiagnostic Error(string code, string file, string message) =>
            new TaskDiagnostic(isError: true, code, file, message);

        public static TaskDiagnostic Warning(string code, string file, string message) =>
            new TaskDiagnostic(isError: false, code, file, message);

        public override string ToString() =>
            $"{File}: {(IsError ? "error" : "warning")} {Code}: {Message}";
    }
}
