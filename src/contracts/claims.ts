/** The JWT claims the verifiers modelled here read. Values are `unknown` because tokens are untrusted input. */
export interface JwtClaims {
    readonly iss?: unknown;
    readonly sub?: unknown;
    readonly aud?: unknown;
    readonly tid?: unknown;
    readonly oid?: unknown;
    readonly exp?: unknown;
    readonly nbf?: unknown;
    readonly iat?: unknown;
    readonly [claim: string]: unknown;
}

/** Longest claim value a verdict quotes; a token is untrusted input, and a reason is a line a person reads. */
export const QUOTED_CLAIM_MAX = 120;

/** Text as a verdict quotes it: cut at QUOTED_CLAIM_MAX characters, with its full length said. */
export function clipped(text: string): string {
    return text.length <= QUOTED_CLAIM_MAX ? text : `${text.slice(0, QUOTED_CLAIM_MAX)}... (${text.length} characters)`;
}

/** A claim value of any type as a verdict quotes it: its JSON, clipped. */
export function quoted(value: unknown): string {
    return clipped(JSON.stringify(value) ?? String(value));
}

/** `aud` may be a string or an array of strings (RFC 7519 §4.1.3); anything else yields no audiences. */
export function audiencesOf(claims: JwtClaims): string[] {
    if (typeof claims.aud === "string") return [claims.aud];
    if (Array.isArray(claims.aud)) return claims.aud.filter((a): a is string => typeof a === "string");
    return [];
}

/** The outcome of checking one token against one contract, with every reason in the verifier's own vocabulary. */
export interface Verdict {
    readonly accepted: boolean;
    readonly reasons: readonly string[];
}

/** A JWT NumericDate (RFC 7519 §2): a JSON number of seconds since the epoch. Strings, NaN and infinities are not. */
function isNumericDate(value: unknown): value is number {
    return typeof value === "number" && Number.isFinite(value);
}

/** An instant for a message; a NumericDate beyond what a Date holds (±8.64e12 s) is printed as the number. */
function isoTime(seconds: number): string {
    const date = new Date(seconds * 1000);
    return Number.isNaN(date.getTime()) ? `${seconds} seconds since the epoch` : date.toISOString();
}

/**
 * Time-window checks every verifier performs. `now` is seconds since the epoch. `exp` is required: OpenID Connect
 * Core §2 makes it mandatory in ID tokens, Entra's client-assertion format lists it as required, and GCP STS names
 * `exp` (and `iat`) mandatory subject-token fields; a token without it, or with a value that is not a number, is
 * refused rather than treated as never expiring. `nbf` and `iat` are optional, but refused when not numbers.
 */
export function lifetimeProblems(claims: JwtClaims, now: number, skewSeconds: number, code: string): string[] {
    const problems: string[] = [];
    if (claims.exp === undefined) {
        problems.push(`${code}: the token has no exp claim; every verifier here requires one (a token that never expires is refused)`);
    } else if (!isNumericDate(claims.exp)) {
        problems.push(`${code}: exp ${JSON.stringify(claims.exp)} is not a number of seconds since the epoch (RFC 7519 NumericDate)`);
    } else if (claims.exp + skewSeconds <= now) {
        problems.push(`${code}: the token expired at ${isoTime(claims.exp)}`);
    }
    for (const claim of ["nbf", "iat"] as const) {
        const value = claims[claim];
        if (value !== undefined && !isNumericDate(value)) {
            problems.push(`${code}: ${claim} ${JSON.stringify(value)} is not a number of seconds since the epoch (RFC 7519 NumericDate)`);
        }
    }
    if (isNumericDate(claims.nbf) && claims.nbf - skewSeconds > now) {
        problems.push(`${code}: the token is not valid before ${isoTime(claims.nbf)}`);
    }
    return problems;
}
