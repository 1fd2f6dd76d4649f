import * as pulumi from "@pulumi/pulumi";
import { agentIdCreationTag } from "../contracts";
import { agentIdentityBlueprintProvider } from "./agent-identity-blueprint-provider";

/** One provider instance, so Pulumi serializes its code once per program (dynamic provider caching). */
const provider = agentIdentityBlueprintProvider();

export interface AgentIdentityBlueprintArgs {
    /** Graph root. Default: https://graph.microsoft.com. */
    graphEndpoint?: pulumi.Input<string>;
    /** The Blueprint's display name (at most 256 characters); updated in place. */
    displayName: pulumi.Input<string>;
    /** Free text shown to users (at most 1,024 characters); updated in place. Default: none. */
    description?: pulumi.Input<string>;
    /**
     * Object ids of the users accountable for the Blueprint. Entra requires at least one sponsor (users and groups
     * together) on create; changing them later needs Application.ReadWrite.All (see AGENT_ID_GRAPH_CALLS).
     */
    sponsorUserIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** Object ids of accountable groups: Microsoft 365 or dynamic-membership groups, at most 5. Default: none. */
    sponsorGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * App ID URIs the Blueprint exposes, e.g. the Option 2 cloud-federation audience `api://<tenantId>/<name>`;
     * updated in place (AgentIdentityBlueprint.UpdateAuthProperties.All). Default: none.
     */
    identifierUris?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The tag that keys an idempotent create. Default: derived from the project, stack and resource name
     * (agentIdCreationTag); set it only to adopt a Blueprint another stack tagged.
     */
    creationTag?: pulumi.Input<string>;
}

/**
 * An Entra Agent ID Blueprint (an `agentIdentityBlueprint` application) managed through Graph v1.0 by a dynamic
 * provider: create (idempotent, by creation tag), read (refresh sees drift), update in place, soft delete, import by
 * object id (`pulumi import pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprint <name> <objectId>`). It never
 * replaces: every FIC, sidecar and Agent Identity names its appId. Protect it (`protect: true`) in real stacks.
 */
export class AgentIdentityBlueprint extends pulumi.dynamic.Resource {
    /** The Blueprint's object id (also the Pulumi id): what FICs and `/applications/{id}` paths name. */
    declare public readonly objectId: pulumi.Output<string>;
    /** The Blueprint's appId (client id): the sidecar's `AzureAd__ClientId`, the principal's and Agent Identities' parent. */
    declare public readonly appId: pulumi.Output<string>;
    declare public readonly displayName: pulumi.Output<string>;
    declare public readonly description: pulumi.Output<string | undefined>;
    /** The identifier URIs Graph holds. */
    declare public readonly identifierUris: pulumi.Output<string[]>;
    /** The sponsors' object ids (lower-case, sorted): read back from Graph when `sponsorsChecked`, else as declared. */
    declare public readonly sponsorIds: pulumi.Output<string[]>;
    /** Whether the last read listed the sponsors from Graph. */
    declare public readonly sponsorsChecked: pulumi.Output<boolean>;
    /** The creation tag written on the Blueprint. */
    declare public readonly creationTag: pulumi.Output<string>;
    /** When this stack created the Blueprint (ISO); read keeps it in state while Entra replicates it. */
    declare public readonly createdAt: pulumi.Output<string | undefined>;

    constructor(name: string, args: AgentIdentityBlueprintArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                objectId: undefined,
                appId: undefined,
                sponsorIds: undefined,
                sponsorsChecked: undefined,
                createdAt: undefined,
                ...args,
                graphEndpoint: args.graphEndpoint ?? "https://graph.microsoft.com",
                creationTag: args.creationTag ?? agentIdCreationTag(pulumi.getProject(), pulumi.getStack(), "blueprint", name),
            },
            opts,
            "agentfed",
            "AgentIdentityBlueprint",
        );
    }
}
