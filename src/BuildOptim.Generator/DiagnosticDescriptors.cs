using System;
using Microsoft.CodeAnalysis;

namespace BuildOptim.Generator;

/// <summary>The diagnostics the generator reports. Codes are public surface (see docs/generator.md).</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "BuildOptim.Generator";

    /// <summary>{0} descriptor path, {1} line, {2} model, {3} what is wrong.</summary>
    public static readonly DiagnosticDescriptor MalformedDescriptor = new(
        id: DiagnosticIds.MalformedDescriptor,
        title: "Malformed BuildOptim model descriptor",
        messageFormat: "Malformed BuildOptim descriptor '{0}' for model '{2}', line {1}: {3}. Rebuild so BuildOptim rewrites the descriptor.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>{0} descriptor path, {1} model, {2} "class name" or "namespace", {3} the value, {4} why.</summary>
    public static readonly DiagnosticDescriptor InvalidIdentifier = new(
        id: DiagnosticIds.InvalidIdentifier,
        title: "Generated model type name is not a valid C# identifier",
        messageFormat: "The {2} '{3}' of model '{1}' (descriptor '{0}') is not a valid C# identifier: {4}. Set the ClassName or Namespace metadata of the ModelToCompress item.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>{0} descriptor path, {1} model, {2} the version found, {3} the supported version.</summary>
    public static readonly DiagnosticDescriptor UnsupportedFormat = new(
        id: DiagnosticIds.UnsupportedDescriptorFormat,
        title: "Unsupported BuildOptim descriptor format version",
        messageFormat: "Descriptor '{0}' for model '{1}' has format version '{2}'; this generator reads version {3}. Use the BuildOptim task and generator from the same package version.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>{0} the type's full name, {1} descriptor path, {2} model, {3} the first descriptor's path, {4} its model.</summary>
    public static readonly DiagnosticDescriptor DuplicateClass = new(
        id: DiagnosticIds.DuplicateClass,
        title: "Two compressed models generate the same class",
        messageFormat: "Model '{2}' (descriptor '{1}') would generate '{0}', which model '{4}' (descriptor '{3}') already generates; only the first is generated. Set a distinct ClassName on one of the ModelToCompress items.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static DiagnosticDescriptor FromId(string id) => id switch
    {
        DiagnosticIds.MalformedDescriptor => MalformedDescriptor,
        DiagnosticIds.InvalidIdentifier => InvalidIdentifier,
        DiagnosticIds.UnsupportedDescriptorFormat => UnsupportedFormat,
        DiagnosticIds.DuplicateClass => DuplicateClass,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
