import * as pulumi from "@pulumi/pulumi";
import { blueprintFicProvider } from "./blueprint-fic-provider";

/** One provider instance, so Pulumi serializes its code once per program (dynamic provider caching). */
const provider = blueprintFicProvider();

export interface BlueprintFederatedIdentityCredentialArgs {
    /** Graph root, e.g. https://graph.microsoft.com. */
    graphEndpoint: pulumi.Input<string>;
    /** Object id of the Entra Agent ID Blueprint application. */
    blueprintObjectId: pulumi.Input<string>;
    /** Immutable FIC name; changing it replaces the FIC, the new one created before the old one goes. */
    name: pulumi.Input<string>;
    issuer: pulumi.Input<string>;
    subject: pulumi.Input<string>;
    audiences: pulumi.Input<pulumi.Input<string>[]>;
    description?: pulumi.Input<string>;
}

/** A FIC on an Entra Agent ID Blueprint, managed through Graph beta by a dynamic provider. */
export class BlueprintFederatedIdentityCredential extends pulumi.dynamic.Resource {
    /** The id Graph assigned to the FIC. */
    declare public readonly credentialId: pulumi.Output<string>;
    /** When this stack created the FIC (ISO); read keeps a FIC this young in state while Entra replicates it. */
    declare public readonly createdAt: pulumi.Output<string | undefined>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly issuer: pulumi.Output<string>;
    declare public readonly subject: pulumi.Output<string>;
    declare public readonly audiences: pulumi.Output<string[]>;

    constructor(name: string, args: BlueprintFederatedIdentityCredentialArgs, opts?: pulumi.CustomResourceOptions) {
        // No deleteBeforeReplace: the provider creates the new FIC first (and swaps a rename that keeps issuer+subject
        // itself), so a failed create never leaves the Blueprint without its FIC.
        super(provider, name, { credentialId: undefined, createdAt: undefined, ...args }, opts, "agentfed", "BlueprintFederatedIdentityCredential");
    }
}
