import type { CloudContract } from "../clouds";
import { EntraFicContract } from "./entra-fic";
import { PulumiOidcPolicyContract } from "./pulumi-oidc";

/**
 * Every deployed trust contract, as plain JSON. The `trustContracts` stack output is an array of these, so a
 * consumer (or the doctor) can check a token against exactly what was deployed: the Entra FICs, the CI bootstrap's
 * Pulumi Cloud policies, and each cloud federation's contract (src/clouds: a GCP provider, an AWS role, ...).
 */
export type TrustContract = EntraFicContract | PulumiOidcPolicyContract | CloudContract;

export type TrustContractKind = TrustContract["kind"];
