/**
 * The description of every configuration key, kept next to the code that parses it. The parser consumes it (its
 * known-field lists, defaults, ranges and allowed values come from here), `npm run docs` renders it into
 * docs/configuration.md, and test/config-reference.test.ts proves that every key the parser reads is described and
 * every described key is read. One source of truth: the parser and the reference cannot disagree.
 *
 * Nothing here is specific to the main project: a second project (the bootstrap) describes its keys the same way,
 * reads them through the same `Reader`, and renders its own reference with `renderReference`.
 */
import type { Json } from "./reader";

export type Scalar = string | number | boolean;

/** What every described key says about itself, for the reader of the reference. */
export interface KeyDoc {
    /** What the key is, in one sentence. */
    readonly summary: string;
    /** The rule the parser enforces beyond the type, in words a user can act on; omitted when the type says it all. */
    readonly rule?: string;
    /** `true` when the key must be set; a condition ("with cloudPrincipal: agentIdentity") when it must be set sometimes. */
    readonly required?: boolean | string;
    /** A default the parser computes from other keys (`uami-<uami.name>`); constant defaults live in `default`. */
    readonly defaultText?: string;
    /** A value a user could write, as YAML would carry it. */
    readonly example?: Json;
    /** A page in docs/ with the detail (`gcp-federation.md`), linked from the reference. */
    readonly see?: string;
    /** For a top-level key: the section of the reference it is listed under. */
    readonly section?: string;
    /**
     * Whom the key describes, where a section mixes both: `shared`, one value every agent of the stack uses (the GCP
     * pool, the AWS account); `agent`, the primary agent's own, which each agent class sets for itself.
     */
    readonly scope?: "shared" | "agent";
}

/** A scalar key: a string, a number or a boolean. */
export interface ValueSpec<T extends Scalar = Scalar> extends KeyDoc {
    readonly kind: "value";
    /** The type as the reference names it: `string`, `integer`, `number`, `boolean`, `GUID`, `PEM text`... */
    readonly type: string;
    /** The value the parser uses when the key is not set. */
    readonly default?: T;
    /** The only values accepted, when the set is closed. */
    readonly allowed?: readonly T[];
    /** Inclusive bounds of a number. */
    readonly min?: number;
    readonly max?: number;
}

export type Spec = ValueSpec | ObjectSpec | ListSpec | MapSpec;
export type Fields = Readonly<Record<string, Spec>>;

/** A mapping with a fixed set of keys: any other key is refused, with the closest known one suggested. */
export interface ObjectSpec<F extends Fields = Fields> extends KeyDoc {
    readonly kind: "object";
    readonly fields: F;
}

/** A YAML list whose entries all follow `items`. */
export interface ListSpec<I extends Spec = Spec> extends KeyDoc {
    readonly kind: "list";
    readonly items: I;
}

/** A mapping whose keys the user chooses (tag names), every value following `values`. */
export interface MapSpec<V extends ValueSpec = ValueSpec> extends KeyDoc {
    readonly kind: "map";
    readonly values: V;
}

export function value<T extends Scalar>(type: string, doc: KeyDoc & Omit<ValueSpec<T>, "kind" | "type" | keyof KeyDoc>): ValueSpec<T> {
    return { kind: "value", type, ...doc };
}

export function text(doc: KeyDoc & { default?: string; allowed?: readonly string[] }): ValueSpec<string> {
    return value<string>("string", doc);
}

export function integer(doc: KeyDoc & { default?: number; min: number; max: number }): ValueSpec<number> {
    return value<number>("integer", doc);
}

export function boolean(doc: KeyDoc & { default: boolean }): ValueSpec<boolean> {
    return value<boolean>("boolean", doc);
}

export function object<F extends Fields>(doc: KeyDoc, fields: F): ObjectSpec<F> {
    return { kind: "object", fields, ...doc };
}

export function list<I extends Spec>(doc: KeyDoc, items: I): ListSpec<I> {
    return { kind: "list", items, ...doc };
}

export function map<V extends ValueSpec>(doc: KeyDoc, values: V): MapSpec<V> {
    return { kind: "map", values, ...doc };
}

/** The same keys under another summary, rule or requirement (an agent class's `containerApp` is the stack's). */
export function reuse<S extends Spec>(spec: S, doc: Partial<KeyDoc>): S {
    return { ...spec, ...doc };
}

/** Levenshtein distance, ignoring case: `appID` and `appId` are 0 apart, `contanerApp` and `containerApp` 1. */
export function editDistance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const current = [i];
        for (let j = 1; j <= y.length; j++) {
            current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[y.length]!;
}

/**
 * The known name a typo most likely meant, or undefined when none is close: at most a third of the name's letters
 * changed (one for short names), so `gcpp` suggests `gcp` but `foo` suggests nothing.
 */
export function closest(name: string, known: readonly string[]): string | undefined {
    const limit = Math.max(1, Math.floor(name.length / 3));
    let best: { name: string; distance: number } | undefined;
    for (const candidate of known) {
        const distance = editDistance(name, candidate);
        if (distance <= limit && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
    }
    return best?.name;
}

/** The spec at a dotted path (`containerApp.agent.port`, `agentClasses[].gcp`), or undefined when none describes it. */
export function specAt(root: Spec, path: string): Spec | undefined {
    let spec: Spec | undefined = root;
    for (const segment of path.split(".")) {
        const name = segment.replace(/(\[\])+$/, "");
        const lists = (segment.length - name.length) / 2;
        if (spec?.kind === "object") spec = spec.fields[name];
        else if (spec?.kind === "map") spec = spec.values;
        else return undefined;
        for (let i = 0; i < lists; i++) spec = spec?.kind === "list" ? spec.items : undefined;
    }
    return spec;
}

/**
 * Every path a spec describes, depth first in declaration order: `a`, `a.b`, `list[].field`, `tags.*` for a map's
 * values. `root` is an object spec whose fields are the top-level keys.
 */
export function describedPaths(root: ObjectSpec): string[] {
    const paths: string[] = [];
    const walk = (spec: Spec, path: string): void => {
        paths.push(path);
        if (spec.kind === "object") for (const [name, field] of Object.entries(spec.fields)) walk(field, `${path}.${name}`);
        else if (spec.kind === "list") walkItems(spec.items, `${path}[]`);
        else if (spec.kind === "map") paths.push(`${path}.*`);
    };
    const walkItems = (items: Spec, path: string): void => {
        if (items.kind === "object") for (const [name, field] of Object.entries(items.fields)) walk(field, `${path}.${name}`);
        else if (items.kind === "list") walkItems(items.items, `${path}[]`);
    };
    for (const [name, field] of Object.entries(root.fields)) walk(field, name);
    return paths;
}

/**
 * A path the parser read (`agentClasses[3].gcp.providerId`, `tags.environment`) in the form `describedPaths` uses
 * (`agentClasses[].gcp.providerId`, `tags.*`).
 */
export function normalizePath(root: ObjectSpec, path: string): string {
    const segments = path.replace(/\[\d+\]/g, "[]").split(".");
    const out: string[] = [];
    let spec: Spec | undefined = root;
    for (const segment of segments) {
        if (spec?.kind === "map") {
            out.push("*");
            spec = spec.values;
            continue;
        }
        out.push(segment);
        spec = spec === undefined ? undefined : specAt(spec, segment);
    }
    return out.join(".");
}
