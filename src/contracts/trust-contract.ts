import { EntraFicContract } from "./entra-fic";
import { GcpProviderContract } from "./gcp-provider";
import { AwsRoleContract } from "./aws-role";
import { PulumiOidcPolicyContract } from "./pulumi-oidc";

/**
 * Every deployed trust contract, as plain JSON. The `trustContracts` stack output is an array of these, so a
 * consumer (or the doctor) can check a token against exactly what was deployed. The union grows with each cloud.
 */
export type TrustContract = EntraFicContract | GcpProviderContract | AwsRoleContract | PulumiOidcPolicyContract;

export type TrustContractKind = TrustContract["kind"];
