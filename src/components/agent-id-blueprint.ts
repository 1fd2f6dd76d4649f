import * as pulumi from "@pulumi/pulumi";
import { AgentIdentityBlueprint } from "../providers/agent-identity-blueprint-resource";
import { AgentIdentityBlueprintPrincipal } from "../providers/blueprint-principal-resource";

export interface AgentIdBlueprintArgs {
    /** Graph root (a national cloud's, or the global service's). */
    graphEndpoint: string;
    /** The Blueprint's display name; updated in place. */
    displayName: string;
    /** Its description. Default: none. */
    description?: string;
    /** Object ids of the accountable users; with `sponsorGroupIds`, at least one (Entra requires a sponsor). */
    sponsorUserIds: readonly string[];
    /** Object ids of the accountable groups. */
    sponsorGroupIds: readonly string[];
    /** App ID URIs the Blueprint exposes: those its config lists, and the Option 2 cloud-federation audiences of the agents on it. Default: none. */
    identifierUris?: readonly string[];
    /** Protect the Blueprint and its principal from deletion and replacement. */
    protect: boolean;
}

/**
 * An Entra Agent ID Blueprint the stack creates (create mode), with its Blueprint principal in this tenant: nobody
 * types its ids, every FIC, sidecar and Agent Identity takes them from here as Outputs. The principal is what Agent
 * Identities are created from ("AgentIdentity_AgentBlueprintPrincipalDoesNotExist" otherwise), so an Agent Identity
 * waits for `principal` (`dependsOn`). Both are protected with the identities: a recreated Blueprint has a new appId,
 * and every trust built on the old one breaks.
 */
export class AgentIdBlueprint extends pulumi.ComponentResource {
    /** The Blueprint's appId: the sidecar's AzureAd__ClientId, an Agent Identity's parent, a v2 token's aud. */
    public readonly appId: pulumi.Output<string>;
    /** The Blueprint's object id: what FICs and `/applications/{id}` paths address. */
    public readonly objectId: pulumi.Output<string>;
    /** The Blueprint principal's object id (the Blueprint in this tenant). */
    public readonly principalObjectId: pulumi.Output<string>;
    /** The principal resource: Agent Identities are created after it. */
    public readonly principal: AgentIdentityBlueprintPrincipal;

    constructor(name: string, args: AgentIdBlueprintArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:entra:AgentIdBlueprint", name, {}, opts);
        const child: pulumi.CustomResourceOptions = { parent: this, protect: args.protect };
        const blueprint = new AgentIdentityBlueprint(
            name,
            {
                graphEndpoint: args.graphEndpoint,
                displayName: args.displayName,
                ...(args.description ? { description: args.description } : {}),
                sponsorUserIds: [...args.sponsorUserIds],
                sponsorGroupIds: [...args.sponsorGroupIds],
                identifierUris: [...(args.identifierUris ?? [])],
            },
            child,
        );
        this.principal = new AgentIdentityBlueprintPrincipal(
            `${name}-principal`,
            { graphEndpoint: args.graphEndpoint, blueprintAppId: blueprint.appId },
            child,
        );
        this.appId = blueprint.appId;
        this.objectId = blueprint.objectId;
        this.principalObjectId = this.principal.objectId;
        this.registerOutputs({ appId: this.appId, objectId: this.objectId, principalObjectId: this.principalObjectId });
    }
}
