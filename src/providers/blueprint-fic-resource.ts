import * as pulumi from "@pulumi/pulumi";
import { blueprintFicProvider } from "./blueprint-fic-provider";

/** One provider instance, so Pulumi serializes its code once per program (dynamic provider caching). */
const provider = blueprintFicProvider();

export interface BlueprintFederatedIdentityCredentialArgs {
    /** Graph root, e.g. https://graph.microsoft.com. */
    graphEndpoint: pulumi.Input<string>;
    /** Object id of the Entra Agent ID Blueprint application. */
    blueprintObjectId: pulumi.Input<string>;
    /** Immutable FIC name; changing it replaces the FIC (delete first: issuer+subject must stay unique). */
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
    declare public readonly name: pulumi.Output<string>;
    declare public readonly issuer: pulumi.Output<string>;
    declare public readonly subject: pulumi.Output<string>;
    declare public readonly audiences: pulumi.Output<string[]>;

    constructor(name: string, args: BlueprintFederatedIdentityCredentialArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { credentialId: undefined, ...args }, { ...opts, deleteBeforeReplace: true }, "agentfed", "BlueprintFederatedIdentityCredential");
    }
}
