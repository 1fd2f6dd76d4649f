import type { GraphNode } from "./run-plan";

/** The longest chain of registrations that must complete one after another, and its length in cloud round-trips. */
export interface DependencyChain {
    /** Cloud round-trips on the chain: custom resources, not counting providers (configured locally). */
    readonly length: number;
    /** The chain, first to last, as `<type>::<name>`. */
    readonly chain: readonly string[];
}

/** A node costs one round-trip when a `pulumi up` must wait for a cloud to create it. */
function cost(node: GraphNode): number {
    return node.custom && !node.type.startsWith("pulumi:providers:") ? 1 : 0;
}

/**
 * The longest path through the dependency graph Pulumi sends with each registration. A dependency on a component
 * means waiting for every resource under it, so components are expanded to their descendants; a custom resource
 * with an explicit provider waits for that provider.
 */
export function longestDependencyChain(graph: readonly GraphNode[]): DependencyChain {
    const byUrn = new Map(graph.map((n) => [n.urn, n]));
    const children = new Map<string, string[]>();
    for (const n of graph) if (n.parent) children.set(n.parent, [...(children.get(n.parent) ?? []), n.urn]);

    const expand = (urn: string, seen = new Set<string>()): string[] => {
        const node = byUrn.get(urn);
        if (!node || seen.has(urn)) return [];
        seen.add(urn);
        if (node.custom) return [urn];
        return (children.get(urn) ?? []).flatMap((c) => expand(c, seen));
    };
    const waitsFor = (n: GraphNode): string[] => {
        const direct = [...n.dependencies, ...(n.provider ? [n.provider.split("::").slice(0, -1).join("::")] : [])];
        return [...new Set(direct.flatMap((d) => expand(d)))];
    };

    const memo = new Map<string, { length: number; previous: string | undefined }>();
    const depth = (urn: string, visiting = new Set<string>()): number => {
        const known = memo.get(urn);
        if (known) return known.length;
        const node = byUrn.get(urn);
        if (!node) return 0;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        let best = { length: 0, previous: undefined as string | undefined };
        for (const dep of waitsFor(node)) {
            const d = depth(dep, visiting);
            if (d > best.length) best = { length: d, previous: dep };
        }
        visiting.delete(urn);
        const result = { length: best.length + cost(node), previous: best.previous };
        memo.set(urn, result);
        return result.length;
    };

    let end: string | undefined;
    let length = 0;
    for (const n of graph) {
        const d = depth(n.urn);
        if (d > length) [length, end] = [d, n.urn];
    }
    const chain: string[] = [];
    for (let at = end; at !== undefined; at = memo.get(at)?.previous) {
        const node = byUrn.get(at)!;
        if (cost(node) > 0) chain.unshift(`${node.type}::${node.name}`);
    }
    return { length, chain };
}
