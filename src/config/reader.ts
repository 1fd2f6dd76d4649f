import { guidProblem } from "../contracts";
import { ConfigIssue } from "./errors";
import { closest, ObjectSpec, Scalar, ValueSpec } from "./spec";

/** Where raw config values come from: `pulumi.Config` in a deployment, a plain object in tests and the plan. */
export interface ConfigSource {
    /** The raw string value of `<namespace>:<key>`, or undefined when unset. Objects arrive as JSON text. */
    get(key: string): string | undefined;
    /**
     * Every fully qualified key the stack sets, in every namespace (`agentfed:tenantId`, `azure-native:location`),
     * as `pulumi.runtime.allConfig()` lists them. Optional for old callers: without it, unknown top-level keys
     * cannot be seen, so they are not refused.
     */
    allKeys?(): readonly string[];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ReaderOptions {
    /**
     * Called with every path the parser reads (`containerApp.agent.port`, `agentClasses[2].name`), for the test that
     * proves every key read is described and every described key is read. Off in deployments.
     */
    readonly trace?: (path: string) => void;
}

/**
 * Namespaces a stack may set besides the project's: the providers this program uses (each validates its own keys;
 * the engine refuses an unknown provider key) and the engine's own `pulumi:`. Kept equal to package.json's
 * @pulumi/* providers by test/config-reference.test.ts.
 */
export const PROVIDER_NAMESPACES: readonly string[] = ["aws", "azure-native", "azuread", "gcp", "github", "kubernetes", "pulumi", "pulumiservice", "tls"];

/** Collects issues while reading, so every problem is reported in one error. */
export class Reader {
    readonly issues: ConfigIssue[] = [];
    /** Accepted but risky choices, shown by the plan and logged by `pulumi preview`. */
    readonly warnings: string[] = [];
    /** Paths whose value is unusable (a rounded number): later complaints about the same path would only repeat it. */
    private readonly unusable = new Set<string>();
    private readonly trace: ((path: string) => void) | undefined;

    constructor(
        private readonly source: ConfigSource,
        readonly namespace: string,
        options: ReaderOptions = {},
    ) {
        this.trace = options.trace;
    }

    key(path: string): string {
        return `${this.namespace}:${path}`;
    }

    report(path: string, problem: string, fix: string): void {
        if (this.unusable.has(path)) return;
        this.issues.push({ key: this.key(path), problem, fix });
    }

    raw(key: string): string | undefined {
        this.trace?.(key);
        const value = this.source.get(key);
        return value === undefined || value === "" ? undefined : value;
    }

    /** A top-level structured setting, parsed from JSON; reports and returns undefined when absent or malformed. */
    private structured(key: string, fix: string, required: boolean): Json | undefined {
        const text = this.raw(key);
        if (text === undefined) {
            if (required) this.report(key, "is not set", fix);
            return undefined;
        }
        let parsed: Json;
        const sources = new WeakMap<object, Map<string, string>>();
        try {
            // The reviver sees each number's source text (Node >= 21), so a number JSON cannot hold exactly is
            // reported with the digits the user wrote, not the rounded value JavaScript keeps.
            const reviver = function (this: object, name: string, val: Json, context?: { source?: string }): Json {
                if (typeof val === "number" && context?.source !== undefined) {
                    const holder = sources.get(this) ?? new Map<string, string>();
                    holder.set(name, context.source);
                    sources.set(this, holder);
                }
                return val;
            };
            parsed = JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown) as Json;
        } catch {
            this.report(key, `is not a structured value (got ${JSON.stringify(text)})`, fix);
            return undefined;
        }
        this.reportInexactNumbers(key, parsed, sources);
        return this.traced(parsed, key);
    }

    /**
     * Numbers beyond what YAML and JSON carry exactly (integers past 2^53, such as a 20-digit project number) arrive
     * rounded, or in exponent form: refused at their own key, never used. Pulumi's CLI reads a stack file's big
     * integer as a Go int64/uint64 (or a float64 past that) and hands it to the program as JSON text
     * (pulumi/pulumi sdk/go/common/resource/config/object.go); JavaScript then keeps only 53 bits.
     */
    private reportInexactNumbers(path: string, value: Json, sources: WeakMap<object, Map<string, string>>): void {
        if (value === null || typeof value !== "object") return;
        for (const [name, child] of Object.entries(value)) {
            const at = Array.isArray(value) ? `${path}[${name}]` : `${path}.${name}`;
            if (typeof child === "number" && Number.isInteger(child) && !Number.isSafeInteger(child)) {
                const written = sources.get(value)?.get(name) ?? String(child);
                this.report(
                    at,
                    `is ${written}, a number beyond what YAML and JSON carry exactly (it would arrive as ${child})`,
                    `quote it in Pulumi.<stack>.yaml ("${written}") so it stays text`,
                );
                this.unusable.add(at);
            } else this.reportInexactNumbers(at, child, sources);
        }
    }

    /** The value itself, or (when tracing) a view of it that records every field the parser reads. */
    private traced(value: Json, path: string): Json {
        if (!this.trace || value === null || typeof value !== "object") return value;
        const trace = this.trace;
        const wrap = (v: Json, p: string): Json => {
            if (v === null || typeof v !== "object") return v;
            return new Proxy(v, {
                get(target, prop, receiver) {
                    const got: Json = Reflect.get(target, prop, receiver);
                    if (typeof prop !== "string" || prop === "toJSON") return got;
                    if (Array.isArray(target)) {
                        if (!/^\d+$/.test(prop)) return got;
                        trace(`${p}[${prop}]`);
                        return wrap(got, `${p}[${prop}]`);
                    }
                    if (!Object.hasOwn(target, prop) && prop in Object.prototype) return got;
                    trace(`${p}.${prop}`);
                    return wrap(got, `${p}.${prop}`);
                },
            });
        };
        return wrap(value, path);
    }

    /** A top-level object setting; reports and returns undefined when absent (if required) or malformed. */
    object(key: string, fix: string, required = true): JsonObject | undefined {
        const value = this.structured(key, fix, required);
        if (value === undefined) return undefined;
        if (!isJsonObject(value)) {
            this.report(key, `must be an object (got ${JSON.stringify(value)})`, fix);
            return undefined;
        }
        return value;
    }

    /** An optional top-level list setting; reports and returns undefined when malformed, undefined when absent. */
    list(key: string, fix: string): Json[] | undefined {
        const value = this.structured(key, fix, false);
        if (value === undefined) return undefined;
        if (!Array.isArray(value)) {
            this.report(key, "must be a list", fix);
            return undefined;
        }
        return value;
    }

    /**
     * A string setting that must match `pattern`: "is not set" when missing, "is not a string" for another type,
     * "is not <what> (got ...)" otherwise. Returns the value ("" when unusable) so parsing goes on and every
     * problem is reported at once.
     */
    matching(path: string, value: Json | undefined, pattern: RegExp, what: string, fix: string): string {
        const text = typeof value === "string" ? value : "";
        if (value === undefined || value === null || value === "") this.report(path, "is not set", fix);
        else if (typeof value !== "string") this.report(path, `is not a string (got ${JSON.stringify(value)})`, fix);
        else if (!pattern.test(text)) this.report(path, `is not ${what} (got ${JSON.stringify(value)})`, fix);
        return text;
    }

    /**
     * An optional string: undefined when absent (or null, YAML's empty value), the string otherwise; a number, a
     * boolean, a list or a mapping is reported as "is not a string", never silently replaced by the default.
     */
    text(path: string, value: Json | undefined, fix = "quote the value in Pulumi.<stack>.yaml"): string | undefined {
        if (value === undefined || value === null || value === "") return undefined;
        if (typeof value === "string") return value;
        this.report(path, `is not a string (got ${JSON.stringify(value)})`, fix);
        return undefined;
    }

    /**
     * A whole number within the spec's bounds, or the spec's default when unset. Ports, replica counts and
     * retention days are integers to ARM: 8080.5 is refused here, not by a failed deployment.
     */
    integer(path: string, value: Json | undefined, spec: ValueSpec<number>): number {
        const fallback = spec.default ?? 0;
        if (value === undefined || value === null) {
            if (spec.required === true) this.report(path, "is not set", `set ${this.key(path)} to a whole number from ${spec.min} to ${spec.max}`);
            return fallback;
        }
        const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
        const bounds = `${spec.min ?? "-∞"} to ${spec.max ?? "∞"}`;
        if (typeof n !== "number" || !Number.isInteger(n) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
            this.report(path, `must be a whole number from ${bounds} (got ${JSON.stringify(value)})`, `set ${this.key(path)} to a whole number from ${bounds}`);
            return fallback;
        }
        return n;
    }

    /** One of the spec's allowed values (compared exactly), or its default when unset. */
    oneOf<T extends Scalar>(path: string, value: Json | undefined, spec: ValueSpec<T>, fix?: string): T {
        const allowed = spec.allowed ?? [];
        if (value === undefined || value === null) {
            if (spec.default === undefined) this.report(path, "is not set", fix ?? `set ${this.key(path)} to one of ${allowed.join(", ")}`);
            return spec.default ?? (allowed[0] as T);
        }
        if (!allowed.includes(value as T)) {
            this.report(
                path,
                `must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`,
                fix ?? `set ${this.key(path)} to one of ${allowed.join(", ")}`,
            );
            return spec.default ?? (allowed[0] as T);
        }
        return value as T;
    }

    /** true or false (YAML booleans, or their text from a top-level key), the spec's default when unset. */
    boolean(path: string, value: Json | undefined, spec: ValueSpec<boolean>): boolean {
        return bool(this, path, value ?? undefined, spec.default ?? false);
    }

    /** A nested mapping: {} when absent, reported when another type, unknown fields refused. */
    fields(path: string, value: Json | undefined, spec: ObjectSpec, fix?: string): JsonObject {
        if (value === undefined || value === null) return {};
        if (!isJsonObject(value)) {
            this.report(path, `must be an object (got ${JSON.stringify(value)})`, fix ?? `write ${this.key(path)} as a YAML mapping`);
            return {};
        }
        this.onlyKnownFields(path, value, Object.keys(spec.fields));
        return value;
    }

    /** Reports fields that are not part of the schema (a typo like `appID` must not be silently ignored). */
    onlyKnownFields(path: string, obj: JsonObject, known: readonly string[]): void {
        for (const field of Object.keys(obj)) {
            if (!known.includes(field)) this.report(`${path}.${field}`, "is not a known setting", unknownKeyFix(this.key(path), field, known));
        }
    }

    /**
     * Refuses top-level keys nothing reads, from the source's list of every key the stack sets: a typo under the
     * project's namespace (`agentfed:contanerApp`) and a near-miss of the namespace itself (`agentfd:tenantId`)
     * are errors naming the closest known key. Provider namespaces are left to their providers; any other
     * namespace is reported as a warning, since a library or a policy may read it.
     */
    onlyKnownKeys(known: readonly string[]): void {
        const all = this.source.allKeys?.();
        if (!all) return;
        for (const full of all) {
            const colon = full.indexOf(":");
            const ns = colon < 0 ? this.namespace : full.slice(0, colon);
            const name = colon < 0 ? full : full.slice(colon + 1);
            if (ns === this.namespace) {
                if (!known.includes(name))
                    this.issues.push({ key: full, problem: "is not a known setting", fix: unknownKeyFix(`${this.namespace}:`, name, known) });
            } else if (PROVIDER_NAMESPACES.includes(ns)) {
                continue;
            } else if (closest(ns, [this.namespace]) !== undefined) {
                const near = closest(name, known);
                this.issues.push({
                    key: full,
                    problem: `is in namespace ${ns}, which nothing reads`,
                    fix: `did you mean ${this.key(near ?? name)}? The project's settings are in the ${this.namespace}: namespace`,
                });
            } else {
                this.warnings.push(`${full} is set, but nothing in this program reads the ${ns}: namespace; remove it unless a library of yours reads it.`);
            }
        }
    }
}

/** "did you mean <closest>?", or the list of known keys when none is close. */
export function unknownKeyFix(parent: string, field: string, known: readonly string[]): string {
    const near = closest(field, known);
    const at = (name: string) => (parent.endsWith(":") ? `${parent}${name}` : `${parent}.${name}`);
    if (near !== undefined) return `did you mean ${at(near)}? Rename the key`;
    return `remove it; the known settings ${parent.endsWith(":") ? `in ${parent}` : `under ${parent}`} are ${known.join(", ")}`;
}

/** A JSON mapping (not null, not a list). */
export function isJsonObject(value: Json | undefined): value is JsonObject {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function str(value: Json | undefined): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

export function bool(r: Reader, path: string, value: Json | string | undefined, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    r.report(path, `must be true or false (got ${JSON.stringify(value)})`, `set ${r.key(path)} to true or false`);
    return fallback;
}

/**
 * The one reader of a GUID-typed key (a tenant, object, application or subscription id): validated, then lowercased,
 * once, here. Entra writes ids in lowercase in every token (`tid`, `oid`, `sub`, `appid`, a v2 `aud`) and the
 * clouds compare what a contract pins byte for byte (a GCP CEL condition, an AWS provider URL and its condition
 * keys, a `principal://` member), while Entra and ARM accept an id in any case: a GUID written in capitals would be
 * accepted by every API and then match no token. Every consumer gets the lowercase form, so nothing pins the
 * spelling the user typed. `fix` replaces the default "set <key> to the <what> (a GUID)".
 */
export function guid(r: Reader, path: string, value: Json | undefined, what: string, fix?: string): string {
    const problem = guidProblem(value);
    if (problem !== undefined) r.report(path, problem, fix ?? `set ${r.key(path)} to the ${what} (a GUID)`);
    return typeof value === "string" ? normalizeGuid(value) : "";
}

/** A GUID as Entra writes it in tokens: lowercase. The normaliser `guid` applies; exported for what reads ids outside config. */
export function normalizeGuid(value: string): string {
    return value.toLowerCase();
}
