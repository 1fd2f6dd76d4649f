import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/gcp/iam";
import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { GcpSharedFederation } from "./shared-federation";
import { ExternalAccountCredentialConfig, externalAccountCredentialConfig, GcpProviderContract, gcpProviderContract, WorkloadSubject } from "../../contracts";

/** One agent's provider and service account in the shared pool. */
export interface GcpFederationSettings {
    /** Workload identity pool provider id: one per workload subject. A deleted id stays reserved for 30 days. */
    readonly providerId: string;
    /** Account id of the dedicated service account only the subject may impersonate. */
    readonly serviceAccountId: string;
    /** Project roles granted to the service account (the model's permissions). */
    readonly modelRoles: readonly string[];
}

export interface GcpFederationArgs {
    /** The workload subject the provider must accept; wire it from its source (e.g. `ManagedIdentity.workloadSubject`). */
    subject: pulumi.Input<WorkloadSubject>;
    /** The agent's provider id, service account and model roles. */
    settings: GcpFederationSettings;
    /** The stack's project, pool and APIs. */
    shared: GcpSharedFederation;
    /** Path of the subject-token file the token refresher writes, named in the credential configuration. */
    subjectTokenFile: string;
    /** Display name of the service account. Default: "agentfed agent (federated)". */
    serviceAccountDisplayName?: string;
    /** Protect the provider (its id stays reserved for 30 days after deletion). Default: true. */
    protect?: boolean;
}

/**
 * GCP workload identity federation for one agent's workload subject: an OIDC provider in the stack's shared pool
 * whose audiences and condition come from the subject, a dedicated service account only that subject may
 * impersonate, and the project roles the model needs. The contract is computed by the pure `gcpProviderContract`;
 * the resources register exactly that contract.
 */
export class GcpFederation extends pulumi.ComponentResource {
    /** Full provider resource name (projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>). */
    public readonly providerName: pulumi.Output<string>;
    /** Email of the service account the agent impersonates. */
    public readonly serviceAccountEmail: pulumi.Output<string>;
    /** The deployed contract, as plain JSON. */
    public readonly contract: pulumi.Output<GcpProviderContract>;
    /** The agent's `external_account` credential configuration (JSON text). */
    public readonly credentialConfig: pulumi.Output<string>;

    constructor(name: string, args: GcpFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:gcp:Federation", name, {}, opts);
        const s = args.settings;
        const shared = args.shared.settings;
        const protect = args.protect ?? true;
        const project = shared.projectId;
        const apis = args.shared.apis;
        const pool = args.shared.pool;

        // The service account's email is known before it exists; the contract does not wait for the account.
        const serviceAccountEmail = `${s.serviceAccountId}@${project}.iam.gserviceaccount.com`;
        this.contract = pulumi
            .output(args.subject)
            .apply((subject) =>
                gcpProviderContract({ projectNumber: shared.projectNumber, poolId: shared.poolId, providerId: s.providerId }, serviceAccountEmail, subject),
            );

        const provider = new iam.WorkloadIdentityPoolProvider(
            name,
            {
                project,
                workloadIdentityPoolId: pool.workloadIdentityPoolId,
                workloadIdentityPoolProviderId: s.providerId,
                displayName: s.providerId,
                description: "Trusts exactly one Entra workload subject. Managed by Pulumi (agentfed).",
                attributeMapping: this.contract.attributeMapping,
                attributeCondition: this.contract.attributeCondition,
                oidc: { issuerUri: this.contract.issuer, allowedAudiences: this.contract.allowedAudiences.apply((a) => [...a]) },
            },
            { parent: this, protect },
        );
        const account = new serviceaccount.Account(
            name,
            {
                project,
                accountId: s.serviceAccountId,
                displayName: args.serviceAccountDisplayName ?? "agentfed agent (federated)",
                description: "Impersonated by the agent's UAMI through workload identity federation.",
            },
            { parent: this, dependsOn: [...apis] },
        );
        // Only the one subject may impersonate the account: a principal://.../subject/<sub>, never a principalSet.
        new serviceaccount.IAMMember(
            `${name}-workload-identity-user`,
            { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member: this.contract.principal },
            { parent: this, dependsOn: [pool] },
        );
        // Named after the whole role (minus the predefined-role prefix), so two distinct roles never share a URN.
        for (const role of s.modelRoles) {
            new projects.IAMMember(`${name}-${role.replace(/^roles\//, "")}`, { project, role, member: account.member }, { parent: this });
        }

        this.providerName = pulumi.all([provider.name, this.contract]).apply(([, c]) => c.name);
        this.serviceAccountEmail = account.email;
        this.credentialConfig = this.contract.apply((c) =>
            JSON.stringify(externalAccountCredentialConfig(c, args.subjectTokenFile) satisfies ExternalAccountCredentialConfig, null, 2),
        );
        this.registerOutputs({
            providerName: this.providerName,
            serviceAccountEmail: this.serviceAccountEmail,
            contract: this.contract,
            credentialConfig: this.credentialConfig,
        });
    }
}
