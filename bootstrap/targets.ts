import * as path from "node:path";
import { AWS_AUDIENCE_MODE_TABLE } from "../src/clouds/aws/audience-modes";
import { AgentIdCreationNeeds, awsOidcProviderUrl } from "../src/contracts";
import { createdBlueprintArgs } from "../src/stack-args";
import { ConfigError, parseStackConfig, StackConfig } from "../src/config";
import { readProjectName, readStackConfig } from "../src/plan/stack-files";

/**
 * What a CI identity may touch in one stack of the main project, derived from that stack's own configuration
 * (`Pulumi.<stack>.yaml`, parsed and validated by the main project's parser), so nothing is typed twice: the
 * resource group, the GCP project and the roles its service accounts grant, the AWS roles and OIDC provider, and
 * which Graph permissions its Entra objects need.
 */
export interface TargetStack {
    /** Stack name in the main project (`dev`, `prod`). */
    readonly name: string;
    /** The main project's name: Pulumi Cloud stack permissions name `<project>/<stack>`. */
    readonly project: string;
    readonly tenantId: string;
    /** Azure region of the stack's resources (its resource group is created in it). */
    readonly location: string;
    /** The stack's resource group: Azure RBAC is scoped to it. */
    readonly resourceGroup: { readonly name: string; readonly create: boolean };
    /** Identity resources are protected there (a production-like stack). */
    readonly protectIdentities: boolean;
    readonly entra: {
        /** Object ids of classic app registrations the stack adds FICs to: deploy identities own them. */
        readonly ownedApplicationObjectIds: readonly string[];
        /** The stack adds FICs to an Entra Agent ID Blueprint (needs the AgentIdentityBlueprint.* permission of each verb). */
        readonly usesAgentIdentityBlueprint: boolean;
        /** The stack creates the intermediary app for AWS and assigns its app role (Application.ReadWrite.OwnedBy, AppRoleAssignment.ReadWrite.All). */
        readonly createsIntermediaryApp: boolean;
        /** The Agent ID objects the stack creates (create mode): which rows of AGENT_ID_GRAPH_CALLS its deploys call. */
        readonly agentIdCreation: AgentIdCreationNeeds;
    };
    readonly gcp:
        | {
              readonly projectId: string;
              readonly projectNumber: string;
              /** Every model role the stack grants (primary agent and classes): the only roles a deploy may grant. */
              readonly grantedRoles: readonly string[];
              readonly enableApis: boolean;
          }
        | undefined;
    readonly aws:
        | {
              readonly accountId: string;
              /** The IAM OIDC provider the stack creates (`https://sts.windows.net/<tenant>/` or the v2 issuer). */
              readonly providerUrl: string;
              /** Every role the stack creates (primary agent and classes). */
              readonly roleNames: readonly string[];
          }
        | undefined;
}

/** Thrown with one message per problem; the bootstrap's parser reports them under the key that names the stack. */
export class TargetStackError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(problems.join("; "));
    }
}

/** Reads and validates `Pulumi.<stack>.yaml` of the main project in `mainDir`, and derives what CI may touch. */
export function loadTargetStack(stack: string, mainDir: string): TargetStack {
    let project: string;
    let config: StackConfig;
    try {
        project = readProjectName(mainDir);
        const raw = readStackConfig(stack, mainDir);
        config = parseStackConfig({ get: (key) => raw[`${project}:${key}`] }, project);
    } catch (err) {
        // Each problem keeps the main project's own fix: the bootstrap's message is read by whoever must edit that file.
        if (err instanceof ConfigError) throw new TargetStackError(err.issues.map((i) => `${i.key} ${i.problem} (fix: ${i.fix})`));
        throw new TargetStackError([(err as Error).message.replace(path.resolve(mainDir), "<main project>")]);
    }
    const blueprints = [config.blueprint, ...config.agentClasses.map((c) => c.blueprint)];
    const intermediary = config.aws !== undefined && AWS_AUDIENCE_MODE_TABLE[config.aws.audienceMode].intermediaryApp;
    return {
        name: stack,
        project,
        tenantId: config.tenantId,
        location: config.location,
        resourceGroup: config.resourceGroup,
        protectIdentities: config.protectIdentities,
        entra: {
            ownedApplicationObjectIds: [...new Set(blueprints.filter((b) => b.kind === "application").map((b) => b.objectId))],
            usesAgentIdentityBlueprint: blueprints.some((b) => b.kind === "agentIdentityBlueprint"),
            createsIntermediaryApp: intermediary,
            agentIdCreation: {
                blueprints: blueprints.some((b) => b.create !== undefined),
                agentIdentities: [config.primaryAgent, ...config.agentClasses].some((a) => a.agentIdentity?.create !== undefined),
                identifierUris: createdBlueprintArgs(config).some((b) => (b.args.identifierUris ?? []).length > 0),
            },
        },
        gcp: config.gcp && {
            projectId: config.gcp.projectId,
            projectNumber: config.gcp.projectNumber,
            grantedRoles: [...new Set([config.primaryAgent, ...config.agentClasses].flatMap((a) => a.gcp?.modelRoles ?? []))],
            enableApis: config.gcp.enableApis,
        },
        aws: config.aws && {
            accountId: config.aws.accountId,
            providerUrl: awsOidcProviderUrl(config.aws.audienceMode, config.tenantId),
            roleNames: [config.primaryAgent, ...config.agentClasses].flatMap((a) => (a.aws ? [a.aws.roleName] : [])),
        },
    };
}
