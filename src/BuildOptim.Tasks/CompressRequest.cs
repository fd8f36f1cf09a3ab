namespace BuildOptim.Tasks
{
    /// <summary>
    /// A validated <c>ModelToCompress</c> item: absolute paths, canonical spellings of enum values and
    /// invariant-culture numbers. A null or empty value means "not set: the CLI decides".
    /// </summary>
    internal sealed class CompressRequest
    {
        public string ItemSpec { get; set; } = "";
        public string ModelPath { get; set; } = "";
        public string? CalibrationPath { get; set; }
        public string? EvaluationPath { get; set; }
        /// <summary>A file path (.npy/.csv) or the name of an array inside the evaluation npz.</summary>
        public string? Labels { get; set; }
        /// <summary>The ClassNames file (one class name per line), absolute.</summary>
        public string? ClassNames { get; set; }
        public string? Quantize { get; set; }
        public string? Calibrator { get; set; }
        public string? Prune { get; set; }
        public string? Sparsity { get; set; }
        public string? ShareWeights { get; set; }
        /// <summary>Cosine threshold for merging near-duplicate neurons; "0" or null = off.</summary>
        public string? MergeNeurons { get; set; }
        public string? MaxAccuracyDrop { get; set; }
        public string? MinAgreement { get; set; }

        public string? MinCosine { get; set; }
        /// <summary>The InputShape metadata, checked for its syntax.</summary>
        public string? InputShape { get; set; }
        /// <summary>The Tokenizer vocabulary file, absolute.</summary>
        public string? Tokenizer { get; set; }
        /// <summary>The image metadata (ImageSize, ImageLayout, ImageChannels, ImageScale, ImageMean, ImageStd), checked by the schema.</summary>
        public string? ImageSize { get; set; }
        public string? ImageLayout { get; set; }
        public string? ImageChannels { get; set; }
        public string? ImageScale { get; set; }
        public string? ImageMean { get; set; }
        public string? ImageStd { get; set; }
        public string? Fallback { get; set; }

        public string? WeightBits { get; set; }
        /// <summary>Also write <c>model.qdq.onnx</c> (<c>--emit-onnx</c>).</summary>
        public bool EmitOnnx { get; set; }
        /// <summary>Knowledge distillation (<c>--distill</c>).</summary>
        public bool Distill { get; set; }
        public string? Student { get; set; }
        public string? TrainingData { get; set; }
        public string? DistillEpochs { get; set; }
        public string? DistillTemperature { get; set; }
        public string? Gate { get; set; }
        public string? ClassName { get; set; }
        public string? Namespace { get; set; }
        public string ResourceName { get; set; } = "";
        public string OutputDirectory { get; set; } = "";
    }
}
