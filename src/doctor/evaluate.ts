import {
    blueprintTokenDiagnosis,
    evaluateAgentIdentityToken,
    evaluateEntraFic,
    evaluatePulumiOidcPolicy,
    JwtClaims,
    TokenForm,
    tokenFormProblem,
    tokenFormReason,
    TrustContract,
    TrustContractKind,
} from "../contracts";
import { CLOUDS } from "../clouds";
import type { CloudContractKind } from "../clouds/cloud";
import type { DeclaredIdentities } from "./inputs";

/** One contract's verdict on one token. */
export interface ContractVerdict {
    /** The contract's name (FIC name, provider, role). */
    readonly contract: string;
    readonly kind: TrustContractKind;
    readonly accepted: boolean;
    readonly reasons: readonly string[];
}

/** The cloud federation's contract kind a contract belongs to, if it is a cloud's (src/clouds). */
function cloudKind(contract: TrustContract): CloudContractKind<TrustContract> | undefined {
    // The kind matched, so the contract is of that cloud's type (a correlation TypeScript cannot follow by kind).
    return CLOUDS.find((cloud) => cloud.contract.kind === contract.kind)?.contract as unknown as CloudContractKind<TrustContract> | undefined;
}

/** The subject a contract pins: a GCP contract's is the one its service account binds (`.../subject/<sub>`). */
export function pinnedSubject(contract: TrustContract): string {
    const cloud = cloudKind(contract);
    if (cloud) return cloud.pinnedSubject(contract);
    return "subject" in contract ? contract.subject : "";
}

/** A short, stable name for a contract in reports, ending with the subject it pins (`sub <subject>`). */
export function contractName(contract: TrustContract): string {
    const sub = `sub ${pinnedSubject(contract)}`;
    const cloud = cloudKind(contract);
    if (cloud) return `${cloud.name(contract)} ${sub}`;
    switch (contract.kind) {
        case "entra-fic":
            return `${contract.name} (FIC on ${contract.target.kind} ${contract.target.appId}) ${sub}`;
        case "pulumi-oidc-policy":
            return `Pulumi Cloud ${contract.organization} ${contract.tokenType} token${contract.teamName ? ` for team ${contract.teamName}` : ""} ${sub}`;
        default:
            return `${contract.kind} ${sub}`;
    }
}

/**
 * Checks a token's claims against every contract, each with its verifier's own semantics (see each evaluator).
 * `now` is seconds since the epoch. `form` (the header's alg and the signature, when a whole token was given) is
 * checked first: every verifier refuses a token no key signed (see tokenFormProblem), whatever its claims say.
 */
export function evaluateContracts(contracts: readonly TrustContract[], claims: JwtClaims, now: number, form?: TokenForm): ContractVerdict[] {
    const unsigned = form ? tokenFormProblem(form) : undefined;
    return contracts.map((contract) => {
        const cloud = cloudKind(contract);
        const verdict = cloud
            ? cloud.evaluate(contract, claims, now)
            : contract.kind === "entra-fic"
              ? evaluateEntraFic(contract, claims, now)
              : contract.kind === "pulumi-oidc-policy"
                ? evaluatePulumiOidcPolicy(contract, claims, now)
                : { accepted: false, reasons: [`contract kind ${contract.kind} has no verifier in this version`] };
        const reasons = unsigned ? [tokenFormReason(contract.kind, unsigned), ...verdict.reasons] : verdict.reasons;
        return { contract: contractName(contract), kind: contract.kind, accepted: reasons.length === 0, reasons };
    });
}

/** One declared Agent Identity's verdict on a token a downstream API would receive. */
export interface AgentIdentityVerdict {
    /** The agent and its Agent Identity, for reports. */
    readonly identity: string;
    readonly accepted: boolean;
    readonly reasons: readonly string[];
}

/**
 * The third leg: the token against each Agent Identity the stack declares (`evaluateAgentIdentityToken`), and, when it
 * was issued to one of the stack's Blueprints itself, the diagnosis naming the cause and the fix.
 */
export function evaluateAgentIdentities(
    declared: DeclaredIdentities,
    claims: JwtClaims,
    now: number,
    apiAudiences: readonly string[],
    form?: TokenForm,
): { agentIdentities: AgentIdentityVerdict[]; diagnosis: string | undefined } {
    const unsigned = form ? tokenFormProblem(form) : undefined;
    const agentIdentities = declared.agentIdentities.map((identity) => {
        const verdict = evaluateAgentIdentityToken(identity, claims, now, apiAudiences);
        const reasons = unsigned ? [`an API refuses it: ${unsigned}`, ...verdict.reasons] : verdict.reasons;
        return {
            identity: `${identity.agent}: Agent Identity ${identity.clientId} (oid ${identity.objectId}) under Blueprint ${identity.blueprintAppId}`,
            accepted: reasons.length === 0,
            reasons,
        };
    });
    return { agentIdentities, diagnosis: blueprintTokenDiagnosis(declared.blueprints, claims) };
}
