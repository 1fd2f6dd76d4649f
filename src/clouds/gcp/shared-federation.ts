import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/gcp/iam";
import * as projects from "@pulumi/gcp/projects";

/** The project and the pool every agent's GCP provider lives in. */
export interface GcpSharedSettings {
    /** Project id (e.g. `contoso-agents-prod`): where the pool, the providers and the service accounts are created. */
    readonly projectId: string;
    /** Project number (digits): it appears in principal:// members and the STS audience. */
    readonly projectNumber: string;
    /** Workload identity pool id. A deleted id stays reserved for 30 days. */
    readonly poolId: string;
    /** Enable the iam, sts, iamcredentials and aiplatform APIs (never disabled on destroy). */
    readonly enableApis: boolean;
}

export interface GcpSharedFederationArgs {
    /** Project, pool and whether to enable the APIs. */
    settings: GcpSharedSettings;
    /** Protect the pool (its id stays reserved for 30 days after deletion). Default: true. */
    protect?: boolean;
}

/** The APIs the pool, the providers and the service accounts need, and the model's. */
const APIS = ["iam.googleapis.com", "sts.googleapis.com", "iamcredentials.googleapis.com", "aiplatform.googleapis.com"];

/**
 * What every agent's GCP federation shares, created once per stack: the workload identity pool, and the APIs its
 * resources need. Each agent adds its own provider to the pool (`GcpFederation`); nothing here takes an agent's input.
 *
 * Until the stack had shared infrastructure, these were children of the primary agent's `agentfed:gcp:Federation`
 * of the same name; each carries an alias to that parent, so `pulumi up` takes them over instead of replacing them.
 */
export class GcpSharedFederation extends pulumi.ComponentResource {
    public readonly settings: GcpSharedSettings;
    public readonly pool: iam.WorkloadIdentityPool;
    /** The enabled APIs: every agent's service account waits for them. */
    public readonly apis: readonly pulumi.Resource[];

    constructor(name: string, args: GcpSharedFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:gcp:SharedFederation", name, {}, opts);
        const s = args.settings;
        const project = s.projectId;
        const moved = { parent: this, aliases: [{ parent: pulumi.createUrn(name, "agentfed:gcp:Federation") }] };
        this.settings = s;
        this.apis = s.enableApis
            ? APIS.map((service) => new projects.Service(`${name}-${service.split(".")[0]}`, { project, service, disableOnDestroy: false }, moved))
            : [];
        this.pool = new iam.WorkloadIdentityPool(
            name,
            {
                project,
                workloadIdentityPoolId: s.poolId,
                displayName: s.poolId,
                description: "Workload identity federation for the agent's UAMI. Managed by Pulumi (agentfed).",
            },
            { ...moved, protect: args.protect ?? true, dependsOn: [...this.apis] },
        );
        this.registerOutputs({ poolName: this.pool.name });
    }
}
