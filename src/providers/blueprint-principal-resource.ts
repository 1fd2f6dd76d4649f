import * as pulumi from "@pulumi/pulumi";
import { blueprintPrincipalProvider } from "./blueprint-principal-provider";

/** One provider instance, so Pulumi serializes its code once per program (dynamic provider caching). */
const provider = blueprintPrincipalProvider();

export interface AgentIdentityBlueprintPrincipalArgs {
    /** Graph root. Default: https://graph.microsoft.com. */
    graphEndpoint?: pulumi.Input<string>;
    /** The Blueprint's appId (client id), e.g. `AgentIdentityBlueprint.appId`; changing it replaces the principal. */
    blueprintAppId: pulumi.Input<string>;
}

/**
 * The Blueprint principal (`agentIdentityBlueprintPrincipal`) of an Agent ID Blueprint in this tenant, managed through
 * Graph v1.0 by a dynamic provider. Agent Identities can be created from a Blueprint only once it exists. Create adopts
 * the principal the Blueprint already has (there is one per appId); delete is a soft delete; import by object id.
 */
export class AgentIdentityBlueprintPrincipal extends pulumi.dynamic.Resource {
    /** The principal's object id (also the Pulumi id): the `oid` of the Blueprint's own tokens in this tenant. */
    declare public readonly objectId: pulumi.Output<string>;
    /** The Blueprint's appId, as Graph holds it on the principal. */
    declare public readonly appId: pulumi.Output<string>;
    declare public readonly displayName: pulumi.Output<string>;
    /** Observed, never enforced: false once someone disabled the principal. */
    declare public readonly accountEnabled: pulumi.Output<boolean>;
    /** When this stack created the principal (ISO). */
    declare public readonly createdAt: pulumi.Output<string | undefined>;

    constructor(name: string, args: AgentIdentityBlueprintPrincipalArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                objectId: undefined,
                appId: undefined,
                displayName: undefined,
                accountEnabled: undefined,
                createdAt: undefined,
                blueprintAppId: args.blueprintAppId,
                graphEndpoint: args.graphEndpoint ?? "https://graph.microsoft.com",
            },
            opts,
            "agentfed",
            "AgentIdentityBlueprintPrincipal",
        );
    }
}
