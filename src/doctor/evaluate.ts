import { evaluateEntraFic, JwtClaims, TrustContract, TrustContractKind } from "../contracts";
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

/** A short, stable name for a contract in reports. */
export function contractName(contract: TrustContract): string {
    switch (contract.kind) {
        case "entra-fic":
            return `${contract.name} (FIC on ${contract.target.kind} ${contract.target.appId})`;
        case "gcp-provider":
            return contract.name;
        case "aws-role":
            return `${contract.roleArn} (${contract.mode} audience)`;
    }
}

/**
 * Checks a token's claims against every contract, each with its verifier's own semantics (see each evaluator).
 * `now` is seconds since the epoch.
 */
export function evaluateContracts(contracts: readonly TrustContract[], claims: JwtClaims, now: number): ContractVerdict[] {
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
        }
        return { contract: contractName(contract), kind: contract.kind, accepted: verdict.accepted, reasons: verdict.reasons };
    });
}
