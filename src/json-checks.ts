/**
 * Checks of untrusted JSON (a `pulumi stack output --json` file, a trust contract in it): each says what it expected
 * and what it got, never throws. The outputs reader and each cloud's contract kind use them.
 */

/** What a value is, for messages ("an array", "the string \"abc\""); long strings are cut. */
export function describe(value: unknown): string {
    if (value === undefined) return "nothing (it is missing)";
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** A check of one value: a problem ("must be ..., got ...") or undefined. */
export type Check = (value: unknown) => string | undefined;

export const nonEmptyString: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : `must be a non-empty string, got ${describe(v)}`);
export const stringArray: Check = (v) =>
    Array.isArray(v) && v.every((x) => typeof x === "string") ? undefined : `must be an array of strings, got ${describe(v)}`;
export const matching =
    (pattern: RegExp, what: string): Check =>
    (v) =>
        typeof v === "string" && pattern.test(v) ? undefined : `must be ${what}, got ${typeof v === "string" ? JSON.stringify(v) : describe(v)}`;
export const oneOf =
    (allowed: readonly string[]): Check =>
    (v) =>
        typeof v === "string" && allowed.includes(v) ? undefined : `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`;
export const stringRecord: Check = (v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string")
        ? undefined
        : `must be an object of strings, got ${describe(v)}`;
export const object: Check = (v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? undefined : `must be an object, got ${describe(v)}`);

/** The problems of each field `checks` names, as `<path>.<field> <problem>`. */
export function fieldProblems(value: Record<string, unknown>, path: string, checks: Record<string, Check>): string[] {
    return Object.entries(checks).flatMap(([key, check]) => {
        const problem = check(value[key]);
        return problem === undefined ? [] : [`${path}.${key} ${problem}`];
    });
}
