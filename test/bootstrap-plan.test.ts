import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { StackValidationArgs, ResourceValidationArgs } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { policies } from "../policy/policies";
import { CI_CUSTOM_ROLES, GITHUB_ACTIONS_ISSUER as POLICY_GITHUB_ISSUER } from "../policy/checks";
import { GCP_CI_ROLES } from "../bootstrap/permissions";
import { GITHUB_ACTIONS_ISSUER } from "../src/contracts";
import { runPlanCli } from "../src/plan/cli";
import { PlannedResource, PlanResult, runPlan } from "../src/plan/run-plan";
import { planJson, renderPlanText } from "../src/plan/render";
import { AgentFedMocks, providerName } from "../src/plan/mocks";
import { AZURE_PROVIDER_NAME, ENTRA_PROVIDER_NAME } from "../bootstrap/providers";
import { readStackOutputsFile } from "../src/outputs-file";
import { runDoctor } from "../src/doctor/cli";
import { runAuditCli } from "../src/audit/cli";
import { capture, INTERNAL } from "./cli-capture";

const ROOT = path.resolve(__dirname, "..");
let plan: PlanResult;
const of = (type: string) => plan.resources.filter((r) => r.type === type);
const one = (type: string, name: string): PlannedResource => {
    const found = plan.resources.find((r) => r.type === type && r.name === name);
    assert.ok(found, `no ${type} ${name}`);
    return found;
};
const T = {
    app: "azuread:index/application:Application",
    fic: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    appRole: "azuread:index/appRoleAssignment:AppRoleAssignment",
    owner: "azuread:index/applicationOwner:ApplicationOwner",
    rbac: "azure-native:authorization:RoleAssignment",
    roleDef: "azure-native:authorization:RoleDefinition",
    rg: "azure-native:resources:ResourceGroup",
    gcpProvider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
    saMember: "gcp:serviceaccount/iAMMember:IAMMember",
    projectMember: "gcp:projects/iAMMember:IAMMember",
    customRole: "gcp:projects/iAMCustomRole:IAMCustomRole",
    awsRole: "aws:iam/role:Role",
    awsPolicy: "aws:iam/rolePolicy:RolePolicy",
    oidcProvider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    issuer: "pulumiservice:index:OidcIssuer",
    stackPermission: "pulumiservice:index:TeamStackPermission",
    env: "github:index/repositoryEnvironment:RepositoryEnvironment",
    branchPolicy: "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
    ruleset: "github:index/repositoryRuleset:RepositoryRuleset",
    variable: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
};

before(async () => {
    plan = await runPlan({ project: "bootstrap", stack: "github" });
});

describe("the bootstrap plan", () => {
    it("runs offline, with the main plan's JSON shape", () => {
        assert.equal(plan.project, "agentfed-bootstrap");
        const json = planJson(plan);
        for (const key of ["resources", "outputs", "trustContracts"]) assert.ok(key in json, key);
        assert.deepEqual(
            plan.trustContracts.map((c) => c.kind).sort(),
            [...Array(6).fill("entra-fic"), ...Array(3).fill("gcp-provider"), ...Array(3).fill("aws-role"), ...Array(6).fill("pulumi-oidc-policy")].sort(),
        );
    });

    it("Entra: one app per environment, each with one FIC pinning its own subject and the token-exchange audience", () => {
        const fics = of(T.fic);
        assert.equal(of(T.app).length, 6);
        assert.deepEqual(fics.map((f) => [f.inputs.subject, f.inputs.issuer, f.inputs.audiences]).sort(), [
            ["repo:contoso/agentfed:environment:audit-dev", GITHUB_ACTIONS_ISSUER, ["api://AzureADTokenExchange"]],
            ["repo:contoso/agentfed:environment:audit-prod", GITHUB_ACTIONS_ISSUER, ["api://AzureADTokenExchange"]],
            ["repo:contoso/agentfed:environment:dev", GITHUB_ACTIONS_ISSUER, ["api://AzureADTokenExchange"]],
            ["repo:contoso/agentfed:environment:preview-dev", GITHUB_ACTIONS_ISSUER, ["api://AzureADTokenExchange"]],
            ["repo:contoso/agentfed:environment:preview-prod", GITHUB_ACTIONS_ISSUER, ["api://AzureADTokenExchange"]],
            ["repo:contoso/agentfed:environment:prod", GITHUB_ACTIONS_ISSUER, ["api://AzureADTokenExchange"]],
        ]);
        assert.equal(new Set(fics.map((f) => f.inputs.applicationId)).size, 6, "no app holds two FICs");
    });

    it("Azure: Reader for previews, Contributor for deploys, each only on its stack's resource group, which the bootstrap creates", () => {
        const groups = Object.fromEntries(of(T.rg).map((r) => [r.inputs.resourceGroupName, r]));
        assert.deepEqual(Object.keys(groups).sort(), ["rg-agentfed-dev", "rg-agentfed-prod"]);
        const roleOf = (name: string) => String(one(T.rbac, name).inputs.roleDefinitionId).split("/").pop();
        const scopeOf = (name: string) => String(one(T.rbac, name).inputs.scope);
        assert.equal(roleOf("ci-preview-prod-reader"), "acdd72a7-3385-48ef-bd42-f606fba81ae7");
        assert.equal(roleOf("ci-prod-contributor"), "b24988ac-6180-42a0-ab88-20f7382dd24c");
        assert.match(scopeOf("ci-prod-contributor"), /\/resourceGroups\/rg-agentfed-prod$/);
        assert.match(scopeOf("ci-dev-contributor"), /\/resourceGroups\/rg-agentfed-dev$/);
        // No custom role: previews read no Log Analytics shared key (the Container Apps environment logs through
        // Azure Monitor), and no identity holds Microsoft.OperationalInsights/workspaces/sharedKeys/action.
        assert.deepEqual(of(T.roleDef), []);
        assert.doesNotMatch(JSON.stringify(plan.resources), /sharedKeys/i);
        assert.equal(of(T.rbac).filter((r) => r.name.startsWith("ci-prod-") || r.name.startsWith("ci-dev-")).length, 2, "deploys: Contributor only");
        assert.deepEqual(
            of(T.rbac)
                .filter((r) => r.name.startsWith("ci-preview-"))
                .map((r) => String(r.inputs.roleDefinitionId).split("/").pop()),
            ["acdd72a7-3385-48ef-bd42-f606fba81ae7", "acdd72a7-3385-48ef-bd42-f606fba81ae7"],
            "previews: Reader only",
        );
        assert.ok(
            !of(T.rbac).some((r) => r.name.startsWith("ci-preview-") && String(r.inputs.roleDefinitionId).endsWith("b24988ac-6180-42a0-ab88-20f7382dd24c")),
        );
    });

    it("Graph: app roles resolved from Graph's service principal, read-only for previews, what the stack needs for deploys", () => {
        const graphOf = (env: string) =>
            of(T.appRole)
                .filter((r) => r.name.startsWith(`ci-${env}-graph-`))
                .map((r) => r.name.slice(`ci-${env}-graph-`.length))
                .sort();
        assert.deepEqual(graphOf("preview-dev"), ["Application.Read.All"]);
        // prod writes FICs on an Agent ID Blueprint: its preview lists them (the audit does too), its deploy gets the
        // permission of each verb the Blueprint FIC provider calls, never AgentIdentityBlueprint.ReadWrite.All.
        assert.deepEqual(graphOf("preview-prod"), ["AgentIdentityBlueprint.Read.All", "Application.Read.All"]);
        // prod: an Agent ID Blueprint and the AWS intermediary app; dev: a classic app registration it owns.
        assert.deepEqual(graphOf("prod"), [
            "AgentIdentityBlueprint.AddRemoveCreds.All",
            "AgentIdentityBlueprint.Create",
            "AgentIdentityBlueprint.DeleteRestore.All",
            "AgentIdentityBlueprint.Read.All",
            "AppRoleAssignment.ReadWrite.All",
            "Application.Read.All",
            "Application.ReadWrite.OwnedBy",
        ]);
        assert.deepEqual(graphOf("dev"), ["Application.Read.All", "Application.ReadWrite.OwnedBy"]);
        assert.deepEqual(
            of(T.owner).map((o) => [o.name.split("-owns-")[0], o.inputs.applicationId]),
            [["ci-dev", "/applications/77777777-7777-7777-7777-777777777777"]],
        );
        for (const r of of(T.appRole)) {
            const permission = r.name.split("-graph-")[1]!;
            assert.match(
                plan.placeholders[String(r.inputs.appRoleId)] ?? "",
                new RegExp(`Graph application permission ${permission.replace(/\./g, "\\.")}, read from Graph`),
            );
            assert.match(plan.placeholders[String(r.inputs.resourceObjectId)] ?? "", /service principal of app 00000003-0000-0000-c000-000000000000/);
        }
    });

    it("GCP: one provider pinning the repository's ids, one service account per environment bound to exactly its subject", () => {
        const provider = of(T.gcpProvider)[0]!.inputs;
        assert.equal(
            provider.attributeCondition,
            "assertion.repository_id == '200000002' && assertion.repository_owner_id == '100000001' && " +
                "assertion.sub in ['repo:contoso/agentfed:environment:preview-prod', 'repo:contoso/agentfed:environment:audit-prod', 'repo:contoso/agentfed:environment:prod']",
        );
        assert.deepEqual(provider.oidc, { issuerUri: GITHUB_ACTIONS_ISSUER });
        assert.deepEqual(
            of(T.saMember).map((m) => [m.inputs.serviceAccountId, m.inputs.role, m.inputs.member]),
            ["preview-prod", "audit-prod", "prod"].map((env) => [
                `projects/contoso-ci/serviceAccounts/ci-${env}@contoso-ci.iam.gserviceaccount.com`,
                "roles/iam.workloadIdentityUser",
                `principal://iam.googleapis.com/projects/987654321098/locations/global/workloadIdentityPools/github-actions/subject/repo:contoso/agentfed:environment:${env}`,
            ]),
        );
        const rolesOf = (env: string) => of(T.projectMember).filter((m) => m.name.startsWith(`github-${env}-`));
        // Previews: the trust audit's two reads, as one custom role on the stack's project; nothing predefined.
        assert.deepEqual(
            rolesOf("preview-prod").map((m) => [m.inputs.project, m.inputs.role]),
            [["contoso-agents-prod", "projects/contoso-agents-prod/roles/agentfedCiTrustAudit"]],
        );
        // Deploys: custom roles with the verbs the stack calls, never Service Usage Admin (it can disable APIs) nor the
        // project-wide Service Account Admin and Workload Identity Pool Admin.
        assert.deepEqual(
            rolesOf("prod")
                .map((m) => String(m.inputs.role))
                .sort(),
            [
                "projects/contoso-agents-prod/roles/agentfedCiServiceAccounts",
                "projects/contoso-agents-prod/roles/agentfedCiServiceEnabler",
                "projects/contoso-agents-prod/roles/agentfedCiWorkloadIdentityPools",
                "roles/resourcemanager.projectIamAdmin",
            ],
        );
        const customRoles = Object.fromEntries(of(T.customRole).map((r) => [String(r.inputs.roleId), r.inputs]));
        assert.deepEqual(customRoles.agentfedCiTrustAudit!.permissions, [
            "iam.googleapis.com/workloadIdentityPoolProviders.list",
            "iam.serviceAccounts.getIamPolicy",
        ]);
        assert.ok(!(customRoles.agentfedCiServiceEnabler!.permissions as string[]).includes("serviceusage.services.disable"));
        assert.equal(of(T.customRole).length, 4, "each custom role defined once per stack project, however many identities hold it");
        const iamAdmin = rolesOf("prod").find((m) => m.inputs.role === "roles/resourcemanager.projectIamAdmin")!;
        assert.deepEqual(iamAdmin.inputs.condition, {
            title: "agentfed-model-roles-only",
            expression: "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/aiplatform.user'])",
        });
    });

    it("AWS: the GitHub provider for sts.amazonaws.com, and roles pinned with StringEquals whose permissions name the stack's own ARNs", () => {
        assert.deepEqual(of(T.oidcProvider)[0]!.inputs.clientIdLists, ["sts.amazonaws.com"]);
        const trust = JSON.parse(String(one(T.awsRole, "github-prod").inputs.assumeRolePolicy)) as { Statement: { Condition: unknown }[] };
        assert.deepEqual(trust.Statement[0]!.Condition, {
            StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:contoso/agentfed:environment:prod",
                "token.actions.githubusercontent.com:repository_id": "200000002",
            },
        });
        const policyOf = (env: string) =>
            JSON.parse(String(one(T.awsPolicy, `github-${env}`).inputs.policy)) as { Statement: { Action: string[]; Resource: string[] }[] };
        const preview = policyOf("preview-prod").Statement.flatMap((s) => s.Action);
        assert.ok(
            preview.every((a) => /^iam:(Get|List)/.test(a)),
            preview.join(),
        );
        // The live trust audit runs with the preview identity and lists every role (ListRoles has no resource type: "*").
        const listRoles = policyOf("preview-prod").Statement.filter((s) => s.Action.includes("iam:ListRoles"));
        assert.deepEqual(
            listRoles.map((s) => s.Resource),
            [["*"]],
        );
        const deploy = policyOf("prod").Statement;
        assert.ok(!deploy.some((s) => s.Action.includes("iam:ListRoles")), "a deploy identity does not run the audit");
        assert.deepEqual(deploy.find((s) => s.Action.includes("iam:CreateRole"))!.Resource, ["arn:aws:iam::123456789012:role/agentfed-weather-agent-bedrock"]);
        assert.deepEqual(deploy.find((s) => s.Action.includes("iam:CreateOpenIDConnectProvider"))!.Resource, [
            "arn:aws:iam::123456789012:oidc-provider/sts.windows.net/11111111-1111-1111-1111-111111111111/",
        ]);
    });

    it("Pulumi Cloud: one policy per environment pinning aud, sub and the ids, each acting as a team with read or edit on its own stack", () => {
        const issuer = of(T.issuer)[0]!.inputs as { url: string; policies: { tokenType: string; teamName: string; rules: Record<string, string> }[] };
        assert.equal(issuer.url, GITHUB_ACTIONS_ISSUER);
        assert.deepEqual(issuer.policies.find((p) => p.teamName === "agentfed-ci-prod")!.rules, {
            aud: "urn:pulumi:org:contoso",
            sub: "repo:contoso/agentfed:environment:prod",
            repository_id: "200000002",
            repository_owner_id: "100000001",
        });
        assert.deepEqual(
            of(T.stackPermission)
                .map((p) => [p.inputs.team, p.inputs.project, p.inputs.stack, p.inputs.permission])
                .sort(),
            [
                ["agentfed-ci-audit-dev", "agentfed", "dev", 101],
                ["agentfed-ci-audit-prod", "agentfed", "prod", 101],
                ["agentfed-ci-dev", "agentfed", "dev", 102],
                ["agentfed-ci-preview-dev", "agentfed", "dev", 101],
                ["agentfed-ci-preview-prod", "agentfed", "prod", 101],
                ["agentfed-ci-prod", "agentfed", "prod", 102],
            ],
        );
    });

    it("GitHub: the deploy branch takes reviewed pull requests only, the very branch the deploy environments trust, and no one bypasses it", async () => {
        const [ruleset] = of(T.ruleset);
        assert.ok(ruleset, "no ruleset on the deploy branch");
        assert.equal(of(T.ruleset).length, 1);
        const branches = of(T.branchPolicy).map((p) => `refs/heads/${String(p.inputs.branchPattern)}`);
        assert.deepEqual(ruleset.inputs.conditions, { refName: { includes: [...new Set(branches)], excludes: [] } });
        assert.equal(ruleset.inputs.enforcement, "active");
        assert.equal(ruleset.inputs.target, "branch");
        assert.deepEqual(ruleset.inputs.bypassActors, [], "no bypass actor, admins included");
        assert.deepEqual(ruleset.inputs.rules, {
            pullRequest: { requiredApprovingReviewCount: 1, dismissStaleReviewsOnPush: true, requireLastPushApproval: true },
            deletion: true,
            nonFastForward: true,
        });
        // Moving the deploy branch moves the ruleset with it.
        const release = await runPlan({
            project: "bootstrap",
            stack: "github",
            config: { github: { owner: "contoso", repository: "agentfed", ownerId: "100000001", repositoryId: "200000002", deployBranch: "release" } },
        });
        const moved = release.resources.find((r) => r.type === T.ruleset)!;
        assert.deepEqual((moved.inputs.conditions as { refName: { includes: string[] } }).refName.includes, ["refs/heads/release"]);
        assert.deepEqual([...new Set(release.resources.filter((r) => r.type === T.branchPolicy).map((r) => r.inputs.branchPattern))], ["release"]);
    });

    it("GitHub: deploy and audit environments take main only, prod's preview and deploy wait for a reviewer, and every variable the workflows read is set", () => {
        const envs = Object.fromEntries(of(T.env).map((e) => [e.inputs.environment, e.inputs]));
        assert.equal(envs["preview-dev"]!.deploymentBranchPolicy, undefined);
        assert.equal(envs["preview-prod"]!.deploymentBranchPolicy, undefined, "pull requests run from their own refs");
        for (const env of ["preview-prod", "prod"]) {
            assert.deepEqual(envs[env]!.reviewers, [{ users: [300000003], teams: [400000004] }], env);
            assert.equal(envs[env]!.preventSelfReview, true, env);
            assert.equal(envs[env]!.canAdminsBypass, false, env);
        }
        assert.equal(envs["audit-prod"]!.reviewers, undefined, "the scheduled audit runs reviewed code from main only");
        assert.equal(envs["audit-prod"]!.canAdminsBypass, false);
        assert.deepEqual(
            of(T.branchPolicy)
                .map((p) => [p.inputs.environment, p.inputs.branchPattern])
                .sort(),
            [
                ["audit-dev", "main"],
                ["audit-prod", "main"],
                ["dev", "main"],
                ["prod", "main"],
            ],
        );
        // The variables the workflows and the login action read, straight from their YAML.
        const read = new Set<string>();
        const workflows = readdirSync(path.join(ROOT, ".github/workflows")).filter((f) => /\.ya?ml$/.test(f));
        assert.ok(workflows.includes("audit.yml") && workflows.includes("deploy.yml"), workflows.join());
        for (const file of workflows)
            for (const m of readFileSync(path.join(ROOT, ".github/workflows", file), "utf8").matchAll(/vars\.([A-Z_]+)/g)) read.add(m[1]!);
        const set = (env: string) =>
            new Set(
                of(T.variable)
                    .filter((v) => v.inputs.environment === env)
                    .map((v) => String(v.inputs.variableName)),
            );
        const optional = (name: string) => /^(GCP|AWS)_/.test(name); // set only where the stack deploys to that cloud; the login skips them otherwise
        for (const env of ["preview-dev", "preview-prod", "audit-dev", "audit-prod", "dev", "prod"]) {
            for (const name of read) if (!optional(name)) assert.ok(set(env).has(name), `${env} lacks ${name}`);
            for (const name of set(env)) assert.ok(read.has(name), `${env} sets ${name}, which no workflow reads`);
        }
        assert.deepEqual([...set("prod")].sort(), [...read].sort());
        const action = yaml.load(readFileSync(path.join(ROOT, ".github/actions/cloud-login/action.yml"), "utf8")) as {
            inputs: Record<string, { required?: boolean }>;
        };
        for (const name of ["gcp-workload-identity-provider", "gcp-service-account", "aws-role-arn", "pulumi-team"])
            assert.notEqual(action.inputs[name]!.required, true, name);
        // Every workflow that logs in passes every input of the login action: an input left out silently changes the
        // identity (no pulumi-team asks Pulumi Cloud for an organization token, which the bootstrap's policies refuse).
        for (const file of workflows) {
            const doc = yaml.load(readFileSync(path.join(ROOT, ".github/workflows", file), "utf8")) as {
                jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
            };
            for (const [job, { steps = [] }] of Object.entries(doc.jobs))
                for (const step of steps.filter((st) => st.uses === "./.github/actions/cloud-login"))
                    assert.deepEqual(Object.keys(step.with ?? {}).sort(), Object.keys(action.inputs).sort(), `${file}, job ${job}: the cloud-login inputs`);
        }
        const outputs = plan.outputs.githubEnvironments as Record<string, { variables: Record<string, string> }>;
        for (const v of of(T.variable)) assert.equal(outputs[String(v.inputs.environment)]!.variables[String(v.inputs.variableName)], v.inputs.value);
    });
});

// The policy pack, called exactly as the CrossGuard engine calls it.
type Resource = { type: string; name: string; props: Record<string, unknown>; protect: boolean };
async function violations(resources: Resource[]): Promise<Record<string, string[]>> {
    const found: Record<string, string[]> = {};
    const urn = (r: Resource) => `urn:pulumi:github::agentfed-bootstrap::${r.type}::${r.name}`;
    for (const policy of policies) {
        const report = (m: string) => (found[policy.name] ??= []).push(m);
        if ("validateResource" in policy && policy.validateResource) {
            const vs = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const r of resources)
                for (const v of vs)
                    await v(
                        {
                            type: r.type,
                            props: r.props,
                            urn: urn(r),
                            name: r.name,
                            opts: { protect: r.protect },
                            getConfig: () => ({ prodStacks: ["prod", "github"] }),
                        } as unknown as ResourceValidationArgs,
                        report,
                    );
        }
        if ("validateStack" in policy && policy.validateStack)
            await policy.validateStack(
                {
                    resources: resources.map((r) => ({ ...r, urn: urn(r), opts: { protect: r.protect } })),
                    getConfig: () => ({}),
                } as unknown as StackValidationArgs,
                report,
            );
    }
    return found;
}
const asPolicyResources = (p: PlanResult): Resource[] =>
    p.resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: r.inputs, protect: r.protect }));
function loosened(type: string, name: string | undefined, change: (props: Record<string, unknown>) => Record<string, unknown>): Resource[] {
    return asPolicyResources(plan).map((r) =>
        r.type === type && (name === undefined || r.name === name) ? { ...r, props: change(structuredClone(r.props)) } : r,
    );
}

describe("the bootstrap's Azure and Entra providers", () => {
    const SUBSCRIPTION = "22222222-0000-4000-8000-000000000001";
    const TENANT = "11111111-1111-1111-1111-111111111111";
    let pinned: PlanResult;
    let mocks: AgentFedMocks | undefined;
    before(async () => {
        pinned = await runPlan({ project: "bootstrap", stack: "github", recordGraph: true, onMocks: (m) => (mocks = m) });
    });

    it("are explicit, named for good, and pinned to the configured tenant and subscription", () => {
        const providers = pinned.resources.filter((r) => r.type === "pulumi:providers:azure-native" || r.type === "pulumi:providers:azuread");
        assert.deepEqual(providers.map((p) => [p.type, p.name, p.inputs.tenantId, p.inputs.subscriptionId]).sort(), [
            ["pulumi:providers:azure-native", AZURE_PROVIDER_NAME, TENANT, SUBSCRIPTION],
            ["pulumi:providers:azuread", ENTRA_PROVIDER_NAME, TENANT, undefined],
        ]);
        // The names are part of every resource's state: renaming one would move every resource to a new provider.
        assert.deepEqual([AZURE_PROVIDER_NAME, ENTRA_PROVIDER_NAME], ["agentfed-azure", "agentfed-entra"]);
    });

    it("carry every Azure and Entra resource the bootstrap registers, and the Graph lookup; none uses a default provider", () => {
        const expected = {
            "azure-native": `pulumi:providers:azure-native::${AZURE_PROVIDER_NAME}`,
            azuread: `pulumi:providers:azuread::${ENTRA_PROVIDER_NAME}`,
        };
        const cloud = pinned.graph.filter((g) => g.custom && /^(azure-native|azuread):/.test(g.type));
        assert.ok(cloud.length >= 30, `${cloud.length} Azure and Entra resources`);
        for (const g of cloud) {
            const pkg = g.type.split(":")[0] as keyof typeof expected;
            assert.equal(providerName(g.provider), expected[pkg], `${g.type} ${g.name} goes through ${g.provider || "the default provider"}`);
        }
        const invokes = mocks!.invocations.filter((i) => /^(azure-native|azuread):/.test(i.token));
        assert.ok(invokes.length > 0);
        for (const i of invokes) assert.equal(providerName(i.provider), expected[i.token.split(":")[0] as keyof typeof expected], i.token);
        // The plan shows it on each resource, in text and JSON.
        assert.ok(pinned.resources.filter((r) => /^azuread:/.test(r.type)).every((r) => r.provider === expected.azuread));
        assert.match(
            renderPlanText(pinned),
            /\+ azure-native:resources:ResourceGroup {2}stack-prod {2}\[protected\] {2}\[provider pulumi:providers:azure-native::agentfed-azure\]/,
        );
    });

    it("put every ARM id in the configured subscription: scopes, groups and role definitions agree", () => {
        const ids = pinned.resources.filter((r) => r.type === T.rbac).flatMap((r) => [String(r.inputs.scope), String(r.inputs.roleDefinitionId)]);
        assert.ok(ids.length > 0);
        for (const id of ids) assert.ok(id.startsWith(`/subscriptions/${SUBSCRIPTION}/`), id);
        assert.doesNotMatch(JSON.stringify(pinned.resources), /\/subscriptions\/00000000-0000-0000-0000-000000000000/);
    });
});

describe("the policy pack on the bootstrap", () => {
    it("keeps its own copy of GitHub's issuer equal to the program's", () => assert.equal(POLICY_GITHUB_ISSUER, GITHUB_ACTIONS_ISSUER));

    it("passes the bootstrap plan, identities protected as in prod", async () => {
        assert.deepEqual(await violations(asPolicyResources(plan)), {});
    });

    it("fails a CI identity holding Project IAM Admin without the limit to model roles, or a role outside the CI list", async () => {
        const admin = of(T.projectMember).find((r) => r.inputs.role === "roles/resourcemanager.projectIamAdmin")!;
        assert.match(JSON.stringify(admin.inputs.condition), /modifiedGrantsByRole.*hasOnly\(\['roles\/aiplatform\.user'\]\)/);
        const unlimited = loosened(T.projectMember, admin.name, ({ condition: _c, ...p }) => p);
        assert.match((await violations(unlimited))["gcp-project-roles-model-only"]!.join("\n"), /granted without the condition .*modifiedGrantsByRole/);
        const toOwner = loosened(T.projectMember, admin.name, (p) => ({
            ...p,
            condition: { title: "x", expression: "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/owner'])" },
        }));
        assert.match((await violations(toOwner))["gcp-project-roles-model-only"]!.join("\n"), /limiting it to model roles/);
        const owner = loosened(T.projectMember, admin.name, ({ condition: _c, ...p }) => ({ ...p, role: "roles/owner" }));
        assert.match((await violations(owner))["gcp-project-roles-model-only"]!.join("\n"), /role "roles\/owner" is granted to a CI identity/);
    });

    it("keeps the pack's copy of the CI custom roles equal to the bootstrap's", () => {
        assert.deepEqual(
            Object.fromEntries(Object.values(GCP_CI_ROLES).map((r) => [r.id, [...r.permissions]])),
            Object.fromEntries(Object.entries(CI_CUSTOM_ROLES).map(([id, p]) => [id, [...p]])),
        );
    });

    it("fails a CI custom role widened by one permission, a predefined admin role, or an unknown custom role", async () => {
        const widened = await violations(
            loosened(T.customRole, undefined, (p) =>
                p.roleId === "agentfedCiServiceEnabler" ? { ...p, permissions: [...(p.permissions as string[]), "serviceusage.services.disable"] } : p,
            ),
        );
        assert.match(
            widened["gcp-project-roles-model-only"]!.join("\n"),
            /custom role agentfedCiServiceEnabler must hold exactly .*; it adds serviceusage\.services\.disable/,
        );
        const usageAdmin = await violations(
            loosened(T.projectMember, "github-prod-agentfedCiServiceEnabler", (p) => ({ ...p, role: "roles/serviceusage.serviceUsageAdmin" })),
        );
        assert.match(usageAdmin["gcp-project-roles-model-only"]!.join("\n"), /role "roles\/serviceusage\.serviceUsageAdmin" is granted to a CI identity/);
        const saAdmin = await violations(
            loosened(T.projectMember, "github-prod-agentfedCiServiceAccounts", (p) => ({ ...p, role: "roles/iam.serviceAccountAdmin" })),
        );
        assert.match(saAdmin["gcp-project-roles-model-only"]!.join("\n"), /roles\/iam\.serviceAccountAdmin/);
        const unknown = await violations(loosened(T.customRole, "github-contoso-agents-prod-agentfedCiTrustAudit", (p) => ({ ...p, roleId: "anythingGoes" })));
        assert.match(unknown["gcp-project-roles-model-only"]!.join("\n"), /custom role "anythingGoes" is not one of the CI roles/);
    });

    it("fails an AWS role whose sub is a StringLike wildcard, or a list shared by two environments", async () => {
        const like = loosened(T.awsRole, "github-prod", (p) => {
            const doc = JSON.parse(String(p.assumeRolePolicy)) as { Statement: { Condition: Record<string, Record<string, unknown>> }[] };
            const eq = doc.Statement[0]!.Condition.StringEquals!;
            delete eq["token.actions.githubusercontent.com:sub"];
            doc.Statement[0]!.Condition.StringLike = { "token.actions.githubusercontent.com:sub": "repo:contoso/agentfed:*" };
            return { ...p, assumeRolePolicy: JSON.stringify(doc) };
        });
        assert.match(
            (await violations(like))["aws-web-identity-trust-pinned"]!.join("\n"),
            /StringLike is not allowed[\s\S]*no StringEquals on <provider>:sub[\s\S]*wildcard/,
        );
        const shared = loosened(T.awsRole, "github-prod", (p) => {
            const doc = JSON.parse(String(p.assumeRolePolicy)) as { Statement: { Condition: { StringEquals: Record<string, unknown> } }[] };
            doc.Statement[0]!.Condition.StringEquals["token.actions.githubusercontent.com:sub"] = [
                "repo:contoso/agentfed:environment:prod",
                "repo:contoso/agentfed:environment:preview-prod",
            ];
            return { ...p, assumeRolePolicy: JSON.stringify(doc) };
        });
        assert.match((await violations(shared))["aws-web-identity-trust-pinned"]!.join("\n"), /a role trusts exactly one subject/);
    });

    it("fails a GCP provider condition on names, on the owner only, or on the tenant only; and a principalSet binding", async () => {
        for (const condition of [
            "assertion.repository == 'contoso/agentfed'",
            "assertion.repository_owner_id == '100000001'",
            "assertion.tid == '11111111-1111-1111-1111-111111111111'",
        ]) {
            const found = await violations(loosened(T.gcpProvider, undefined, (p) => ({ ...p, attributeCondition: condition })));
            assert.match(found["gcp-provider-pins-subject"]!.join("\n"), /does not pin assertion\.repository_id/, condition);
        }
        const set = await violations(
            loosened(T.saMember, undefined, (p) => ({
                ...p,
                member: "principalSet://iam.googleapis.com/projects/987654321098/locations/global/workloadIdentityPools/github-actions/*",
            })),
        );
        assert.match(set["gcp-impersonation-single-subject"]![0]!, /principalSet/);
    });

    it("fails a wildcard FIC subject, and one identity trusting two environments", async () => {
        const wildcard = await violations(loosened(T.fic, "ci-prod", (p) => ({ ...p, subject: "repo:contoso/agentfed:*" })));
        assert.match(wildcard["fic-exact-contract"]![0]!, /must pin one exact workload/);
        const previewFic = asPolicyResources(plan).find((r) => r.type === T.fic && r.name === "ci-preview-prod")!;
        const prodApp = asPolicyResources(plan).find((r) => r.type === T.fic && r.name === "ci-prod")!.props.applicationId;
        const shared = await violations([
            ...asPolicyResources(plan),
            { ...previewFic, name: "preview-on-prod-app", props: { ...previewFic.props, applicationId: prodApp } },
        ]);
        assert.match(
            shared["ci-identities-not-shared"]![0]!,
            /trusts repo:contoso\/agentfed:environment:prod and repo:contoso\/agentfed:environment:preview-prod/,
        );
    });

    it("fails Pulumi Cloud policies with a wildcard sub, without the repository ids, or issuing admin tokens", async () => {
        const found = await violations(
            loosened(T.issuer, undefined, (p) => {
                const [first, second, third] = p.policies as { rules: Record<string, string>; authorizedPermissions?: string[]; tokenType: string }[];
                first!.rules.sub = "repo:contoso/*";
                delete second!.rules.repository_id;
                Object.assign(third!, { tokenType: "organization", authorizedPermissions: ["admin"] });
                return p;
            }),
        );
        assert.match(
            found["pulumi-oidc-policies-pinned"]!.join("\n"),
            /policy 0: sub rule[\s\S]*policy 1: no rule pinning repository_id[\s\S]*policy 2: grants admin/,
        );
    });
});

describe("npm run doctor -- --project bootstrap", () => {
    it("judges a GitHub token against every bootstrap contract, each verdict naming the subject it pins", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "bootstrap-doctor-"));
        const claims = path.join(dir, "claims.json");
        writeFileSync(
            claims,
            JSON.stringify({
                iss: GITHUB_ACTIONS_ISSUER,
                sub: "repo:contoso/agentfed:environment:preview-prod",
                aud: "https://iam.googleapis.com/projects/987654321098/locations/global/workloadIdentityPools/github-actions/providers/agentfed",
                repository_id: "200000002",
                repository_owner_id: "100000001",
                environment: "preview-prod",
                exp: 4102444800,
            }),
        );
        const result = spawnSync(
            process.execPath,
            [
                "--import",
                "tsx",
                "scripts/doctor.ts",
                "--project",
                "bootstrap",
                "--stack",
                "github",
                "--claims",
                claims,
                "--at",
                "2026-09-01T00:00:00Z",
                "--json",
            ],
            { cwd: ROOT, encoding: "utf8" },
        );
        assert.equal(result.status, 0, result.stderr);
        const { verdicts } = JSON.parse(result.stdout) as { verdicts: { contract: string; kind: string; accepted: boolean; reasons: string[] }[] };
        assert.equal(verdicts.length, 18);
        for (const v of verdicts) assert.match(v.contract, / sub repo:contoso\/agentfed:environment:(preview-dev|preview-prod|audit-dev|audit-prod|dev|prod)$/);
        assert.deepEqual(
            verdicts.filter((v) => v.accepted).map((v) => [v.kind, v.contract.split(" -> ")[1]]),
            [["gcp-provider", "ci-preview-prod@contoso-ci.iam.gserviceaccount.com sub repo:contoso/agentfed:environment:preview-prod"]],
        );
        const prodGcp = verdicts.find((v) => v.kind === "gcp-provider" && v.contract.endsWith("environment:prod"))!;
        assert.match(prodGcp.reasons.join("\n"), /iam\.serviceAccounts\.getAccessToken/);
    });

    it("reads the bootstrap's deployed outputs (as pulumi stack output --json prints them) in the doctor and the audit", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "bootstrap-outputs-"));
        const outputs = path.join(dir, "outputs.json");
        writeFileSync(outputs, JSON.stringify(plan.outputs));
        const doc = readStackOutputsFile(outputs);
        assert.deepEqual(
            doc.contracts.map((c) => c.kind),
            plan.trustContracts.map((c) => c.kind),
        );
        const roles = doc.contracts.filter((c) => c.kind === "aws-role");
        assert.deepEqual(
            roles.map((c) => [c.mode, Object.keys(c.claimPins ?? {})]),
            [
                ["github-actions", ["token.actions.githubusercontent.com:repository_id"]],
                ["github-actions", ["token.actions.githubusercontent.com:repository_id"]],
                ["github-actions", ["token.actions.githubusercontent.com:repository_id"]],
            ],
        );
        const claims = path.join(dir, "claims.json");
        writeFileSync(
            claims,
            JSON.stringify({ iss: GITHUB_ACTIONS_ISSUER, sub: "repo:contoso/agentfed:environment:prod", aud: "sts.amazonaws.com", exp: 4102444800 }),
        );
        const doctor = await capture((io) => runDoctor(["--stack", "github", "--outputs", outputs, "--claims", claims, "--json"], io));
        assert.equal(doctor.code, 0, doctor.stderr);
        // Outputs whose only contracts are Pulumi Cloud policies leave nothing to audit: exit 2, never a clean pass.
        const pulumiOnly = path.join(dir, "pulumi-only.json");
        writeFileSync(pulumiOnly, JSON.stringify({ ...plan.outputs, trustContracts: plan.trustContracts.filter((c) => c.kind === "pulumi-oidc-policy") }));
        const audit = await capture((io) => runAuditCli(["--outputs", pulumiOnly], io, { env: {} }));
        assert.equal(audit.code, 2);
        assert.match(audit.stderr, /declares no Entra, GCP or AWS contract \(only pulumi-oidc-policy\), so there is nothing to audit/);
        assert.doesNotMatch(audit.stderr, INTERNAL);
    });

    it("refuses an unknown project with the list of known ones: a usage error, exit 2", async () => {
        const result = await capture((io) => runPlanCli(["--project", "nope", "--stack", "github"], io));
        assert.equal(result.code, 2);
        assert.match(
            result.stderr,
            /^plan: --project nope: unknown project; known projects are \., bootstrap, examples\/consumer \(directories relative to the repository root\)\nusage: npm run plan/,
        );
    });
});

describe("the bootstrap plan for a stack that creates its own resource group (an installation older than the bootstrap)", () => {
    it("grants on the group by id and neither creates nor adopts it", async () => {
        const main = mkdtempSync(path.join(tmpdir(), "bootstrap-main-"));
        writeFileSync(path.join(main, "Pulumi.yaml"), readFileSync(path.join(ROOT, "Pulumi.yaml")));
        for (const stack of ["dev", "prod"]) {
            const text = readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            writeFileSync(path.join(main, `Pulumi.${stack}.yaml`), stack === "prod" ? text.replace("create: false", "create: true") : text);
        }
        const older = await runPlan({ project: "bootstrap", stack: "github", config: { mainProjectDir: main } });
        const groups = older.resources.filter((r) => r.type === T.rg).map((r) => r.inputs.resourceGroupName);
        assert.deepEqual(groups, ["rg-agentfed-dev"], "the bootstrap creates only the group no stack creates");
        const scope = older.resources.find((r) => r.type === T.rbac && r.name === "ci-prod-contributor")?.inputs.scope;
        assert.equal(scope, "/subscriptions/22222222-0000-4000-8000-000000000001/resourceGroups/rg-agentfed-prod");
        assert.ok(older.warnings.some((w) => w.includes("which creates its own resource group rg-agentfed-prod")));
    });
});
