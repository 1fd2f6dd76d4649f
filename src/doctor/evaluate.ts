import {
    evaluateEntraFic,
    evaluatePulumiOidcPolicy,
    JwtClaims,
    TokenForm,
    tokenFormProblem,
    tokenFormReason,
    TrustContract,
    TrustContractKind,
} from "../contracts";
import { evaluateAwsRole } from "../verifiers/aws-sts";
import { evaluateGcpProvider } from "../verifiers/gcp-sts";

/** One contract's verdict on one token. */
export interface ContractVerdict {
    /** The contract's name (FIC name, provider, role). */
    readonly contract: string;
    readonly kind: TrustContractKind;
    readonly accepted: boolean;
    readonly reasons: readonly string[];
}

/** The subject a contract pins: a GCP contract's is the one its service account binds (`.../subject/<sub>`). */
export function pinnedSubject(contract: TrustContract): string {
    switch (contract.kind) {
        case "gcp-provider":
            return contract.principal.slice(contract.principal.indexOf("/subject/") + "/subject/".length);
        default:
            return contract.subject;
    }
}

/** A short, stable name for a contract in reports, ending with the subject it pins (`sub <subject>`). */
export function contractName(contract: TrustContract): string {
    const sub = `sub ${pinnedSubject(contract)}`;
    switch (contract.kind) {
        case "entra-fic":
            return `${contract.name} (FIC on ${contract.target.kind} ${contract.target.appId}) ${sub}`;
        case "gcp-provider":
            return `${contract.name} -> ${contract.serviceAccountEmail} ${sub}`;
        case "aws-role":
            return `${contract.roleArn} (${contract.mode} audience) ${sub}`;
        case "pulumi-oidc-policy":
            return `Pulumi Cloud ${contract.organization} ${contract.tokenType} token${contract.teamName ? ` for team ${contract.teamName}` : ""} ${sub}`;
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
        let verdict;
        switch (contract.kind) {
            case "entra-fic":
                verdict = evaluateEntraFic(contract, claims, now);
                break;
            case "gcp-provider":
                verdict = evaluateGcpProvider(contract, claims, now);
                break;
            case "aws-role":
                verdict = evaluateAwsRole(contract, claims, now);
                break;
            case "pulumi-oidc-policy":
                verdict = evaluatePulumiOidcPolicy(contract, claims, now);
                break;
        }
        const reasons = unsigned ? [tokenFormReason(contract.kind, unsigned), ...verdict.reasons] : verdict.reasons;
        return { contract: contractName(contract), kind: contract.kind, accepted: reasons.length === 0, reasons };
    });
}
