import * as pulumi from "@pulumi/pulumi";
import { CLOUDS, CloudStackOutputs } from "./clouds";
import { BlueprintKind, CLOUD_PRINCIPALS } from "./contracts";
import { AgentIdentityStackOutputs, CORE_OUTPUT_NAMES, STACK_OUTPUT_NAMES, StackOutputs } from "./outputs";

/**
 * The typed side of `StackReference` for consumer stacks: every output of an agentfed stack as an `Output` of its
 * declared type, checked when it resolves, so a consumer never casts `getOutput(...)` and a reference to the wrong
 * stack fails with the stack's name and the missing output instead of `undefined` flowing into a trust contract.
 *
 * ```ts
 * const agent = agentIdentityOutputs(new pulumi.StackReference("my-org/agentfed/prod"));
 * new authorization.RoleAssignment("agent-reads-blobs", { principalId: agent.uamiOid, principalType: "ServicePrincipal", ... });
 * ```
 */
export function agentIdentityOutputs(stack: pulumi.StackReference): StackOutputs {
    const entries = STACK_OUTPUT_NAMES.map((name) => [
        name,
        pulumi.all([stack.name, stack.getOutput(name)]).apply(([stackName, value]: [string, unknown]) => checkedOutput(stackName, name, value)),
    ]);
    return Object.fromEntries(entries) as StackOutputs;
}

/**
 * Outputs added after the first release, with the value a stack deployed before them means: every stack before
 * Option 2 federated its UAMI, and had no agent classes. Any other absent output is a nullable one, read as null.
 */
const ADDED_LATER: Partial<Record<keyof AgentIdentityStackOutputs, unknown>> = {
    cloudPrincipal: "uami",
    agentClasses: {},
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GUID_OUTPUTS: readonly (keyof AgentIdentityStackOutputs)[] = [
    "tenantId",
    "uamiOid",
    "uamiClientId",
    "blueprintAppId",
    "blueprintObjectId",
    "agentIdentityObjectId",
    "agentIdentityClientId",
];
/** Outputs whose value is an object: the classes, and each cloud federation's it declares (the AWS refresher's settings). */
const OBJECT_OUTPUTS: readonly (keyof AgentIdentityStackOutputs)[] = [
    "agentClasses",
    ...CLOUDS.flatMap((cloud): readonly (keyof CloudStackOutputs)[] => cloud.outputs.objects),
];
const ENUM_OUTPUTS: Partial<Record<keyof AgentIdentityStackOutputs, readonly string[]>> = {
    blueprintKind: ["agentIdentityBlueprint", "application"] satisfies BlueprintKind[],
    cloudPrincipal: CLOUD_PRINCIPALS,
};

/** Thrown when a referenced stack's output is absent or of the wrong shape: names the stack, the output and the fix. */
export class StackOutputError extends Error {
    constructor(stack: string, output: string, problem: string) {
        super(
            `Stack ${stack}: output ${output} ${problem}. Is the StackReference pointing at an agentfed stack ` +
                `(pulumi stack output --json -s ${stack}), and has that stack been deployed with \`pulumi up\`?`,
        );
        this.name = "StackOutputError";
    }
}

/**
 * A wrong value as a message may show it. Only an id or enum output's string is echoed (ids are no secret, and the
 * wrong one is what the reader must see); any other value is described by its type alone, since a reference to the
 * wrong stack, or an output such as kindServiceAccountSigningKey, may hold a credential, and a secret output arrives
 * here unwrapped.
 */
function shown(name: keyof AgentIdentityStackOutputs, value: unknown): string {
    const echoed = GUID_OUTPUTS.includes(name) || name in ENUM_OUTPUTS;
    if (typeof value === "string")
        return echoed ? JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value) : `a string of ${value.length} characters`;
    if (Array.isArray(value)) return "an array";
    return value === null ? "null" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function checkedOutput(stack: string, name: keyof AgentIdentityStackOutputs, value: unknown): unknown {
    if (value === undefined || value === null) {
        // A core output is absent only when the reference names another kind of stack.
        if ((CORE_OUTPUT_NAMES as readonly string[]).includes(name)) throw new StackOutputError(stack, name, "is missing");
        return name in ADDED_LATER ? (value ?? ADDED_LATER[name]) : null;
    }
    const shape = (ok: boolean, expected: string): unknown => {
        if (!ok) throw new StackOutputError(stack, name, `is not ${expected} (got ${shown(name, value)})`);
        return value;
    };
    if (GUID_OUTPUTS.includes(name)) return shape(typeof value === "string" && GUID.test(value), "a GUID");
    if (name === "trustContracts")
        return shape(Array.isArray(value) && value.every((c) => typeof (c as { kind?: unknown })?.kind === "string"), "a list of contracts");
    if (OBJECT_OUTPUTS.includes(name)) return shape(typeof value === "object" && !Array.isArray(value), "an object");
    const allowed = ENUM_OUTPUTS[name];
    if (allowed) return shape(typeof value === "string" && allowed.includes(value), `one of ${allowed.join(", ")}`);
    return shape(typeof value === "string", "a string");
}
