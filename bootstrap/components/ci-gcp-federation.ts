import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/gcp/iam";
import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import { GcpProviderContract, gcpGitHubProviderContract, GcpProviderLocation, gcpProviderName, WorkloadSubject } from "../../src/contracts";
import type { GcpCustomRole, GcpRoleGrant } from "../permissions";

/** One GitHub environment's service account: who may impersonate it, and what it may do in its stack's project. */
export interface CiGcpEnvironment {
    /** The environment's workload subject; only `principal://.../subject/<its sub>` may impersonate the account. */
    subject: WorkloadSubject;
    /** Service account id, in the CI project. */
    serviceAccountId: string;
    /** The stack's project and the project roles the account gets there (custom ones are defined there once). */
    target: { projectId: string; roles: readonly GcpRoleGrant[] };
}

export interface CiGcpFederationArgs {
    /** The CI project (pool, provider and service accounts), by id and number. */
    projectId: string;
    location: GcpProviderLocation;
    environments: readonly CiGcpEnvironment[];
    protect: boolean;
}

/** APIs the CI project needs for the exchange and impersonation. Never disabled on destroy. */
const CI_APIS = ["iam.googleapis.com", "sts.googleapis.com", "iamcredentials.googleapis.com", "cloudresourcemanager.googleapis.com"];

/**
 * GitHub Actions federation into GCP: one pool and one GitHub provider whose condition admits only the
 * repository's own tokens (pinned by its immutable ids) for the configured environments, and per environment a
 * dedicated service account whose roles/iam.workloadIdentityUser names exactly that environment's subject.
 */
export class CiGcpFederation extends pulumi.ComponentResource {
    /** GCP_WORKLOAD_IDENTITY_PROVIDER (projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>). */
    public readonly providerName: pulumi.Output<string>;
    /** GCP_SERVICE_ACCOUNT per environment subject. */
    public readonly serviceAccountEmails: Record<string, pulumi.Output<string>>;
    /** One contract per environment: the shared condition, and that environment's binding. */
    public readonly contracts: GcpProviderContract[];

    constructor(name: string, args: CiGcpFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:GcpFederation", name, {}, opts);
        const project = args.projectId;
        const poolSubjects = args.environments.map((e) => e.subject.subject);
        this.contracts = args.environments.map((e) =>
            gcpGitHubProviderContract(args.location, `${e.serviceAccountId}@${project}.iam.gserviceaccount.com`, e.subject, poolSubjects),
        );
        const [first] = this.contracts;
        if (!first) throw new Error("the GitHub provider needs at least one environment");
        if (this.contracts.some((c) => c.attributeCondition !== first.attributeCondition))
            throw new Error("every environment must share one provider condition");

        const apis = CI_APIS.map(
            (service) => new projects.Service(`${name}-${service.split(".")[0]}`, { project, service, disableOnDestroy: false }, { parent: this }),
        );
        const pool = new iam.WorkloadIdentityPool(
            name,
            {
                project,
                workloadIdentityPoolId: args.location.poolId,
                displayName: args.location.poolId,
                description: "GitHub Actions of one repository. Managed by Pulumi (agentfed bootstrap).",
            },
            { parent: this, protect: args.protect, dependsOn: apis },
        );
        const provider = new iam.WorkloadIdentityPoolProvider(
            name,
            {
                project,
                workloadIdentityPoolId: pool.workloadIdentityPoolId,
                workloadIdentityPoolProviderId: args.location.providerId,
                displayName: args.location.providerId,
                description: "One repository's GitHub environments, pinned by immutable ids. Managed by Pulumi (agentfed bootstrap).",
                attributeMapping: first.attributeMapping,
                attributeCondition: first.attributeCondition,
                // No allowedAudiences: GCP then accepts only this provider's own name, which google-github-actions/auth requests.
                oidc: { issuerUri: first.issuer },
            },
            { parent: this, protect: args.protect },
        );
        // Known from config; an Output of the provider so the GitHub variable waits for it.
        this.providerName = provider.name.apply(() => gcpProviderName(args.location));

        this.serviceAccountEmails = {};
        const customRoles = new Map<string, pulumi.Output<string>>();
        args.environments.forEach((e, i) => {
            const contract = this.contracts[i]!;
            const env = e.subject.github?.environment ?? e.serviceAccountId;
            const account = new serviceaccount.Account(
                `${name}-${env}`,
                {
                    project,
                    accountId: e.serviceAccountId,
                    displayName: `agentfed CI ${env}`,
                    description: `Impersonated only by ${e.subject.subject}. Managed by Pulumi (agentfed bootstrap).`,
                },
                { parent: this, protect: args.protect, dependsOn: apis },
            );
            new serviceaccount.IAMMember(
                `${name}-${env}-workload-identity-user`,
                { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member: contract.principal },
                { parent: this, dependsOn: [pool] },
            );
            for (const grant of e.target.roles) {
                const role = grant.custom ? this.customRole(name, e.target.projectId, grant.custom, customRoles) : grant.role;
                new projects.IAMMember(
                    `${name}-${env}-${grant.custom?.id ?? grant.role.replace(/^roles\//, "")}`,
                    { project: e.target.projectId, role, member: account.member, ...(grant.condition ? { condition: grant.condition } : {}) },
                    { parent: this },
                );
            }
            this.serviceAccountEmails[e.subject.subject] = account.email;
        });
        this.registerOutputs({ providerName: this.providerName, contracts: this.contracts });
    }

    /** A custom role in a stack's project, defined once however many identities hold it; its full name. */
    private customRole(name: string, projectId: string, role: GcpCustomRole, defined: Map<string, pulumi.Output<string>>): pulumi.Output<string> {
        const key = `${projectId}/${role.id}`;
        let roleName = defined.get(key);
        if (!roleName) {
            roleName = new projects.IAMCustomRole(
                `${name}-${projectId}-${role.id}`,
                { project: projectId, roleId: role.id, title: role.title, description: role.description, permissions: [...role.permissions], stage: "GA" },
                { parent: this },
            ).name;
            defined.set(key, roleName);
        }
        return roleName;
    }
}
