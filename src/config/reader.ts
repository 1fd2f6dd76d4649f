import { guidProblem } from "../contracts";
import { ConfigIssue } from "./errors";

/** Where raw config values come from: `pulumi.Config` in a deployment, a plain object in tests and the plan. */
export interface ConfigSource {
    /** The raw string value of `<namespace>:<key>`, or undefined when unset. Objects arrive as JSON text. */
    get(key: string): string | undefined;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Collects issues while reading, so every problem is reported in one error. */
export class Reader {
    readonly issues: ConfigIssue[] = [];
    constructor(
        private readonly source: ConfigSource,
        readonly namespace: string,
    ) {}

    key(path: string): string {
        return `${this.namespace}:${path}`;
    }

    report(path: string, problem: string, fix: string): void {
        this.issues.push({ key: this.key(path), problem, fix });
    }

    raw(key: string): string | undefined {
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
        try {
            return JSON.parse(text) as Json;
        } catch {
            this.report(key, `is not a structured value (got ${JSON.stringify(text)})`, fix);
            return undefined;
        }
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
     * A string setting that must match `pattern`: "is not set" when missing, "is not <what> (got ...)" otherwise.
     * Returns the value ("" when missing) so parsing goes on and every problem is reported at once.
     */
    matching(path: string, value: Json | undefined, pattern: RegExp, what: string, fix: string): string {
        const text = typeof value === "string" ? value : "";
        if (value === undefined || value === null || value === "") this.report(path, "is not set", fix);
        else if (!pattern.test(text)) this.report(path, `is not ${what} (got ${JSON.stringify(value)})`, fix);
        return text;
    }

    /** Reports fields that are not part of the schema (a typo like `appID` must not be silently ignored). */
    onlyKnownFields(path: string, obj: JsonObject, known: readonly string[]): void {
        for (const field of Object.keys(obj)) {
            if (!known.includes(field)) {
                const near = known.find((k) => k.toLowerCase() === field.toLowerCase());
                this.report(
                    `${path}.${field}`,
                    "is not a known setting",
                    near ? `rename it to ${this.key(`${path}.${near}`)}` : `remove it; known settings under ${this.key(path)} are ${known.join(", ")}`,
                );
            }
        }
    }
}

/** A JSON mapping (not null, not a list). */
export function isJsonObject(value: Json | undefined): value is JsonObject {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function str(value: Json | undefined): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

export function bool(r: Reader, path: string, value: Json | string | undefined, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    r.report(path, `must be true or false (got ${JSON.stringify(value)})`, `set ${r.key(path)} to true or false`);
    return fallback;
}

export function guid(r: Reader, path: string, value: Json | undefined, what: string): string {
    const problem = guidProblem(value);
    if (problem !== undefined) r.report(path, problem, `set ${r.key(path)} to the ${what} (a GUID)`);
    return typeof value === "string" ? value : "";
}

/** An image reference pinned to a tag other than `latest`, or to a digest. */
export function imageProblem(image: unknown): string | undefined {
    if (typeof image !== "string" || image === "") return "is not set";
    if (/\s/.test(image)) return `contains whitespace (${JSON.stringify(image)})`;
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
    const lastSegment = image.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
    if (!tag) return `is not pinned (got ${JSON.stringify(image)}); add a tag or a digest`;
    if (tag === "latest") return `uses the mutable tag latest (got ${JSON.stringify(image)}); pin a version or a digest`;
    return undefined;
}
