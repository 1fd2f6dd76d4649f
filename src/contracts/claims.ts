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

/** Time-window checks every verifier performs. `now` is seconds since the epoch. */
export function lifetimeProblems(claims: JwtClaims, now: number, skewSeconds: number, code: string): string[] {
    const problems: string[] = [];
    if (typeof claims.exp === "number" && claims.exp + skewSeconds <= now) {
        problems.push(`${code}: the token expired at ${new Date(claims.exp * 1000).toISOString()}`);
    }
    if (typeof claims.nbf === "number" && claims.nbf - skewSeconds > now) {
        problems.push(`${code}: the token is not valid before ${new Date(claims.nbf * 1000).toISOString()}`);
    }
    return problems;
}
