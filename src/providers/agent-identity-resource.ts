import * as pulumi from "@pulumi/pulumi";
import { agentIdCreationTag } from "../contracts";
import { agentIdentityProvider } from "./agent-identity-provider";

/** One provider instance, so Pulumi serializes its code once per program (dynamic provider caching). */
const provider = agentIdentityProvider();

export interface AgentIdentityArgs {
    /** Graph root. Default: https://graph.microsoft.com. */
    graphEndpoint?: pulumi.Input<string>;
    /**
     * The appId (client id) of the Blueprint the Agent Identity is created from, e.g. `AgentIdentityBlueprint.appId`;
     * not its object id. Changing it replaces the Agent Identity (a new object id).
     */
    blueprintAppId: pulumi.Input<string>;
    /** The Agent Identity's display name; updated in place. */
    displayName: pulumi.Input<string>;
    /**
     * Object ids of the users accountable for the Agent Identity. Entra requires at least one sponsor (users and groups
     * together) on an app-only create; changing them later needs AgentIdentity.ReadWrite.All.
     */
    sponsorUserIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** Object ids of accountable groups: Microsoft 365 or dynamic-membership groups, at most 5. Default: none. */
    sponsorGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** The tag that keys an idempotent create. Default: derived from the project, stack and resource name. */
    creationTag?: pulumi.Input<string>;
}

/**
 * An Entra Agent Identity (an `agentIdentity` service principal) created from a Blueprint, managed through Graph v1.0
 * by a dynamic provider: create (idempotent, by creation tag), read (refresh sees drift), rename and sponsor changes in
 * place, soft delete, import by object id. Create it after the Blueprint's principal (`dependsOn`), which Graph
 * requires. Protect it (`protect: true`) in real stacks: cloud conditions pin its object id.
 */
export class AgentIdentity extends pulumi.dynamic.Resource {
    /** The Agent Identity's object id (also the Pulumi id): what cloud conditions pin as `oid`. */
    declare public readonly objectId: pulumi.Output<string>;
    /** Its client id, always equal to objectId (Learn): the sidecar's `AgentIdentity=` value. */
    declare public readonly clientId: pulumi.Output<string>;
    /** The Blueprint's appId, as Graph holds it on the Agent Identity. */
    declare public readonly blueprintAppId: pulumi.Output<string>;
    declare public readonly displayName: pulumi.Output<string>;
    /** The sponsors' object ids (lower-case, sorted): read back from Graph when `sponsorsChecked`, else as declared. */
    declare public readonly sponsorIds: pulumi.Output<string[]>;
    /** Whether the last read listed the sponsors from Graph (needs AgentIdentity.ReadWrite.All). */
    declare public readonly sponsorsChecked: pulumi.Output<boolean>;
    /** Observed, never enforced: false once someone disabled the Agent Identity. */
    declare public readonly accountEnabled: pulumi.Output<boolean>;
    /** The creation tag written on the Agent Identity. */
    declare public readonly creationTag: pulumi.Output<string>;
    /** When this stack created the Agent Identity (ISO). */
    declare public readonly createdAt: pulumi.Output<string | undefined>;

    constructor(name: string, args: AgentIdentityArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                objectId: undefined,
                clientId: undefined,
                sponsorIds: undefined,
                sponsorsChecked: undefined,
                accountEnabled: undefined,
                createdAt: undefined,
                ...args,
                graphEndpoint: args.graphEndpoint ?? "https://graph.microsoft.com",
                creationTag: args.creationTag ?? agentIdCreationTag(pulumi.getProject(), pulumi.getStack(), "agentIdentity", name),
            },
            opts,
            "agentfed",
            "AgentIdentity",
        );
    }
}
