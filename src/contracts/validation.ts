/**
 * Small, pure validators shared by config parsing, the trust-contract builders and the Graph provider's `check`.
 * Each returns a problem description (or undefined); callers decide which config key or input to blame.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** C0 and C1 control characters and DEL: never part of a claim value a contract pins. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's whole purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * "is missing" for an absent or empty value, "is not a string (got ...)" for a number, boolean, list or mapping:
 * a value of the wrong type is named as such, not reported as absent. Undefined for a non-empty string.
 */
export function textProblem(value: unknown): string | undefined {
    if (value === undefined || value === null || value === "") return "is missing";
    if (typeof value !== "string") return `is not a string (got ${JSON.stringify(value)})`;
    return undefined;
}

/** The first control character of a string, as U+XXXX, or undefined. */
function controlCharacter(value: string): string | undefined {
    const found = CONTROL.exec(value)?.[0];
    return found === undefined ? undefined : `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Problems with a GUID-valued setting (tenant id, object id, app id). */
export function guidProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) return textProblem(value);
    if (value.trim() !== value) return `has leading or trailing whitespace (${JSON.stringify(value)})`;
    if (!GUID.test(value)) return `is not a GUID (got ${JSON.stringify(value)}; expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`;
    return undefined;
}

/**
 * Problems with an OIDC issuer URL. Verifiers compare `iss` byte for byte, so whitespace, a missing scheme or an
 * http:// scheme is never a cosmetic issue: the contract would never match a real token.
 */
export function issuerProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) return textProblem(value);
    if (/\s/.test(value)) return `contains whitespace (${JSON.stringify(value)}); issuers are compared byte for byte`;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return `is not an absolute URL (got ${JSON.stringify(value)})`;
    }
    if (url.protocol !== "https:") return `must use https:// (got ${JSON.stringify(value)}); OIDC discovery requires TLS`;
    if (url.search !== "" || url.hash !== "") return `must not carry a query or fragment (got ${JSON.stringify(value)})`;
    if (url.username !== "" || url.password !== "") return "must not carry credentials";
    return undefined;
}

/** Problems with a token subject a contract pins: never empty, never a wildcard, never padded. */
export function subjectProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0)
        return textProblem(value) === "is missing" ? "is empty; a contract must pin exactly one subject" : textProblem(value);
    if (value.trim() !== value) return `has leading or trailing whitespace (${JSON.stringify(value)})`;
    const control = controlCharacter(value);
    if (control) return `contains the control character ${control} (${JSON.stringify(value)}); subjects are compared byte for byte`;
    if (/[*?]/.test(value)) return `contains a wildcard (${JSON.stringify(value)}); Entra FICs and these contracts match subjects exactly`;
    return undefined;
}

/** Problems with an audience value a contract accepts. */
export function audienceProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) return textProblem(value) === "is missing" ? "is empty" : textProblem(value);
    if (value.trim() !== value || /\s/.test(value)) return `contains whitespace (${JSON.stringify(value)})`;
    const control = controlCharacter(value);
    if (control) return `contains the control character ${control} (${JSON.stringify(value)})`;
    if (/[*?]/.test(value)) return `contains a wildcard (${JSON.stringify(value)})`;
    return undefined;
}

/** Problems with a Kubernetes namespace: a DNS-1123 label (lowercase alphanumerics and '-', at most 63). */
export function dns1123LabelProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) return textProblem(value);
    if (value.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
        return `is not a DNS-1123 label (got ${JSON.stringify(value)}; lowercase letters, digits and '-', at most 63)`;
    }
    return undefined;
}

/** Problems with a Kubernetes object name such as a service account: a DNS-1123 subdomain (at most 253). */
export function dns1123SubdomainProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) return textProblem(value);
    if (value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
        return `is not a DNS-1123 subdomain (got ${JSON.stringify(value)}; lowercase letters, digits, '-' and '.')`;
    }
    return undefined;
}
