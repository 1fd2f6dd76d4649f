import type { TrustContractKind } from "./trust-contract";

/**
 * The form of a token, checked before any claim: every verifier here refuses a token that no key signed, and no key
 * is needed to say so. The doctor decodes tokens without verifying them (it never sees the issuer's keys), so without
 * this rule an `alg: "none"` token with an empty signature would be "accepted" on its claims alone.
 *
 * What each verifier documents:
 * - OpenID Connect Core 1.0, section 2: "ID Tokens MUST be signed using JWS"; `none` (RFC 7518, section 3.6) is an
 *   Unsecured JWS, which the issuers here never produce.
 * - Microsoft Entra ("Important considerations and restrictions for federated identity credentials", Supported
 *   signing algorithms and issuers): "Only issuers that provide tokens signed using the RS256 algorithm are supported
 *   for token exchange using workload identity federation."
 * - GCP IAM (REST reference, WorkloadIdentityPoolProvider, `oidc.jwksJson`): the provider verifies against the
 *   issuer's JWKS, and "Currently, RSA and EC asymmetric keys are supported."
 * - AWS STS (What's New, 2024-11-20, "AWS STS support for ECDSA-based signatures of OIDC tokens"): the IdP signs the
 *   JWT with an RSA or ECDSA key from its JWKS.
 * So an unsigned token (`alg: "none"`, any spelling, or an empty signature), one without `alg`, and one signed with
 * a shared secret (HS256/384/512: a JWKS publishes public keys, never a shared secret) are refused by all of them.
 * Other asymmetric algorithms are left to the verifiers (Entra documents RS256 as the one it tested, not the only
 * one it accepts). Pure: no I/O.
 */
export interface TokenForm {
    /** The protected header's `alg`, as decoded (untrusted: any JSON value). */
    readonly alg: unknown;
    /** The third segment of the compact JWS, as given. */
    readonly signature: string;
}

/** Why no verifier here accepts a token of this form, or undefined. Never needs a key. */
export function tokenFormProblem(form: TokenForm): string | undefined {
    if (typeof form.alg !== "string" || form.alg === "")
        return `its header has no alg (RFC 7515, section 4.1.1, requires one), so nothing says how it was signed`;
    if (form.alg.toLowerCase() === "none") return `it is unsigned (alg ${JSON.stringify(form.alg)}: an Unsecured JWS, RFC 7518 section 3.6)`;
    if (form.signature === "") return `its signature is empty (alg ${JSON.stringify(form.alg)}, but nothing was signed)`;
    if (/^HS(256|384|512)$/i.test(form.alg)) {
        return `it is signed with a shared secret (alg ${JSON.stringify(form.alg)}), which no issuer publishes in its JWKS (public keys only)`;
    }
    return undefined;
}

/** The refusal in each verifier's own vocabulary. */
export function tokenFormReason(kind: TrustContractKind, problem: string): string {
    switch (kind) {
        case "entra-fic":
            return `Entra refuses the assertion: ${problem}; it verifies a federated token's signature with the issuer's published keys, and supports RS256`;
        case "gcp-provider":
            return `invalid_grant: ${problem}; GCP STS verifies an OIDC token's signature with the issuer's RSA or EC keys`;
        case "aws-role":
            return `InvalidIdentityToken: ${problem}; AWS STS verifies the token's signature with the OIDC provider's RSA or ECDSA keys`;
        case "pulumi-oidc-policy":
            return `invalid_request: ${problem}; Pulumi Cloud verifies an OIDC token's signature with the issuer's keys (OpenID Connect Core: ID tokens must be signed)`;
    }
}
