/**
 * The cloud federations, listed once. Adding one is a folder beside these (its config, contract kind, mocks, outputs
 * and components, behind `CloudDefinition`) and one entry here; the config parser, the configuration reference, the
 * stack, its outputs, the offline plan's mocks, the doctor and the outputs reader all iterate this list, and the types
 * below carry each cloud's settings, contract and outputs to the compiler.
 */
import type { TrustContract } from "../contracts";
import type { CloudDefinition } from "./cloud";
import { aws } from "./aws";
import { gcp } from "./gcp";

/** Every cloud federation, in the order their keys, resources, contracts and outputs appear. */
export const CLOUDS = [gcp, aws] as const;

type Cloud = (typeof CLOUDS)[number];
/** A cloud federation's id (`gcp`, `aws`). */
export type CloudId = Cloud["id"];
type TypesOf<C> = C extends CloudDefinition<string, infer T> ? T : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Each cloud's shared settings, by id: `StackConfig.gcp`, `StackConfig.aws`. */
export type CloudSharedConfigs = { readonly [C in Cloud as C["id"]]: TypesOf<C>["shared"] | undefined };
/** Each cloud's per-agent settings, by id: `AgentConfig.gcp`, `AgentConfig.aws`. */
export type CloudAgentConfigs = { readonly [C in Cloud as C["id"]]: TypesOf<C>["agent"] | undefined };
/** The trust contracts the clouds deploy. */
export type CloudContract = TypesOf<Cloud>["contract"];

// Every cloud's contract is a TrustContract: the union lives with the pure contract code (src/contracts), the layer
// nothing there imports back from, so a new cloud's contract type joins it there; this line fails to compile until it does.
type UnlistedContract = Exclude<CloudContract, TrustContract>;
const _everyCloudContractIsATrustContract: [UnlistedContract] extends [never] ? true : UnlistedContract = true;
void _everyCloudContractIsATrustContract;
/** The outputs the clouds add to an agent class's entry. */
export type CloudAgentOutputs = UnionToIntersection<TypesOf<Cloud>["agentOutputs"]>;
/** The outputs the clouds add to the stack's top level. */
export type CloudStackOutputs = UnionToIntersection<TypesOf<Cloud>["stackOutputs"]>;

/** The cloud whose contract kind this is, if any. */
export function cloudOfContract(kind: string): (typeof CLOUDS)[number] | undefined {
    return CLOUDS.find((c) => c.contract.kind === kind);
}
