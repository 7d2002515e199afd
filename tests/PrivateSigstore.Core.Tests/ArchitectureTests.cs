using System.Reflection;
using System.Reflection.Emit;
using PrivateSigstore.Core;

namespace PrivateSigstore.Core.Tests;

public sealed class ArchitectureTests
{
    [Fact]
    public void Core_references_neither_AspNetCore_nor_EntityFrameworkCore_nor_database_drivers()
    {
        var forbidden = CoreAssembly.Assembly.GetReferencedAssemblies()
            .Select(a => a.Name ?? "")
            .Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                     || n.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                     || n.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
                     || n.StartsWith("Npgsql", StringComparison.Ordinal)
                     || n.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal)
                     || n.StartsWith("SQLitePCLRaw", StringComparison.Ordinal)
                     || n.StartsWith("Pkcs11Interop", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(forbidden);
    }

    [Fact]
    public void Core_has_no_package_dependencies_that_do_IO()
    {
        // Core is wire formats only: System.* is all it may reference.
        var names = CoreAssembly.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.All(names, n => Assert.True(n.StartsWith("System", StringComparison.Ordinal) || n == "netstandard", n));
    }

    [Theory]
    [InlineData("PrivateSigstore.Core.ProtoJson", "PrivateSigstore.Core.Bundle")]
    [InlineData("PrivateSigstore.Core.ProtoJson", "PrivateSigstore.Core.Trust")]
    [InlineData("PrivateSigstore.Core.Certificates", "PrivateSigstore.Core.Ct")]
    [InlineData("PrivateSigstore.Core.Der", "PrivateSigstore.Core.Certificates")]
    [InlineData("PrivateSigstore.Core.Der", "PrivateSigstore.Core.Ct")]
    public void Lower_namespace_does_not_reference_higher_one(string lower, string higher)
    {
        var offending = NamespaceDependencies.Of(CoreAssembly.Assembly)
            .Where(d => d.From == lower && d.To == higher)
            .Select(d => d.Site)
            .ToList();
        Assert.True(offending.Count == 0, $"{lower} references {higher}: {string.Join(", ", offending.Take(10))}");
    }

    [Fact]
    public void Dependency_reader_sees_uses_in_signatures_and_in_method_bodies()
    {
        var edges = NamespaceDependencies.Of(CoreAssembly.Assembly).Select(d => (d.From, d.To)).ToHashSet();
        Assert.Contains(("PrivateSigstore.Core.Trust", "PrivateSigstore.Core.Bundle"), edges);
        Assert.Contains(("PrivateSigstore.Core.Certificates", "PrivateSigstore.Core.Der"), edges); // only a call in a body
    }

    [Fact]
    public void Core_namespaces_form_no_cycles()
    {
        var edges = NamespaceDependencies.Of(CoreAssembly.Assembly)
            .Where(d => d.From != d.To)
            .Select(d => (d.From, d.To))
            .ToHashSet();
        var cycles = edges.Where(e => Reaches(edges, e.To, e.From)).Select(e => $"{e.From} -> {e.To}").Order(StringComparer.Ordinal).ToList();
        Assert.True(cycles.Count == 0, "namespace cycles in Core: " + string.Join("; ", cycles));
    }

    private static bool Reaches(HashSet<(string From, string To)> edges, string start, string target)
    {
        var seen = new HashSet<string> { start };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var node))
        {
            if (node == target)
            {
                return true;
            }

            foreach (var (_, to) in edges.Where(e => e.From == node))
            {
                if (seen.Add(to))
                {
                    queue.Enqueue(to);
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Which Core namespace uses which, read from the compiled assembly: base types, interfaces, fields, properties,
    /// method signatures, and every type, method and field token in method bodies (so a use inside a body counts).
    /// </summary>
    private static class NamespaceDependencies
    {
        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value);

        public static IEnumerable<(string From, string To, string Site)> Of(Assembly assembly)
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var type in assembly.GetTypes())
            {
                var from = type.Namespace ?? "";
                var used = new List<(Type Type, string Site)>();
                if (type.BaseType is { } baseType)
                {
                    used.Add((baseType, type.FullName + " base"));
                }

                used.AddRange(type.GetInterfaces().Select(i => (i, type.FullName + " interface")));
                used.AddRange(type.GetFields(all).Select(f => (f.FieldType, $"{type.FullName}.{f.Name}")));
                used.AddRange(type.GetProperties(all).Select(p => (p.PropertyType, $"{type.FullName}.{p.Name}")));
                foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
                {
                    var site = $"{type.FullName}.{method.Name}";
                    if (method is MethodInfo info)
                    {
                        used.Add((info.ReturnType, site));
                    }

                    used.AddRange(method.GetParameters().Select(p => (p.ParameterType, site)));
                    used.AddRange(method.GetMethodBody()?.LocalVariables.Select(l => (l.LocalType, site)) ?? []);
                    used.AddRange(BodyTypes(method).Select(t => (t, site)));
                }

                foreach (var (usedType, site) in used)
                {
                    foreach (var t in Expand(usedType).Where(t => t.Assembly == assembly))
                    {
                        yield return (from, t.Namespace ?? "", site);
                    }
                }
            }
        }

        private static IEnumerable<Type> Expand(Type type)
        {
            if (type.HasElementType)
            {
                foreach (var t in Expand(type.GetElementType()!))
                {
                    yield return t;
                }

                yield break;
            }

            if (type.IsGenericParameter)
            {
                yield break;
            }

            yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            if (type.IsGenericType)
            {
                foreach (var t in type.GetGenericArguments().SelectMany(Expand))
                {
                    yield return t;
                }
            }
        }

        private static List<Type> BodyTypes(MethodBase method)
        {
            var found = new List<Type>();
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null)
            {
                return found;
            }

            var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
            var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
            var i = 0;
            while (i < il.Length)
            {
                OpCode op;
                if (il[i] == 0xFE)
                {
                    op = OpCodesByValue[unchecked((short)(0xFE00 | il[i + 1]))];
                    i += 2;
                }
                else
                {
                    op = OpCodesByValue[il[i]];
                    i += 1;
                }

                switch (op.OperandType)
                {
                    case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                        var token = BitConverter.ToInt32(il, i);
                        var member = method.Module.ResolveMember(token, typeArgs, methodArgs);
                        if (member is Type t)
                        {
                            found.Add(t);
                        }
                        else if (member?.DeclaringType is { } declaring)
                        {
                            found.Add(declaring);
                        }

                        i += 4;
                        break;
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        i += 1;
                        break;
                    case OperandType.InlineVar:
                        i += 2;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        i += 8;
                        break;
                    case OperandType.InlineSwitch:
                        i += 4 + (4 * BitConverter.ToInt32(il, i));
                        break;
                    default:
                        i += 4;
                        break;
                }
            }

            return found;
        }
    }
}
