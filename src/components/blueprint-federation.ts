import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { BlueprintKind, EntraFicContract, entraFicContract, WorkloadSubject } from "../contracts";
import { BlueprintFederatedIdentityCredential } from "../providers/blueprint-fic-resource";

/** The Blueprint (or classic app registration) a FIC is added to; its ids may be outputs of resources in the same stack. */
export interface BlueprintTargetArgs {
    /** What the application is: an Entra Agent ID Blueprint (Graph beta) or a classic app registration (azuread). */
    readonly kind: BlueprintKind;
    /** The application (client) id: what the sidecar sends as `client_id` (AzureAd__ClientId). */
    readonly appId: pulumi.Input<string>;
    /** The application object id: what Graph paths address. */
    readonly objectId: pulumi.Input<string>;
}

export interface BlueprintFederationArgs {
    /** The Blueprint (or classic app registration) that trusts the workload. */
    blueprint: BlueprintTargetArgs;
    /** Graph root used for Agent ID Blueprints. Default: https://graph.microsoft.com. */
    graphEndpoint?: string;
    /** Immutable FIC name, unique on the Blueprint. */
    ficName: string;
    /** The workload subject the FIC must accept; wire it from its source (e.g. `ManagedIdentity.workloadSubject`). */
    subject: pulumi.Input<WorkloadSubject>;
    /** Description stored on the FIC. Default: none. */
    description?: string;
    /** Protect the FIC from deletion and replacement. Default: true. */
    protect?: boolean;
}

/**
 * One trust contract on the Entra side: a Federated Identity Credential that lets the workload authenticate as the
 * Blueprint without a secret. The contract is computed by the pure `entraFicContract` and the resource registers
 * exactly that contract, through Graph beta for an Agent ID Blueprint or `azuread` for a classic app.
 */
export class BlueprintFederation extends pulumi.ComponentResource {
    /** The FIC name. */
    public readonly ficName: pulumi.Output<string>;
    /** The FIC id assigned by Entra. */
    public readonly credentialId: pulumi.Output<string>;
    /** The deployed contract, as plain JSON. */
    public readonly contract: pulumi.Output<EntraFicContract>;

    constructor(name: string, args: BlueprintFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:entra:BlueprintFederation", name, {}, opts);

        const { kind, appId, objectId } = args.blueprint;
        this.contract = pulumi
            .all([args.subject, appId, objectId])
            .apply(([subject, app, object]) => entraFicContract(args.ficName, { kind, appId: app, objectId: object }, subject));
        const childOpts: pulumi.CustomResourceOptions = { parent: this, protect: args.protect ?? true };

        if (kind === "agentIdentityBlueprint") {
            const fic = new BlueprintFederatedIdentityCredential(
                name,
                {
                    graphEndpoint: args.graphEndpoint ?? "https://graph.microsoft.com",
                    blueprintObjectId: objectId,
                    name: args.ficName,
                    issuer: this.contract.issuer,
                    subject: this.contract.subject,
                    audiences: this.contract.audiences.apply((a) => [...a]),
                    ...(args.description ? { description: args.description } : {}),
                },
                childOpts,
            );
            this.credentialId = fic.credentialId;
        } else {
            const fic = new azuread.ApplicationFederatedIdentityCredential(
                name,
                {
                    applicationId: pulumi.interpolate`/applications/${objectId}`,
                    displayName: args.ficName,
                    issuer: this.contract.issuer,
                    subject: this.contract.subject,
                    audiences: this.contract.audiences.apply((a) => [...a]),
                    ...(args.description ? { description: args.description } : {}),
                },
                { ...childOpts, deleteBeforeReplace: true },
            );
            this.credentialId = fic.credentialId;
        }
        this.ficName = pulumi.output(args.ficName);

        this.registerOutputs({ ficName: this.ficName, credentialId: this.credentialId, contract: this.contract });
    }
}
