import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { BlueprintTarget, EntraFicContract, entraFicContract, WorkloadSubject } from "../contracts";
import { BlueprintFederatedIdentityCredential } from "../providers/blueprint-fic-resource";

export interface BlueprintFederationArgs {
    /** The Blueprint (or classic app registration) that trusts the workload. */
    blueprint: BlueprintTarget;
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

        this.contract = pulumi.output(args.subject).apply((subject) => entraFicContract(args.ficName, args.blueprint, subject));
        const childOpts: pulumi.CustomResourceOptions = { parent: this, protect: args.protect ?? true };

        if (args.blueprint.kind === "agentIdentityBlueprint") {
            const fic = new BlueprintFederatedIdentityCredential(
                name,
                {
                    graphEndpoint: args.graphEndpoint ?? "https://graph.microsoft.com",
                    blueprintObjectId: args.blueprint.objectId,
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
                    applicationId: `/applications/${args.blueprint.objectId}`,
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
