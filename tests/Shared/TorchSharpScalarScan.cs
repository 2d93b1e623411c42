using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Loftr.Tests.Shared;

/// <summary>
/// Reads the IL of a compiled assembly and lists the calls that give libtorch a TorchSharp <c>Scalar</c> (or tensor)
/// that nothing keeps alive: its finalizer can then free it during the native call when another thread triggers a
/// garbage collection (see src/Loftr/Scalars.cs). Compiled into both test projects (linked source). Flagged:
/// <list type="bullet">
/// <item>the implicit conversions of a value to a Scalar or a Tensor (<c>x.add_(1e-6)</c>, <c>t[i] = true</c>);</item>
/// <item>TorchSharp's <c>Tensor</c> operators with a number operand (<c>x * 2.0</c>, <c>1 - x</c>);</item>
/// <item>TorchSharp methods that make a Scalar from a number inside, found in TorchSharp's own IL: those that call a
/// Scalar conversion (<c>Scalar.op_Implicit</c>, <c>ToScalar</c>) directly or through other TorchSharp methods, such
/// as <c>add(Tensor)</c> (alpha 1), <c>a + b</c>, <c>square()</c>, <c>arange(n)</c>, <c>elu(double)</c>,
/// <c>ToSingle()</c>. Conservative: a method that disposes the Scalar it makes is listed too;</item>
/// <item>the factories of TorchSharp modules whose forward is such a method (<c>nn.LeakyReLU</c>, <c>nn.ELU</c>, ...),
/// except the types given as allowed;</item>
/// <item>a Scalar returned by a call (<c>ToScalar()</c>) that is not stored at once in a static field or in a local
/// that the method disposes (<c>using var s = x.ToScalar();</c>).</item>
/// </list>
/// Calls that reach TorchSharp through a virtual method (a module's <c>forward</c> called as
/// <c>Module&lt;Tensor, Tensor&gt;.forward</c>, a <c>Sequential</c>) are not followed.
/// </summary>
public static class TorchSharpScalarScan
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value);

    private static readonly HashSet<string> Primitives =
        ["bool", "char", "sbyte", "byte", "short", "ushort", "int", "uint", "long", "ulong", "float", "double"];

    /// <summary>
    /// The unsafe calls in <paramref name="assemblyPath"/>, one line each ("Caller: callee, why"); empty when there are
    /// none. <paramref name="allowedModules"/>: TorchSharp module types (e.g. <c>TorchSharp.Modules.BatchNorm2d</c>)
    /// whose factories may be called because the assembly never runs their forward.
    /// </summary>
    public static IReadOnlyList<string> Find(string assemblyPath, params string[] allowedModules)
    {
        var torchSharp = TorchSharpFacts.Load(typeof(TorchSharp.torch).Assembly.Location);
        var findings = new List<string>();
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        foreach (var typeHandle in md.TypeDefinitions)
        foreach (var methodHandle in md.GetTypeDefinition(typeHandle).GetMethods())
        {
            var method = md.GetMethodDefinition(methodHandle);
            if (method.RelativeVirtualAddress == 0) continue;
            string caller = Names.Method(md, methodHandle);
            var il = Instruction.Decode(pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!);
            var disposedLocals = DisposedLocals(md, il);
            for (int k = 0; k < il.Count; k++)
            {
                var ins = il[k];
                if (!ins.IsCall) continue;
                var callee = MethodRef.Resolve(md, MetadataTokens.EntityHandle(ins.Operand));
                if (callee is null || !callee.Type.StartsWith("TorchSharp.", StringComparison.Ordinal)) continue;
                string? why = Reason(callee, torchSharp, allowedModules);
                if (why is null && callee.Returns == "TorchSharp.Scalar" && !IsHeld(il, k, disposedLocals))
                    why = "the returned Scalar is not held in a disposed local or a static field";
                if (why is not null) findings.Add($"{caller}: {callee.Display}: {why}");
            }
        }
        return findings;
    }

    private static string? Reason(MethodRef callee, TorchSharpFacts torchSharp, string[] allowedModules)
    {
        if (callee.Name == "op_Implicit" && callee.Type is "TorchSharp.Scalar" or "TorchSharp.torch/Tensor")
            return "implicit conversion to a temporary";
        if (callee.Name.StartsWith("op_", StringComparison.Ordinal) && callee.Type is "TorchSharp.torch/Tensor" or "TorchSharp.torch"
            && callee.Parameters.Any(Primitives.Contains))
            return "operator with a number makes a temporary Scalar";
        if (torchSharp.MakesScalars.TryGetValue(callee.Key, out var via))
            return $"makes a temporary Scalar inside (via {Names.Short(via)})";
        if (torchSharp.LeakyModules.Contains(callee.Returns) && !allowedModules.Contains(callee.Returns))
            return $"the forward of {Names.Short(callee.Returns)} makes temporary Scalars";
        return null;
    }

    /// <summary>Whether the Scalar returned by the call at <paramref name="k"/> goes straight into a static field or a disposed local.</summary>
    private static bool IsHeld(List<Instruction> il, int k, HashSet<int> disposedLocals)
    {
        if (k + 1 >= il.Count) return false;
        var next = il[k + 1];
        return next.OpCode == OpCodes.Stsfld || next.StoredLocal is int local && disposedLocals.Contains(local);
    }

    /// <summary>Locals loaded right before a <c>Dispose</c> call (the finally block of <c>using var</c>).</summary>
    private static HashSet<int> DisposedLocals(MetadataReader md, List<Instruction> il)
    {
        var locals = new HashSet<int>();
        for (int k = 0; k + 1 < il.Count; k++)
        {
            if (il[k].LoadedLocal is int local && il[k + 1].IsCall
                && MethodRef.Resolve(md, MetadataTokens.EntityHandle(il[k + 1].Operand))?.Name == "Dispose")
                locals.Add(local);
        }
        return locals;
    }

    /// <summary>What TorchSharp's own IL says: which methods make temporary Scalars, which modules' forwards do.</summary>
    private sealed class TorchSharpFacts
    {
        private static readonly Dictionary<string, TorchSharpFacts> Cache = [];

        /// <summary>Method key → the call through which it makes a Scalar.</summary>
        public required Dictionary<string, string> MakesScalars { get; init; }

        /// <summary>Full names of module types whose (inherited) forward makes Scalars.</summary>
        public required HashSet<string> LeakyModules { get; init; }

        public static TorchSharpFacts Load(string path)
        {
            lock (Cache)
            {
                if (!Cache.TryGetValue(path, out var facts)) Cache[path] = facts = Analyse(path);
                return facts;
            }
        }

        private static bool IsConversion(string key) =>
            key.StartsWith("TorchSharp.Scalar::op_Implicit(", StringComparison.Ordinal)
            || key.StartsWith("TorchSharp.ScalarExtensionMethods::ToScalar(", StringComparison.Ordinal)
            || key == "TorchSharp.torch/Tensor::ToScalar()";

        private static TorchSharpFacts Analyse(string path)
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            var callees = new Dictionary<string, List<string>>();
            var makes = new Dictionary<string, string>();
            foreach (var typeHandle in md.TypeDefinitions)
            foreach (var methodHandle in md.GetTypeDefinition(typeHandle).GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0) continue;
                string key = MethodRef.Resolve(md, methodHandle)!.Key;
                var calls = Instruction.Decode(pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!)
                    .Where(i => i.IsCall)
                    .Select(i => MethodRef.Resolve(md, MetadataTokens.EntityHandle(i.Operand))?.Key)
                    .OfType<string>().ToList();
                callees[key] = calls;
                if (!IsConversion(key) && calls.FirstOrDefault(IsConversion) is { } conversion) makes[key] = conversion;
            }
            for (bool changed = true; changed;)
            {
                changed = false;
                foreach (var (key, calls) in callees)
                {
                    if (makes.ContainsKey(key) || IsConversion(key)) continue;
                    if (calls.FirstOrDefault(makes.ContainsKey) is { } inner)
                    {
                        makes[key] = inner;
                        changed = true;
                    }
                }
            }

            var leaky = new HashSet<string>();
            foreach (var typeHandle in md.TypeDefinitions)
            {
                for (var t = typeHandle; !t.IsNil;)
                {
                    var type = md.GetTypeDefinition(t);
                    var forwards = type.GetMethods().Where(m => md.GetString(md.GetMethodDefinition(m).Name) == "forward").ToList();
                    if (forwards.Count > 0)
                    {
                        if (forwards.Any(m => makes.ContainsKey(MethodRef.Resolve(md, m)!.Key)))
                            leaky.Add(Names.Type(md, typeHandle));
                        break;
                    }
                    t = type.BaseType.Kind == HandleKind.TypeDefinition ? (TypeDefinitionHandle)type.BaseType : default;
                }
            }
            return new TorchSharpFacts { MakesScalars = makes, LeakyModules = leaky };
        }
    }

    /// <summary>A called method: declaring type, name, parameter and return types (full names, nested types with '/').</summary>
    private sealed record MethodRef(string Type, string Name, ImmutableArray<string> Parameters, string Returns)
    {
        public string Key => $"{Type}::{Name}({string.Join(",", Parameters)})";

        public string Display => $"{Names.Short(Type)}.{Name}({string.Join(", ", Parameters.Select(Names.Short))})";

        public static MethodRef? Resolve(MetadataReader md, EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.MethodDefinition:
                {
                    var def = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    var sig = def.DecodeSignature(Names.Provider, null);
                    return new MethodRef(Names.Type(md, def.GetDeclaringType()), md.GetString(def.Name), sig.ParameterTypes, sig.ReturnType);
                }
                case HandleKind.MemberReference:
                {
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    if (member.GetKind() != MemberReferenceKind.Method) return null;
                    var sig = member.DecodeMethodSignature(Names.Provider, null);
                    return new MethodRef(Names.Type(md, member.Parent), md.GetString(member.Name), sig.ParameterTypes, sig.ReturnType);
                }
                case HandleKind.MethodSpecification:
                    return Resolve(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
                default:
                    return null;
            }
        }
    }

    /// <summary>One IL instruction: opcode and 4-byte operand (a token for calls), with the local it stores or loads.</summary>
    private readonly record struct Instruction(OpCode OpCode, int Operand, int? StoredLocal, int? LoadedLocal)
    {
        public bool IsCall => OpCode == OpCodes.Call || OpCode == OpCodes.Callvirt || OpCode == OpCodes.Newobj;

        public static List<Instruction> Decode(byte[] il)
        {
            var result = new List<Instruction>();
            for (int i = 0; i < il.Length;)
            {
                short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                i += il[i] == 0xFE ? 2 : 1;
                var op = OpCodesByValue[value];
                int size = op.OperandType switch
                {
                    OperandType.InlineNone => 0,
                    OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                    OperandType.InlineVar => 2,
                    OperandType.InlineI8 or OperandType.InlineR => 8,
                    OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                    _ => 4,
                };
                int operand = size switch { 1 => il[i], 2 => BitConverter.ToUInt16(il, i), 4 => BitConverter.ToInt32(il, i), _ => 0 };
                int? stored = op.Value switch
                {
                    >= 0x0A and <= 0x0D => op.Value - 0x0A,  // stloc.0 .. stloc.3
                    0x13 or unchecked((short)0xFE0E) => operand, // stloc.s, stloc
                    _ => null,
                };
                int? loaded = op.Value switch
                {
                    >= 0x06 and <= 0x09 => op.Value - 0x06,  // ldloc.0 .. ldloc.3
                    0x11 or unchecked((short)0xFE0C) => operand, // ldloc.s, ldloc
                    _ => null,
                };
                result.Add(new Instruction(op, operand, stored, loaded));
                i += size;
            }
            return result;
        }
    }

    private static class Names
    {
        public static readonly SignatureNames Provider = new();

        public static string Type(MetadataReader md, EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => Provider.GetTypeFromDefinition(md, (TypeDefinitionHandle)handle, 0),
            HandleKind.TypeReference => Provider.GetTypeFromReference(md, (TypeReferenceHandle)handle, 0),
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(Provider, null),
            _ => "?",
        };

        public static string Method(MetadataReader md, MethodDefinitionHandle handle)
        {
            var def = md.GetMethodDefinition(handle);
            return $"{Type(md, def.GetDeclaringType())}.{md.GetString(def.Name)}";
        }

        public static string Short(string type) =>
            type.Replace("TorchSharp.Modules.", "").Replace("TorchSharp.torch/", "").Replace("TorchSharp.", "").Replace("System.", "")
                .Replace('/', '.');
    }

    private sealed class SignatureNames : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Boolean => "bool", PrimitiveTypeCode.Char => "char", PrimitiveTypeCode.SByte => "sbyte",
            PrimitiveTypeCode.Byte => "byte", PrimitiveTypeCode.Int16 => "short", PrimitiveTypeCode.UInt16 => "ushort",
            PrimitiveTypeCode.Int32 => "int", PrimitiveTypeCode.UInt32 => "uint", PrimitiveTypeCode.Int64 => "long",
            PrimitiveTypeCode.UInt64 => "ulong", PrimitiveTypeCode.Single => "float", PrimitiveTypeCode.Double => "double",
            PrimitiveTypeCode.Void => "void", _ => typeCode.ToString(),
        };

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeDefinition(handle);
            var outer = type.GetDeclaringType();
            return outer.IsNil
                ? Join(reader.GetString(type.Namespace), reader.GetString(type.Name))
                : GetTypeFromDefinition(reader, outer, rawTypeKind) + "/" + reader.GetString(type.Name);
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            return type.ResolutionScope.Kind == HandleKind.TypeReference
                ? GetTypeFromReference(reader, (TypeReferenceHandle)type.ResolutionScope, rawTypeKind) + "/" + reader.GetString(type.Name)
                : Join(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        private static string Join(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;

        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType + "<" + string.Join(",", typeArguments) + ">";
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
    }
}
