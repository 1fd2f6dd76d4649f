/**
 * The one interface a cloud federation implements (GCP, AWS, the next one): its configuration, its trust contract's
 * kind as the doctor and the outputs reader check it, what the offline plan's mocks answer for its resources, its
 * stack outputs, and (loaded only when a stack is built) its Pulumi side. Each cloud lives in its own folder under
 * src/clouds/ and is listed once, in src/clouds/index.ts; everything else iterates that list.
 *
 * Type-only imports: this file is read by pure code (the config parser, the doctor) and by the components alike.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { JwtClaims, Verdict } from "../contracts";
import type { AgentCloud, AgentCloudFederation } from "../components/agent";
import type { SharedCloud } from "../components/shared-infrastructure";
import type { JsonObject, Reader } from "../config/reader";
import type { ObjectSpec } from "../config/spec";

/** A message and its fix, as the config parser reports them. */
export interface ConfigProblem {
    readonly problem: string;
    readonly fix: string;
}

/** The cloud's configuration: `agentfed:<id>` (shared keys and the primary agent's) and `agentClasses[].<id>`. */
export interface CloudConfig<Shared, Agent> {
    /** `agentfed:<id>`: the shared keys (`scope: "shared"`) and the primary agent's (`scope: "agent"`). */
    readonly keys: ObjectSpec;
    /** `agentClasses[].<id>`: one class's keys. */
    readonly classKeys: ObjectSpec;
    /** Parses `agentfed:<id>`: the shared settings, the primary agent's principal when its keys are set, and warnings. */
    readonly parse: (r: Reader, tenantId: string) => { shared: Shared | undefined; primary: Agent | undefined; warnings: readonly string[] };
    /** Parses one class's section at `path` (`agentClasses[i].<id>`), given the stack's shared settings (undefined: unset). */
    readonly parseClass: (r: Reader, path: string, value: JsonObject, shared: Shared | undefined) => Agent;
    /** Values no two agents of a stack may share (a provider id, a role name), by field under the agent's section. */
    readonly uniqueValues: (agent: Agent) => readonly { readonly field: string; readonly value: string; readonly what: string }[];
    /** Why an Option 2 agent cannot federate to this cloud with these shared settings; undefined: it can. */
    readonly option2Problem: (r: Reader, shared: Shared) => ConfigProblem | undefined;
    /** The cloud pins the `sub` of the Agent Identity's tokens (it has no `oid` key), so Option 2 needs `tokenSubject`. */
    readonly pinsTokenSubject: boolean;
    /** An audience of the stack's own that Option 2 agents request for this cloud (the AWS intermediary app's), if any. */
    readonly option2Audience: (shared: Shared) => { readonly key: string; readonly uri: string; readonly label: string; readonly fix: string } | undefined;
    /** What a section holding only shared keys, with no agent federating, is told to set (`providerId and serviceAccountId`). */
    readonly primaryKeysHint: string;
}

/** The cloud's trust contract, as the doctor evaluates it and the outputs reader checks it. */
export interface CloudContractKind<Contract extends { readonly kind: string }> {
    readonly kind: Contract["kind"];
    /** Every problem with a contract read from a stack's outputs, each naming its JSON path. */
    readonly problems: (contract: Readonly<Record<string, unknown>>, path: string) => string[];
    /** Whether the cloud's verifier accepts the token's claims, and why not. */
    readonly evaluate: (contract: Contract, claims: JwtClaims, now: number) => Verdict;
    /** A short, stable name for reports (without the pinned subject). */
    readonly name: (contract: Contract) => string;
    /** The subject the contract pins. */
    readonly pinnedSubject: (contract: Contract) => string;
}

/** What the offline plan's mocks need to stand in for the cloud. */
export interface CloudMocks {
    /**
     * Binds the mocks to what the account the plan deploys to knows, read from the project's `<project>:<id>` section
     * (JSON text, or undefined): the returned function answers for the cloud's resource types, undefined for others.
     */
    readonly bind: (
        section: string | undefined,
        tools: MockTools,
    ) => (type: string, name: string, inputs: Record<string, unknown>) => MockedResource | undefined;
}

/** What the mocks offer a cloud: deterministic placeholders for values only the cloud assigns, each recorded with its meaning. */
export interface MockTools {
    readonly placeholder: (type: string, name: string, field: string, meaning: string) => string;
    readonly note: (value: string, meaning: string) => void;
    /** The text of a mocked input: strings as they are, anything else as JSON. */
    readonly text: (value: unknown) => string;
}

export interface MockedResource {
    readonly id: string;
    readonly state: Record<string, unknown>;
}

/** The cloud's Pulumi side for one stack: its shared parts (built by `SharedInfrastructure`) and each agent's principal. */
export interface StackCloud<Agent> extends SharedCloud {
    /** One agent's principal in this cloud, from the agent's settings there (undefined: it does not federate to it). */
    forAgent(agent: Agent | undefined, label: AgentLabel): AgentCloud | undefined;
    /** The cloud's top-level stack outputs: the shared parts' and the primary agent's (`primary`, undefined: none here). */
    stackOutputs(primary: AgentCloudFederation | undefined): Readonly<Record<string, pulumi.Output<unknown>>>;
}

/** What names an agent beyond its settings: the class name (undefined for the primary agent). */
export interface AgentLabel {
    readonly className: string | undefined;
}

/** The cloud's Pulumi side. */
export interface CloudFederation<Shared, Agent> {
    /**
     * The cloud's part of a stack, from its shared settings and each agent's settings there (the primary agent's
     * first); undefined when no agent federates to it.
     */
    forStack(shared: Shared | undefined, agents: readonly (Agent | undefined)[]): StackCloud<Agent> | undefined;
}

/**
 * A cloud federation. `Types` carries the types the cloud contributes (never set at run time): its shared and
 * per-agent settings, its contract, and the stack outputs it adds for an agent and for the stack.
 */
export interface CloudDefinition<
    Id extends string,
    Types extends { shared: unknown; agent: unknown; contract: { readonly kind: string }; agentOutputs: object; stackOutputs: object },
> {
    readonly id: Id;
    /** Names the cloud in messages and docs ("GCP"). */
    readonly label: string;
    readonly config: CloudConfig<Types["shared"], Types["agent"]>;
    readonly contract: CloudContractKind<Types["contract"]>;
    readonly mocks: CloudMocks;
    /**
     * The names of the outputs the cloud adds to each agent class's entry and to the stack's top level; `objects` names
     * the top-level ones whose value is an object (the others are strings), for the typed reader of consumer stacks.
     */
    readonly outputs: {
        readonly agent: readonly (keyof Types["agentOutputs"] & string)[];
        readonly stack: readonly (keyof Types["stackOutputs"] & string)[];
        readonly objects: readonly (keyof Types["stackOutputs"] & string)[];
    };
    /** The Pulumi side, loaded on first use: the CLIs that read the definitions (the doctor, the docs) never load the Pulumi SDK. */
    federation(): CloudFederation<Types["shared"], Types["agent"]>;
    readonly types?: Types;
}
