import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AwsRoleContract, GcpProviderContract } from "../src/contracts";
import { agentIdentityWorkloadSubject, gcpProviderContract, scopeAudience } from "../src/contracts";
import { ConfigError, parseStackConfig } from "../src/config";
import { readStackConfig } from "../src/plan/stack-files";
import { PlannedResource, PlanResult, runPlan } from "../src/plan/run-plan";
import { evaluateGcpProvider } from "../src/verifiers/gcp-sts";
import { evaluateAwsRole } from "../src/verifiers/aws-sts";
import { policies } from "../policy/policies";
import { OTHER_OID, OTHER_TENANT, targetStackWith, TENANT, UAMI_TYPE } from "./helpers";
import { agentClass, option2Class } from "./fixtures/agent-classes";

// Agent classes (issue 9): each class adds a UAMI, a FIC on its Blueprint, a GCP provider + service account in the
// shared pool and an AWS role behind the shared OIDC provider. Under Option 2 the cloud contracts pin the class's
// Agent Identity. The contracts are checked with the same evaluators as the primary agent's (CEL, IAM simulator).

const AGENT_IDENTITY_OID = "aaaaaaaa-0000-4000-8000-000000000003";
const AGENT_IDENTITY_CLIENT_ID = "aaaaaaaa-0000-4000-8000-000000000004";
/** The `sub` of the research class's Agent Identity tokens (fixtures: distinct from its oid, as in Microsoft's sample). */
const AGENT_IDENTITY_TOKEN_SUBJECT = "aaaaaaaa-0000-4000-8000-000000000005";
const CLASS_BLUEPRINT_APP_ID = "aaaaaaaa-0000-4000-8000-000000000001";
const CLOUD_AUDIENCE = "api://agentfed-research-cloud";
const AT = 1748736000 - 60;

/** Problems the parser reports for the prod stack file plus these classes, as `<key>: <problem> | <fix>`. */
function classIssues(classes: unknown[], patch: Record<string, unknown> = {}): string[] {
    const raw = readStackConfig("prod");
    raw["agentfed:agentClasses"] = JSON.stringify(classes);
    for (const [k, v] of Object.entries(patch))
        raw[`agentfed:${k}`] = JSON.stringify({ ...(JSON.parse(raw[`agentfed:${k}`] ?? "{}") as object), ...(v as object) });
    try {
        parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed");
        return [];
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`);
    }
}

function key(r: PlannedResource): string {
    return `${r.type}::${r.name}`;
}

function resource(plan: PlanResult, type: string, name: string): PlannedResource {
    const r = plan.resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name} was not registered`);
    return r;
}

describe("agent classes: configuration", () => {
    it("accepts Option 1 and Option 2 classes beside the primary agent", () => {
        assert.deepEqual(classIssues([agentClass("finance"), option2Class("research")]), []);
    });

    it("refuses names, identities and cloud principals two agents would share", () => {
        const issues = classIssues([
            agentClass("finance"),
            { ...agentClass("finance"), uami: { name: "mi-weather-agent" } },
            {
                ...agentClass("ops"),
                gcp: { providerId: "entra-uami", serviceAccountId: "weather-agent-llm" },
                aws: { ...agentClass("ops").aws, roleName: "agentfed-weather-agent-bedrock" },
            },
        ]).join("\n");
        assert.match(issues, /agentClasses\[1\]\.name: repeats class name "finance"/);
        assert.match(issues, /agentClasses\[1\]\.uami\.name: repeats UAMI name "mi-weather-agent" \(already used by agentfed:uami\.name\)/);
        assert.match(issues, /agentClasses\[2\]\.gcp\.providerId: repeats GCP provider id "entra-uami"/);
        assert.match(issues, /agentClasses\[2\]\.gcp\.serviceAccountId: repeats GCP service account id/);
        assert.match(issues, /agentClasses\[2\]\.aws\.roleName: repeats AWS role name/);
    });

    it("refuses a class cloud section when the stack has no shared federation, and AWS exchange mode", () => {
        assert.match(classIssues([agentClass("finance")], {}).join("\n"), /^$/);
        const raw = readStackConfig("prod");
        delete raw["agentfed:gcp"];
        raw["agentfed:agentClasses"] = JSON.stringify([agentClass("finance")]);
        assert.throws(() => parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed"), /agentClasses\[0\]\.gcp needs agentfed:gcp/);
        assert.match(
            classIssues([agentClass("finance")], { aws: { audienceMode: "exchange" } }).join("\n"),
            /agentClasses\[0\]\.aws: cannot be used with aws\.audienceMode exchange/,
        );
        assert.match(
            classIssues([option2Class("research")], { aws: { audienceMode: "tenant", acknowledgeTenantWideAudience: true } }).join("\n"),
            /agentClasses\[0\]\.cloudPrincipal: is agentIdentity, which on AWS needs the intermediary audience, but aws\.audienceMode is tenant/,
        );
    });

    it("Option 2 needs the Agent Identity and its audience; Option 1 takes the Agent Identity's ids only", () => {
        const { agentIdentity, ...withoutIdentity } = option2Class("research");
        assert.match(classIssues([withoutIdentity]).join("\n"), /agentClasses\[0\]\.agentIdentity: is not set, but cloudPrincipal is agentIdentity/);
        const { cloudFederationAudience: _a, ...idsOnly } = agentIdentity;
        assert.match(
            classIssues([{ ...option2Class("research"), agentIdentity: idsOnly }]).join("\n"),
            /agentClasses\[0\]\.agentIdentity\.cloudFederationAudience: is not set, but cloudPrincipal is agentIdentity/,
        );
        const option1 = classIssues([{ ...agentClass("finance"), blueprint: option2Class("research").blueprint, agentIdentity }]).join("\n");
        assert.match(option1, /agentClasses\[0\]\.agentIdentity\.cloudFederationAudience: is set, but cloudPrincipal is uami/);
        assert.match(option1, /agentClasses\[0\]\.agentIdentity\.tokenSubject: is set, but cloudPrincipal is uami/);
        assert.doesNotMatch(option1, /agentClasses\[0\]\.agentIdentity: /, "the ids themselves are what an Option 1 agent calls as");
        assert.match(classIssues([{ ...option2Class("research"), gcp: undefined, aws: undefined }]).join("\n"), /federates to no cloud/);
    });

    it("refuses a cloud-federation audience that is a downstream API's audience or the token-exchange audience (seed 001's trap)", () => {
        const withAudience = (identifierUri: string, appId?: string) => {
            const c = option2Class("research");
            return { ...c, agentIdentity: { ...c.agentIdentity, cloudFederationAudience: { identifierUri, ...(appId ? { appId } : {}) } } };
        };
        // api://weather is the primary agent's downstream API (Pulumi.prod.yaml).
        assert.match(
            classIssues([withAudience("api://weather")]).join("\n"),
            /cloudFederationAudience: equals the audience of a downstream API the sidecar calls \(api:\/\/weather\)/,
        );
        assert.match(classIssues([withAudience("api://AzureADTokenExchange")]).join("\n"), /token-exchange audience/);
        assert.match(classIssues([withAudience(CLOUD_AUDIENCE, "fb60f99c-7a34-4190-8149-302f77469936")]).join("\n"), /token-exchange audience/);
        assert.match(classIssues([withAudience(`api://${TENANT}/agentfed-aws-prod`)]).join("\n"), /equals the audience of a downstream API|agentfed-aws-prod/);
        assert.equal(scopeAudience("api://weather/.default"), "api://weather");
        assert.equal(scopeAudience("https://contoso.example/api/read"), "https://contoso.example/api");
    });

    it("counts every class's FIC against the 20-FIC limit of the Blueprint it lands on", () => {
        const onStackBlueprint = Array.from({ length: 20 }, (_, i) => ({ ...agentClass(`c${i}`), gcp: undefined, aws: undefined, containerApp: undefined }));
        assert.match(
            classIssues(onStackBlueprint).join("\n"),
            /agentClasses\[0\]\.blueprint: Blueprint [0-9a-f-]+ would carry 21 federated identity credentials; Entra allows at most 20/,
        );
        const ownBlueprints = onStackBlueprint.map((c, i) => ({ ...c, blueprint: { appId: guid(2 * i + 1), objectId: guid(2 * i + 2) } }));
        assert.deepEqual(classIssues(ownBlueprints), []);
    });

    it("refuses an Option 2 agent whose Blueprint another agent shares, primary or class", () => {
        const research = option2Class("research");
        // An Option 1 class on the Option 2 class's Blueprint could have research's Agent Identity token minted.
        const neighbour = { ...agentClass("finance"), blueprint: research.blueprint };
        const issues = classIssues([research, neighbour]).join("\n");
        assert.match(issues, /agentClasses\[0\]\.blueprint: is shared with agent class finance: under Option 2/);
        assert.match(issues, /give each Option 2 agent a Blueprint of its own/);
        // Under Option 1 sharing a Blueprint is the idiom: no refusal for finance.
        assert.doesNotMatch(issues, /agentClasses\[1\]\.blueprint: is shared/);
        // An Option 2 class on the stack's own Blueprint shares it with the primary agent.
        const onStackBlueprint = { ...research };
        delete (onStackBlueprint as { blueprint?: unknown }).blueprint;
        assert.match(classIssues([onStackBlueprint]).join("\n"), /agentClasses\[0\]\.blueprint: is shared with the primary agent/);
    });

    it("refuses one Agent Identity subject or client id named by two agents", () => {
        const research = option2Class("research");
        const other = option2Class("ops", 1);
        // ops's tokenSubject is research's object id: the AWS role for ops would trust research's tokens.
        const stolen = { ...other, agentIdentity: { ...other.agentIdentity, tokenSubject: research.agentIdentity.objectId } };
        assert.match(classIssues([research, stolen]).join("\n"), /agentClasses\[1\]\.agentIdentity\.tokenSubject: repeats Agent Identity subject/);
        const sameClient = { ...other, agentIdentity: { ...other.agentIdentity, clientId: research.agentIdentity.clientId } };
        assert.match(classIssues([research, sameClient]).join("\n"), /agentClasses\[1\]\.agentIdentity\.clientId: repeats Agent Identity client id/);
    });

    it("warns when agents with different Agent Identities share one Blueprint, and only then", () => {
        const warningsWith = (classes: unknown[]) => {
            const raw = readStackConfig("prod");
            raw["agentfed:agentClasses"] = JSON.stringify(classes);
            return parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed").warnings.join("\n");
        };
        // finance runs on the stack's Blueprint with an Agent Identity of its own: either replica can act as the other.
        assert.match(
            warningsWith([agentClass("finance")]),
            /the primary agent, agent class finance share Blueprint 55555555-5555-5555-5555-555555555555 with different Agent Identities: any replica the Blueprint trusts can have the sidecar mint a token as any of them/,
        );
        // research has a Blueprint of its own.
        assert.doesNotMatch(warningsWith([option2Class("research")]), /share Blueprint/);
    });

    it("warns when an Agent Identity's objectId and clientId differ, which Entra never gives it", () => {
        const warningsWith = (agentIdentity: Record<string, string>) => {
            const raw = readStackConfig("prod");
            raw["agentfed:agentIdentity"] = JSON.stringify(agentIdentity);
            return parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed").warnings.join("\n");
        };
        const same = "12121212-1212-1212-1212-121212121212";
        assert.doesNotMatch(warningsWith({ objectId: same, clientId: same.toUpperCase() }), /differ/);
        assert.match(
            warningsWith({ objectId: same, clientId: "34343434-3434-4434-8434-343434343434" }),
            /agentfed:agentIdentity: objectId 1212[-0-9]+ and clientId 3434[-0-9]+ differ, but an Agent Identity's object id and app id always have the same value/,
        );
    });

    it("warns when an Option 2 primary agent's Blueprint also trusts other workloads", () => {
        const raw = readStackConfig("prod");
        raw["agentfed:cloudPrincipal"] = "agentIdentity";
        raw["agentfed:agentIdentity"] = JSON.stringify({
            objectId: AGENT_IDENTITY_OID,
            clientId: AGENT_IDENTITY_CLIENT_ID,
            tokenSubject: AGENT_IDENTITY_TOKEN_SUBJECT,
            cloudFederationAudience: { identifierUri: CLOUD_AUDIENCE },
        });
        const blueprint = JSON.parse(raw["agentfed:blueprint"]!) as Record<string, unknown>;
        raw["agentfed:blueprint"] = JSON.stringify({
            ...blueprint,
            additionalFederatedCredentials: [
                { name: "github-deploy", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/agent:environment:prod" },
            ],
        });
        const { warnings } = parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed");
        assert.ok(
            warnings.some((w) => /cloudPrincipal is agentIdentity and the Blueprint also trusts github-deploy/.test(w)),
            warnings.join("\n"),
        );
    });

    it("implies the sidecar's AgentIdentity override for every class with an Agent Identity, and refuses it on one without", () => {
        const withOverride = <T extends { containerApp: object }>(c: T) => ({
            ...c,
            containerApp: { ...c.containerApp, sidecar: { ...(c.containerApp as { sidecar: object }).sidecar, allowAgentIdentityOverride: true } },
        });
        const { agentIdentity: _i, ...classic } = agentClass("legacy");
        const onApplication = {
            ...classic,
            blueprint: { kind: "application", appId: "abcdabcd-0000-4000-8000-000000000001", objectId: "abcdabcd-0000-4000-8000-000000000002" },
        };
        assert.deepEqual(classIssues([onApplication]), [], "a classic app registration calls as the app, with no Agent Identity");
        assert.match(
            classIssues([withOverride(onApplication)]).join("\n"),
            /agentClasses\[0\]\.containerApp\.sidecar\.allowAgentIdentityOverride: is true, but this agent calls no API as an Agent Identity/,
        );
        assert.deepEqual(classIssues([withOverride(agentClass("finance"))]), []);
        assert.deepEqual(classIssues([withOverride(option2Class("research"))]), []);
    });

    it("requires the Agent Identity of every class calling APIs on an Agent ID Blueprint, and refuses one on a classic app registration", () => {
        const { agentIdentity, ...withoutIdentity } = agentClass("finance");
        const missing = classIssues([withoutIdentity]).join("\n");
        assert.match(
            missing,
            /agentClasses\[0\]\.agentIdentity: is not set, but the agent calls agentfed:agentClasses\[0\]\.containerApp\.sidecar\.downstreamApis \(Ledger\) through the sidecar on an Agent ID Blueprint/,
        );
        assert.match(missing, /set agentfed:agentClasses\[0\]\.agentIdentity to \{ objectId, clientId \}/);
        // Without downstream APIs nothing calls as an Agent Identity, so none is needed.
        const noApis = { ...withoutIdentity, containerApp: { ...withoutIdentity.containerApp, sidecar: {} } };
        assert.deepEqual(classIssues([noApis]), []);
        const onApplication = {
            ...agentClass("legacy"),
            blueprint: { kind: "application", appId: "abcdabcd-0000-4000-8000-000000000001", objectId: "abcdabcd-0000-4000-8000-000000000002" },
        };
        assert.match(classIssues([onApplication]).join("\n"), /agentClasses\[0\]\.agentIdentity: is set, but the agent's blueprint\.kind is application/);
        void agentIdentity;
    });

    it("names the key and the fix for every malformed class setting", () => {
        const research = option2Class("research");
        const identity = (patch: object) => ({ ...research, agentIdentity: { ...research.agentIdentity, ...patch } });
        const audience = (patch: object) => identity({ cloudFederationAudience: { ...research.agentIdentity.cloudFederationAudience, ...patch } });
        const cases: [string, unknown, RegExp][] = [
            ["an entry that is not an object", "finance", /agentClasses\[0\]: must be an object \| write agentfed:agentClasses\[0\] as/],
            ["an upper-case class name", { ...research, name: "Research" }, /agentClasses\[0\]\.name: .*\| use a short lowercase label/],
            ["a class name over 24 characters", { ...research, name: "r".repeat(25) }, /agentClasses\[0\]\.name: is longer than 24 characters/],
            ["a UAMI name with a space", { ...research, uami: { name: "mi research" } }, /agentClasses\[0\]\.uami\.name: is not a valid managed identity name/],
            ["a typo in a key", { ...research, gcpp: {} }, /agentClasses\[0\]\.gcpp: is not a known setting/],
            [
                "an unknown Blueprint kind",
                { ...research, blueprint: { ...research.blueprint, kind: "app" } },
                /agentClasses\[0\]\.blueprint\.kind: must be one of/,
            ],
            [
                "a Blueprint appId that is no GUID",
                { ...research, blueprint: { ...research.blueprint, appId: "research" } },
                /agentClasses\[0\]\.blueprint\.appId: /,
            ],
            [
                "a GCP provider id GCP reserves",
                { ...research, gcp: { ...research.gcp, providerId: "gcp-research" } },
                /agentClasses\[0\]\.gcp\.providerId: must not start with "gcp-"/,
            ],
            [
                "a Bedrock ARN with a wildcard",
                { ...research, aws: { ...research.aws, modelArns: ["arn:aws:bedrock:us-east-1::foundation-model/*"] } },
                /agentClasses\[0\]\.aws\.modelArns/,
            ],
            ["an unknown cloud principal", { ...research, cloudPrincipal: "agent" }, /agentClasses\[0\]\.cloudPrincipal: must be one of uami, agentIdentity/],
            ["an Agent Identity object id that is no GUID", identity({ objectId: "research" }), /agentClasses\[0\]\.agentIdentity\.objectId: /],
            ["an Agent Identity client id that is no GUID", identity({ clientId: "" }), /agentClasses\[0\]\.agentIdentity\.clientId: /],
            [
                "no cloud-federation audience",
                identity({ cloudFederationAudience: undefined }),
                /agentClasses\[0\]\.agentIdentity\.cloudFederationAudience: is not set/,
            ],
            [
                "an audience without api:// or https://",
                audience({ identifierUri: "research-cloud" }),
                /agentClasses\[0\]\.agentIdentity\.cloudFederationAudience: identifier URI/,
            ],
            ["a token version of 3", audience({ tokenVersion: 3 }), /agentClasses\[0\]\.agentIdentity\.cloudFederationAudience\.tokenVersion: must be 1 or 2/],
            ["an audience appId that is no GUID", audience({ appId: "x" }), /agentClasses\[0\]\.agentIdentity\.cloudFederationAudience\.appId: /],
        ];
        for (const [what, entry, expected] of cases) assert.match(classIssues([entry]).join("\n"), expected, what);
        const raw = readStackConfig("prod");
        raw["agentfed:agentClasses"] = JSON.stringify({ name: "research" });
        assert.throws(() => parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed"), /agentfed:agentClasses must be a list/);
    });

    it("refuses a class log retention that no environment would take", () => {
        const c = agentClass("finance");
        const withRetention = { ...c, containerApp: { ...c.containerApp, environment: { logRetentionDays: 90 } } };
        assert.match(
            classIssues([withRetention]).join("\n"),
            /agentClasses\[0\]\.containerApp\.environment\.logRetentionDays: is set, but an agent class runs in the stack's shared environment and never creates its own \| drop it: the shared environment keeps its logs for agentfed:containerApp\.environment\.logRetentionDays days/,
        );
        const existing = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env";
        const onExisting = { ...c, containerApp: { ...c.containerApp, environment: { existingId: existing, logRetentionDays: 90 } } };
        assert.match(classIssues([onExisting]).join("\n"), /environment\.logRetentionDays: is set together with environment\.existingId/);
    });

    it("refuses a user-declared sidecar API named with the reserved Agentfed prefix", () => {
        const c = agentClass("finance");
        const app = {
            ...c.containerApp,
            sidecar: { downstreamApis: [{ name: "AgentfedGcpFederation", baseUrl: "https://x.example", scopes: ["api://x/.default"] }] },
        };
        assert.match(classIssues([{ ...c, containerApp: app }]).join("\n"), /downstreamApis\[0\]\.name: starts with Agentfed/);
        // The sidecar reads its settings case-insensitively, so agentfedGcpFederation would collide just the same.
        const lower = { ...app, sidecar: { downstreamApis: [{ ...app.sidecar.downstreamApis[0]!, name: "agentfedGcpFederation" }] } };
        assert.match(classIssues([{ ...c, containerApp: lower }]).join("\n"), /downstreamApis\[0\]\.name: starts with Agentfed/);
    });
});

describe("agent classes: adding a class changes nothing that exists", () => {
    for (const [before, after] of [
        [0, 1],
        [2, 3],
    ] as const) {
        it(`the plan for ${after} classes contains the ${before}-class plan's resources unchanged (names, inputs, protection)`, async () => {
            const classes = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? agentClass(`class${i}`) : option2Class(`class${i}`, i)));
            const small = await runPlan({ stack: "prod", config: { agentClasses: classes(before) } });
            const large = await runPlan({ stack: "prod", config: { agentClasses: classes(after) } });
            const largeByKey = new Map(large.resources.map((r) => [key(r), r]));
            for (const r of small.resources) {
                const same = largeByKey.get(key(r));
                assert.ok(same, `${key(r)} disappeared when a class was added`);
                assert.deepEqual(same, r, `${key(r)} changed when a class was added`);
            }
            const added = large.resources.filter((r) => !small.resources.some((s) => key(s) === key(r)));
            assert.ok(added.length > 0);
            assert.ok(
                added.every((r) => r.name.startsWith(`class-class${before}`) || r.name === `class${before}`),
                `only the new class's resources are added: ${added.map(key).join(", ")}`,
            );
        });
    }
});

describe("agent classes: the program under mocks", () => {
    it("gives each class its own UAMI, FIC, GCP provider in the shared pool and AWS role behind the shared OIDC provider", async () => {
        const plan = await runPlan({ stack: "prod", config: { agentClasses: [agentClass("finance")] } });
        const uami = resource(plan, UAMI_TYPE, "class-finance");
        assert.equal(uami.inputs.resourceName, "mi-finance-agent");
        assert.equal(uami.protect, true);
        const fic = resource(plan, "pulumi-nodejs:dynamic/agentfed:BlueprintFederatedIdentityCredential", "class-finance-uami");
        const classOid = (plan.outputs.agentClasses as Record<string, { uamiOid: string }>)["finance"]!.uamiOid;
        assert.equal(fic.inputs.subject, classOid);
        assert.notEqual(classOid, plan.outputs.uamiOid);

        const provider = resource(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "class-finance-gcp");
        assert.equal(provider.inputs.workloadIdentityPoolId, "agentfed-prod", "in the primary agent's pool");
        assert.equal(provider.inputs.attributeCondition, `assertion.tid == '${TENANT}' && assertion.sub == '${classOid}'`);
        assert.equal(plan.resources.filter((r) => r.type === "gcp:iam/workloadIdentityPool:WorkloadIdentityPool").length, 1);
        assert.equal(plan.resources.filter((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider").length, 1);
        assert.equal(plan.resources.filter((r) => r.type === "azuread:index/application:Application").length, 1, "one intermediary app");
        const assignment = resource(plan, "azuread:index/appRoleAssignment:AppRoleAssignment", "class-finance-aws-uami-assume");
        assert.equal(assignment.inputs.principalObjectId, classOid);
        const env = resource(plan, "azure-native:app:ManagedEnvironment", "agent-env");
        const app = resource(plan, "azure-native:app:ContainerApp", "class-finance");
        assert.match(String(app.inputs.managedEnvironmentId), new RegExp(`${env.name}$`), "in the shared environment");
        assert.deepEqual((app.inputs.identity as { userAssignedIdentities: string[] }).userAssignedIdentities, [
            (plan.outputs.agentClasses as Record<string, { uamiResourceId: string }>)["finance"]!.uamiResourceId,
        ]);
    });

    it("Option 2: the cloud contracts pin the Agent Identity and the dedicated audience; the sidecar and refresher mint it", async () => {
        const plan = await runPlan({ stack: "prod", config: { agentClasses: [option2Class("research")] } });
        const provider = resource(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "class-research-gcp");
        assert.equal(provider.inputs.attributeCondition, `assertion.tid == '${TENANT}' && assertion.oid == '${AGENT_IDENTITY_OID}'`);
        assert.deepEqual((provider.inputs.attributeMapping as Record<string, string>)["google.subject"], "assertion.oid");
        assert.deepEqual((provider.inputs.oidc as { allowedAudiences: string[] }).allowedAudiences, [CLASS_BLUEPRINT_APP_ID]);
        const binding = resource(plan, "gcp:serviceaccount/iAMMember:IAMMember", "class-research-gcp-workload-identity-user");
        assert.match(String(binding.inputs.member), new RegExp(`/subject/${AGENT_IDENTITY_OID}$`));
        const assignment = resource(plan, "azuread:index/appRoleAssignment:AppRoleAssignment", "class-research-aws-agent-identity-assume");
        assert.equal(assignment.inputs.principalObjectId, AGENT_IDENTITY_OID);

        const app = resource(plan, "azure-native:app:ContainerApp", "class-research");
        const containers = (app.inputs.template as { containers: { name: string; env: { name: string; value: string }[] }[] }).containers;
        const env = (name: string) => Object.fromEntries(containers.find((c) => c.name === name)!.env.map((e) => [e.name, e.value]));
        const sidecar = env("entra-auth-sidecar");
        assert.equal(sidecar["DownstreamApis__AgentfedGcpFederation__Scopes__0"], `${CLOUD_AUDIENCE}/.default`);
        assert.equal(sidecar["DownstreamApis__AgentfedAwsFederation__Scopes__0"], `api://${TENANT}/agentfed-aws-prod/.default`);
        assert.equal(sidecar["AzureAd__ClientId"], CLASS_BLUEPRINT_APP_ID);
        assert.equal(sidecar["Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated"], "true");
        const targets = JSON.parse(env("token-refresher")["AGENTFED_TOKEN_TARGETS"]!) as { name: string; sidecar?: { api: string; agentIdentity: string } }[];
        assert.deepEqual(
            targets.map((t) => [t.name, t.sidecar?.api, t.sidecar?.agentIdentity]),
            [
                ["gcp", "AgentfedGcpFederation", AGENT_IDENTITY_CLIENT_ID],
                ["aws", "AgentfedAwsFederation", AGENT_IDENTITY_CLIENT_ID],
            ],
        );
    });

    it("a class may run in its own environment, and Option 2 follows the audience app's token version", async () => {
        const existing = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/research-env";
        const c = option2Class("research");
        const plan = await runPlan({
            stack: "prod",
            config: {
                agentClasses: [
                    {
                        ...c,
                        agentIdentity: { ...c.agentIdentity, cloudFederationAudience: { identifierUri: CLOUD_AUDIENCE, tokenVersion: 1 } },
                        containerApp: { ...c.containerApp, environment: { existingId: existing } },
                    },
                ],
            },
        });
        assert.equal(resource(plan, "azure-native:app:ContainerApp", "class-research").inputs.managedEnvironmentId, existing);
        const provider = resource(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "class-research-gcp");
        assert.equal((provider.inputs.oidc as { issuerUri: string }).issuerUri, `https://sts.windows.net/${TENANT}/`);
    });

    it("the policy pack accepts Option 2's cloud-federation entries and still flags a downstream audience in a cloud contract", async () => {
        const plan = await runPlan({ stack: "prod", config: { agentClasses: [agentClass("finance"), option2Class("research")] } });
        const rule = policies.find((p) => p.name === "cloud-contracts-reject-downstream-audiences")!;
        const run = async (resources: PlannedResource[]) => {
            const found: string[] = [];
            await (rule as { validateStack: (a: unknown, r: (m: string) => void) => Promise<void> | void }).validateStack(
                {
                    resources: resources.map((r) => ({ type: r.type, name: r.name, urn: `urn:pulumi:prod::agentfed::${r.type}::${r.name}`, props: r.inputs })),
                    getConfig: () => ({}),
                },
                (m: string) => found.push(m),
            );
            return found;
        };
        assert.deepEqual(await run(plan.resources), []);
        const leaky = plan.resources.map((r) =>
            r.name === "class-research-gcp" && r.type.endsWith("WorkloadIdentityPoolProvider")
                ? { ...r, inputs: { ...r.inputs, oidc: { issuerUri: "x", allowedAudiences: ["api://ledger-finance"] } } }
                : r,
        );
        assert.match((await run(leaky)).join("\n"), /accepts api:\/\/ledger-finance, the audience of a downstream API/);
    });
});

describe("Option 2 trust contracts (real evaluators)", () => {
    const subject = agentIdentityWorkloadSubject(TENANT, AGENT_IDENTITY_OID, { identifierUri: CLOUD_AUDIENCE, appId: CLASS_BLUEPRINT_APP_ID, tokenVersion: 2 });
    const gcp: GcpProviderContract = gcpProviderContract(
        { projectNumber: "123456789012", poolId: "agentfed-prod", providerId: "agent-research" },
        "sa@p.iam.gserviceaccount.com",
        subject,
    );
    /** An app-only Agent Identity JWT minted for the cloud-federation audience (v2: aud is the appId). */
    const agentIdentityToken = {
        iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        aud: CLASS_BLUEPRINT_APP_ID,
        sub: AGENT_IDENTITY_OID,
        oid: AGENT_IDENTITY_OID,
        tid: TENANT,
        idtyp: "app",
        exp: AT + 60,
    };

    it("GCP accepts the Agent Identity's token in the audience spelling its token version carries, and only that one", () => {
        assert.deepEqual(evaluateGcpProvider(gcp, agentIdentityToken, AT), { accepted: true, reasons: [] });
        // A v2 audience app stamps its appId; the identifier URI spelling is not accepted on top of it.
        assert.match(evaluateGcpProvider(gcp, { ...agentIdentityToken, aud: CLOUD_AUDIENCE }, AT).reasons.join("\n"), /audience/i);
        // A v1 audience app: the v1 issuer and the identifier URI the sidecar asked for, and not the appId.
        const v1 = gcpProviderContract(
            { projectNumber: "123456789012", poolId: "agentfed-prod", providerId: "agent-research" },
            "sa@p.iam.gserviceaccount.com",
            agentIdentityWorkloadSubject(TENANT, AGENT_IDENTITY_OID, { identifierUri: CLOUD_AUDIENCE, appId: CLASS_BLUEPRINT_APP_ID, tokenVersion: 1 }),
        );
        const v1Token = { ...agentIdentityToken, iss: `https://sts.windows.net/${TENANT}/`, aud: CLOUD_AUDIENCE };
        assert.deepEqual(evaluateGcpProvider(v1, v1Token, AT), { accepted: true, reasons: [] });
        assert.equal(evaluateGcpProvider(v1, { ...v1Token, aud: CLASS_BLUEPRINT_APP_ID }, AT).accepted, false);
    });

    it("GCP rejects another Agent Identity, another tenant, the UAMI's token and a downstream API's token", () => {
        const rejected = (claims: object) => evaluateGcpProvider(gcp, { ...agentIdentityToken, ...claims }, AT);
        assert.match(rejected({ oid: OTHER_OID, sub: OTHER_OID }).reasons.join("\n"), /attribute condition/);
        assert.equal(rejected({ tid: OTHER_TENANT }).accepted, false);
        assert.equal(rejected({ iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT }).accepted, false);
        // The UAMI's own token: right tenant, token-exchange audience, another oid.
        assert.equal(rejected({ aud: "fb60f99c-7a34-4190-8149-302f77469936", sub: OTHER_OID, oid: OTHER_OID }).accepted, false);
        // A token the sidecar minted for the Weather API, replayed at GCP STS (the confused deputy).
        assert.match(rejected({ aud: "api://weather" }).reasons.join("\n"), /audience/i);
        // The condition pins the Agent Identity, never the tenant alone.
        assert.match(gcp.attributeCondition, /assertion\.oid == '/);
        assert.notEqual(gcp.attributeCondition.trim(), `assertion.tid == '${TENANT}'`);
    });

    it("AWS accepts the Agent Identity's token for the intermediary audience and rejects the UAMI's, another agent's and Weather's", async () => {
        const plan = await runPlan({ stack: "prod", config: { agentClasses: [option2Class("research")] } });
        const role = plan.trustContracts.find((c): c is AwsRoleContract => c.kind === "aws-role" && c.name === "agentfed-research-bedrock");
        assert.ok(role);
        const token = {
            iss: `https://sts.windows.net/${TENANT}/`,
            aud: `api://${TENANT}/agentfed-aws-prod`,
            sub: AGENT_IDENTITY_TOKEN_SUBJECT,
            oid: AGENT_IDENTITY_OID,
            tid: TENANT,
            exp: AT + 60,
        };
        assert.deepEqual(evaluateAwsRole(role, token, AT), { accepted: true, reasons: [] });
        const primaryOid = String(plan.outputs.uamiOid);
        assert.equal(evaluateAwsRole(role, { ...token, sub: primaryOid, oid: primaryOid }, AT).accepted, false);
        assert.equal(evaluateAwsRole(role, { ...token, sub: OTHER_OID, oid: OTHER_OID }, AT).accepted, false);
        // The object id is not what AWS compares: a token whose sub were the oid is refused.
        assert.equal(evaluateAwsRole(role, { ...token, sub: AGENT_IDENTITY_OID }, AT).accepted, false);
        assert.equal(evaluateAwsRole(role, { ...token, aud: "api://weather" }, AT).accepted, false);
        assert.equal(evaluateAwsRole(role, { ...token, iss: `https://sts.windows.net/${OTHER_TENANT}/`, tid: OTHER_TENANT }, AT).accepted, false);
    });
});

describe("Option 2 for the stack's primary agent", () => {
    const agentIdentity = {
        objectId: AGENT_IDENTITY_OID,
        clientId: AGENT_IDENTITY_CLIENT_ID,
        tokenSubject: AGENT_IDENTITY_TOKEN_SUBJECT,
        cloudFederationAudience: { identifierUri: "api://agentfed-weather-cloud" },
    };

    it("pins the Agent Identity in the primary GCP provider and AWS role, and adds the sidecar entries", async () => {
        const plan = await runPlan({ stack: "prod", config: { cloudPrincipal: "agentIdentity", agentIdentity } });
        const provider = resource(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "gcp");
        assert.equal(provider.inputs.attributeCondition, `assertion.tid == '${TENANT}' && assertion.oid == '${AGENT_IDENTITY_OID}'`);
        // The audience is defined on the stack's Blueprint unless appId says otherwise.
        assert.deepEqual((provider.inputs.oidc as { allowedAudiences: string[] }).allowedAudiences, ["44444444-4444-4444-4444-444444444444"]);
        const role = plan.trustContracts.find((c): c is AwsRoleContract => c.kind === "aws-role")!;
        assert.equal(role.subject, AGENT_IDENTITY_TOKEN_SUBJECT);
        assert.equal(
            resource(plan, "azuread:index/appRoleAssignment:AppRoleAssignment", "aws-agent-identity-assume").inputs.principalObjectId,
            AGENT_IDENTITY_OID,
        );
        assert.ok(!plan.resources.some((r) => r.name === "aws-uami-assume"), "the UAMI no longer gets the AWS audience");
        const app = resource(plan, "azure-native:app:ContainerApp", "agent");
        const sidecar = (app.inputs.template as { containers: { name: string; env: { name: string; value: string }[] }[] }).containers.find(
            (c) => c.name === "entra-auth-sidecar",
        )!;
        assert.ok(
            sidecar.env.some((e) => e.name === "DownstreamApis__AgentfedGcpFederation__Scopes__0" && e.value === "api://agentfed-weather-cloud/.default"),
        );
        assert.ok(
            sidecar.env.some((e) => e.name === "DownstreamApis__Weather__Scopes__0"),
            "the Weather leg is unchanged",
        );
        assert.equal(plan.outputs.cloudPrincipal, "agentIdentity");
        assert.equal(plan.outputs.agentIdentityObjectId, AGENT_IDENTITY_OID);
        // The FIC still trusts the UAMI: the sidecar authenticates as the Blueprint with the UAMI's token.
        assert.equal(resource(plan, "pulumi-nodejs:dynamic/agentfed:BlueprintFederatedIdentityCredential", "uami").inputs.subject, plan.outputs.uamiOid);
    });

    it("refuses the primary agent's audience trap and a stray agentIdentity", () => {
        const raw = readStackConfig("prod");
        const issues = (patch: Record<string, unknown>) => {
            const source = {
                ...raw,
                ...Object.fromEntries(Object.entries(patch).map(([k, v]) => [`agentfed:${k}`, typeof v === "string" ? v : JSON.stringify(v)])),
            };
            try {
                parseStackConfig({ get: (k) => source[`agentfed:${k}`] }, "agentfed");
                return "";
            } catch (err) {
                return String(err);
            }
        };
        assert.equal(issues({ cloudPrincipal: "agentIdentity", agentIdentity }), "");
        assert.match(
            issues({ cloudPrincipal: "agentIdentity", agentIdentity: { ...agentIdentity, cloudFederationAudience: { identifierUri: "api://weather" } } }),
            /agentfed:agentIdentity\.cloudFederationAudience equals the audience of a downstream API/,
        );
        assert.match(issues({ agentIdentity }), /agentfed:agentIdentity\.cloudFederationAudience is set, but cloudPrincipal is uami/);
        // Option 2 on AWS pins sub, which is not the object id in Microsoft's sample: tokenSubject must be read, not assumed.
        const { tokenSubject: _omitted, ...withoutSubject } = agentIdentity;
        assert.match(
            issues({ cloudPrincipal: "agentIdentity", agentIdentity: withoutSubject }),
            /agentfed:agentIdentity\.tokenSubject is not set: under Option 2 the AWS role pins the sub claim.*Fix: read it from a token the sidecar minted.*npm run doctor -- --stack <stack> --token <jwt>/s,
        );
        // Without AWS nothing pins sub, so tokenSubject stays optional.
        const withoutAws: Record<string, string | undefined> = {
            ...raw,
            "agentfed:aws": undefined,
            "agentfed:cloudPrincipal": "agentIdentity",
            "agentfed:agentIdentity": JSON.stringify(withoutSubject),
        };
        assert.doesNotThrow(() => parseStackConfig({ get: (k) => withoutAws[`agentfed:${k}`] }, "agentfed"));
        assert.match(issues({ cloudPrincipal: "agentidentity" }), /agentfed:cloudPrincipal must be one of uami, agentIdentity/);
    });

    it("compares the AWS intermediary audience with downstream scopes as Entra resolves them: any case, any trailing slash (issue 24, item 7)", () => {
        const raw = readStackConfig("prod");
        const issuesWithScope = (scope: string) => {
            const app = JSON.parse(raw["agentfed:containerApp"]!) as { sidecar: { downstreamApis: { scopes: string[] }[] } };
            app.sidecar.downstreamApis[0]!.scopes = [scope];
            const source: Record<string, string> = {
                ...raw,
                "agentfed:containerApp": JSON.stringify(app),
                "agentfed:cloudPrincipal": "agentIdentity",
                "agentfed:agentIdentity": JSON.stringify(agentIdentity),
            };
            try {
                parseStackConfig({ get: (k) => source[`agentfed:${k}`] }, "agentfed");
                return "";
            } catch (err) {
                return String(err);
            }
        };
        const tenant = "11111111-1111-1111-1111-111111111111";
        for (const scope of [
            `api://${tenant}/agentfed-aws-prod/.default`,
            `API://${tenant}/AGENTFED-AWS-PROD/.default`,
            `api://${tenant}/Agentfed-Aws-Prod//.default`,
        ])
            assert.match(issuesWithScope(scope), /agentfed:aws\.identifierUri equals the audience of a downstream API the sidecar calls/, scope);
        assert.equal(issuesWithScope("api://weather/.default"), "");
    });
});

describe("Option 2 when the Agent Identity's tokens carry a sub distinct from oid", () => {
    it("GCP pins oid, AWS pins the configured tokenSubject; each accepts the real token shape and refuses the other pin", async () => {
        const tokenSubject = "dddddddd-1111-4222-8333-444444444444";
        const c = option2Class("research");
        const plan = await runPlan({ stack: "prod", config: { agentClasses: [{ ...c, agentIdentity: { ...c.agentIdentity, tokenSubject } }] } });
        const role = plan.trustContracts.find((x): x is AwsRoleContract => x.kind === "aws-role" && x.name === "agentfed-research-bedrock")!;
        const gcp = plan.trustContracts.find((x): x is GcpProviderContract => x.kind === "gcp-provider" && x.providerId === "agent-research")!;
        assert.equal(role.subject, tokenSubject);
        // The app role goes to the Agent Identity's object, whatever its tokens call it.
        assert.equal(
            resource(plan, "azuread:index/appRoleAssignment:AppRoleAssignment", "class-research-aws-agent-identity-assume").inputs.principalObjectId,
            AGENT_IDENTITY_OID,
        );
        const base = { sub: tokenSubject, oid: AGENT_IDENTITY_OID, tid: TENANT, idtyp: "app", exp: AT + 60 };
        const awsToken = { ...base, iss: `https://sts.windows.net/${TENANT}/`, aud: `api://${TENANT}/agentfed-aws-prod` };
        assert.deepEqual(evaluateAwsRole(role, awsToken, AT), { accepted: true, reasons: [] });
        assert.equal(evaluateAwsRole(role, { ...awsToken, sub: AGENT_IDENTITY_OID }, AT).accepted, false);
        const gcpToken = { ...base, iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, aud: CLASS_BLUEPRINT_APP_ID };
        assert.deepEqual(evaluateGcpProvider(gcp, gcpToken, AT), { accepted: true, reasons: [] });
        assert.equal(evaluateGcpProvider(gcp, { ...gcpToken, oid: tokenSubject }, AT).accepted, false);
    });

    it("refuses a malformed tokenSubject", () => {
        const c = option2Class("research");
        assert.match(
            classIssues([{ ...c, agentIdentity: { ...c.agentIdentity, tokenSubject: "*" } }]).join("\n"),
            /agentIdentity\.tokenSubject: contains a wildcard/,
        );
    });
});

function guid(n: number): string {
    return `bbbbbbbb-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

describe("agent classes: dependency graph", () => {
    it("adding classes never lengthens the longest chain, and shared resources wait only for values they use", async () => {
        const { longestDependencyChain } = await import("../src/plan/dependency-chain.js");
        // A stack that creates its own resource group (the committed prod leaves it to the CI bootstrap): the longest chain.
        const resourceGroup = { name: "rg-agentfed-prod", create: true };
        const one = await runPlan({ stack: "prod", config: { resourceGroup, agentClasses: [agentClass("class0")] }, recordGraph: true });
        const three = await runPlan({
            stack: "prod",
            config: { resourceGroup, agentClasses: [agentClass("class0"), option2Class("class1", 1), agentClass("class2")] },
            recordGraph: true,
        });
        const chain = longestDependencyChain(three.graph);
        assert.equal(chain.length, longestDependencyChain(one.graph).length);
        // Resource group -> UAMI -> role (its trust policy pins the UAMI's oid) -> role policy: each step uses the previous one's output.
        assert.equal(chain.length, 4, chain.chain.join(" -> "));
        const node = (type: string, name: string) => three.graph.find((n) => n.type === type && n.name === name)!;
        const uamiUrns = three.graph.filter((n) => n.type === UAMI_TYPE).map((n) => n.urn);
        // The OIDC provider's URL and audience come from config: it must not wait for any UAMI.
        assert.deepEqual(
            node("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws").dependencies.filter((d) => uamiUrns.includes(d)),
            [],
        );
        // Option 2 pins a configured Agent Identity: its GCP provider waits for the pool only, not for the class's UAMI.
        assert.deepEqual(
            node("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "class-class1-gcp").dependencies.filter((d) => uamiUrns.includes(d)),
            [],
        );
        // No class waits for another class.
        const class0 = three.graph.filter((n) => n.name.startsWith("class-class0")).map((n) => n.urn);
        assert.ok(three.graph.filter((n) => n.name.startsWith("class-class2")).every((n) => n.dependencies.every((d) => !class0.includes(d))));
    });
});

describe("agents whose stack sections hold only the shared keys (issue 25)", () => {
    const prod = (section: string) => JSON.parse(readStackConfig("prod")[`agentfed:${section}`]!) as Record<string, unknown>;
    const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
    const gcpShared = pick(prod("gcp"), ["projectId", "projectNumber", "poolId"]);
    const awsShared = pick(prod("aws"), ["accountId", "region", "audienceMode", "intermediaryAppName"]);
    /** The primary agent needs no model credentials; the finance class federates to GCP and AWS. */
    const classOnly = { gcp: gcpShared, aws: awsShared, agentClasses: [agentClass("finance")] };
    const SHARED_PARENTS = [
        "agentfed:stack:SharedInfrastructure::shared",
        "agentfed:gcp:SharedFederation::gcp",
        "agentfed:aws:SharedFederation::aws",
        "agentfed:azure:ContainerAppsEnvironment::agent",
    ];

    it("gives the primary agent no cloud principal and the finance class its own, through the shared pool and OIDC provider", async () => {
        const plan = await runPlan({ stack: "prod", config: classOnly });
        const of = (type: string) => plan.resources.filter((r) => r.type === type).map((r) => r.name);
        assert.deepEqual(of("gcp:iam/workloadIdentityPool:WorkloadIdentityPool"), ["gcp"]);
        assert.deepEqual(of("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"), ["class-finance-gcp"]);
        assert.deepEqual(of("gcp:serviceaccount/account:Account"), ["class-finance-gcp"]);
        assert.deepEqual(of("aws:iam/openIdConnectProvider:OpenIdConnectProvider"), ["aws"]);
        assert.deepEqual(of("aws:iam/role:Role"), ["class-finance-aws"]);
        assert.deepEqual(of("azuread:index/appRoleAssignment:AppRoleAssignment"), ["class-finance-aws-uami-assume"]);
        const classOid = (plan.outputs.agentClasses as Record<string, { uamiOid: string }>)["finance"]!.uamiOid;
        assert.equal(
            resource(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "class-finance-gcp").inputs.attributeCondition,
            `assertion.tid == '${TENANT}' && assertion.sub == '${classOid}'`,
        );

        // The primary agent's outputs say it has no principal in either cloud; the shared OIDC provider is still there.
        for (const name of ["gcpWorkloadIdentityProvider", "gcpServiceAccountEmail", "gcpCredentialConfig", "awsRoleArn", "awsTokenRefresher"])
            assert.equal(plan.outputs[name], null, name);
        assert.equal(plan.outputs.awsOidcProviderArn, `arn:aws:iam::123456789012:oidc-provider/sts.windows.net/${TENANT}/`);
        const finance = (plan.outputs.agentClasses as Record<string, Record<string, unknown>>)["finance"]!;
        assert.equal(finance.gcpWorkloadIdentityProvider, "projects/123456789012/locations/global/workloadIdentityPools/agentfed-prod/providers/agent-finance");
        assert.equal(finance.awsRoleArn, "arn:aws:iam::123456789012:role/agentfed-finance-bedrock");
        assert.deepEqual(
            plan.trustContracts.map((c) => [c.kind, "name" in c ? c.name : ""]),
            [
                ["entra-fic", "uami-mi-weather-agent"],
                ["entra-fic", "uami-mi-finance-agent"],
                ["gcp-provider", "projects/123456789012/locations/global/workloadIdentityPools/agentfed-prod/providers/agent-finance"],
                ["aws-role", "agentfed-finance-bedrock"],
            ],
        );
        // The primary agent's app has no cloud to refresh tokens for: no refresher, no credential file.
        const app = resource(plan, "azure-native:app:ContainerApp", "agent");
        assert.deepEqual(
            (app.inputs.template as { containers: { name: string }[] }).containers.map((c) => c.name),
            ["agent", "entra-auth-sidecar"],
        );
    });

    it("builds the same shared infrastructure whether or not the primary agent federates: nothing shared depends on it", async () => {
        const withPrimary = await runPlan({ stack: "prod", config: { agentClasses: [agentClass("finance")] } });
        const withoutPrimary = await runPlan({ stack: "prod", config: classOnly });
        const sharedOf = (plan: PlanResult) => plan.resources.filter((r) => r.parent !== undefined && SHARED_PARENTS.includes(r.parent));
        assert.ok(sharedOf(withPrimary).length >= 10);
        assert.deepEqual(sharedOf(withoutPrimary), sharedOf(withPrimary));
        // And the finance class's resources are the same too: a class never takes an input from the primary agent.
        const financeOf = (plan: PlanResult) => plan.resources.filter((r) => r.name.startsWith("class-finance"));
        assert.deepEqual(financeOf(withoutPrimary), financeOf(withPrimary));
    });

    it("runs a class on Container Apps when the primary agent has no app, in an environment created with the default retention", async () => {
        const plan = await runPlan({ stack: "prod", config: { containerApp: undefined, agentClasses: [agentClass("finance")] } });
        const env = resource(plan, "azure-native:app:ManagedEnvironment", "agent-env");
        assert.equal(env.parent, "agentfed:azure:ContainerAppsEnvironment::agent");
        assert.equal(resource(plan, "azure-native:operationalinsights:Workspace", "agent-logs").inputs.retentionInDays, 30);
        assert.match(String(resource(plan, "azure-native:app:ContainerApp", "class-finance").inputs.managedEnvironmentId), /\/managedEnvironments\/agent-env$/);
        assert.equal(plan.resources.filter((r) => r.type === "azure-native:app:ContainerApp").length, 1);
        assert.deepEqual([plan.outputs.containerAppName, plan.outputs.containerAppFqdn], [null, null]);
        assert.equal((plan.outputs.agentClasses as Record<string, { containerAppName: string }>)["finance"]!.containerAppName, "finance-agent");
        // Without any app, no environment: the union of what the agents use is empty.
        const none = await runPlan({ stack: "prod", config: { containerApp: undefined } });
        assert.equal(none.resources.filter((r) => r.type.startsWith("azure-native:app:")).length, 0);
    });

    it("refuses a section no agent uses, half an agent's keys, and Option 2 for a primary agent without a cloud", () => {
        const issues = (patch: Record<string, unknown>, classes: unknown[] = []) => {
            const raw = readStackConfig("prod");
            raw["agentfed:agentClasses"] = JSON.stringify(classes);
            for (const [k, v] of Object.entries(patch)) raw[`agentfed:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
            try {
                parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed");
                return "";
            } catch (err) {
                assert.ok(err instanceof ConfigError, String(err));
                return err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`).join("\n");
            }
        };
        assert.equal(issues({ gcp: gcpShared, aws: awsShared }, [agentClass("finance")]), "");
        assert.match(
            issues({ gcp: gcpShared }),
            /^agentfed:gcp: holds only the settings agents share .* no agent federates to GCP: nothing would be created \| set providerId and serviceAccountId for the primary agent, or gcp on an agent class, or remove agentfed:gcp$/,
        );
        assert.match(issues({ aws: awsShared }), /^agentfed:aws: holds only the settings agents share .* no agent federates to AWS/);
        const half = issues({ gcp: { ...gcpShared, modelRoles: ["roles/aiplatform.user"] } });
        assert.match(half, /agentfed:gcp\.providerId: must be 4-32 lowercase letters/);
        assert.match(half, /agentfed:gcp\.serviceAccountId: is not set/);
        assert.match(
            issues({ aws: { ...awsShared, roleName: "agentfed-weather-agent-bedrock" } }),
            /agentfed:aws\.modelArns: must list at least one Bedrock model ARN/,
        );
        const option2 = {
            cloudPrincipal: "agentIdentity",
            agentIdentity: {
                objectId: "aaaaaaaa-0000-4000-8000-000000000013",
                clientId: "aaaaaaaa-0000-4000-8000-000000000014",
                cloudFederationAudience: { identifierUri: "api://agentfed-weather-cloud" },
            },
        };
        assert.match(
            issues({ gcp: gcpShared, aws: awsShared, ...option2 }, [agentClass("finance")]),
            /agentfed:cloudPrincipal: is agentIdentity, but the agent federates to no cloud/,
        );
    });

    it("lets the CI bootstrap grant exactly what the agents use: the class's roles, none for the primary agent", () => {
        const target = targetStackWith({
            gcp: gcpShared,
            aws: awsShared,
            agentClasses: [{ ...agentClass("finance"), gcp: { ...agentClass("finance").gcp, modelRoles: ["roles/aiplatform.viewer"] } }],
        });
        assert.deepEqual(target.gcp?.grantedRoles, ["roles/aiplatform.viewer"]);
        assert.deepEqual(target.aws?.roleNames, ["agentfed-finance-bedrock"]);
        assert.equal(target.entra.createsIntermediaryApp, true);
    });
});
