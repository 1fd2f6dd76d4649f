import { entraV2Issuer, TOKEN_EXCHANGE_APP_ID } from "./constants";
import type { GitHubClaims } from "./github-actions";
import { audienceProblem, dns1123LabelProblem, dns1123SubdomainProblem, guidProblem, issuerProblem, subjectProblem } from "./validation";

/** Where a workload's JWT comes from. It decides how the subject is computed, never how it is matched. */
export type WorkloadSubjectSource = "uami" | "kubernetes-service-account" | "agent-identity" | "github-actions" | "external";

/**
 * A workload subject: the three claims every trust contract in this system is a function of.
 * Computed once, from the identity source, and passed to every contract that must accept it.
 */
export interface WorkloadSubject {
    /** What kind of identity mints the token. */
    readonly source: WorkloadSubjectSource;
    /** The exact `iss` claim of the token (compared byte for byte by every verifier). */
    readonly issuer: string;
    /**
     * The exact `sub` claim of the token. For a UAMI this is its object id (principalId); for an Agent Identity
     * (Option 2) its object id, which app-only tokens carry in both `sub` and `oid`.
     */
    readonly subject: string;
    /**
     * The `aud` values the token may carry on the wire (not necessarily the string the workload requested). Several
     * values mean one audience in several spellings (URI and appId), never several recipients.
     */
    readonly audiences: readonly string[];
    /** The Entra tenant (`tid` claim) when the issuer is Entra; contracts pin it alongside the subject. */
    readonly tenantId?: string;
    /** For a GitHub Actions job: the immutable repository ids and the environment, which contracts may pin besides `sub`. */
    readonly github?: GitHubClaims;
}

/** Thrown when a workload subject or a contract would be built from values no verifier could ever match. */
export class TrustContractError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "TrustContractError";
    }
}

function assertValid(what: string, problem: string | undefined): void {
    if (problem !== undefined) throw new TrustContractError(`${what} ${problem}`);
}

/**
 * The subject of a user-assigned managed identity's token for `api://AzureADTokenExchange`, as seen on the wire:
 * v2.0 Entra issuer, `sub` = the UAMI object id, `aud` = the token-exchange appId GUID (Rais, "Entra Agent ID Across Clouds", Part 2).
 */
export function uamiWorkloadSubject(tenantId: string, uamiObjectId: string): WorkloadSubject {
    assertValid("UAMI tenant id", guidProblem(tenantId));
    assertValid("UAMI object id (principalId)", guidProblem(uamiObjectId));
    return {
        source: "uami",
        issuer: entraV2Issuer(tenantId),
        subject: uamiObjectId,
        audiences: [TOKEN_EXCHANGE_APP_ID],
        tenantId,
    };
}

/** The subject of a Kubernetes projected service-account token: `system:serviceaccount:<namespace>:<name>`. */
export function kubernetesServiceAccountSubject(issuer: string, namespace: string, serviceAccountName: string, audiences: readonly string[]): WorkloadSubject {
    assertValid("Service-account issuer", issuerProblem(issuer));
    assertValid("Kubernetes namespace", dns1123LabelProblem(namespace));
    assertValid("Kubernetes service account", dns1123SubdomainProblem(serviceAccountName));
    audiences.forEach((a) => assertValid("Service-account token audience", audienceProblem(a)));
    return {
        source: "kubernetes-service-account",
        issuer,
        subject: `system:serviceaccount:${namespace}:${serviceAccountName}`,
        audiences: [...audiences],
    };
}

/** A subject given literally (GitHub Actions, another cluster...), validated like every other one. */
export function externalWorkloadSubject(issuer: string, subject: string, audiences: readonly string[]): WorkloadSubject {
    assertValid("Issuer", issuerProblem(issuer));
    assertValid("Subject", subjectProblem(subject));
    if (audiences.length === 0) throw new TrustContractError("Audiences must list at least one value");
    audiences.forEach((a) => assertValid("Audience", audienceProblem(a)));
    return { source: "external", issuer, subject, audiences: [...audiences] };
}
