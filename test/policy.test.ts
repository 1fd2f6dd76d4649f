import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { policies } from "../policy/policies";
import { CLOUD_FEDERATION_API_PREFIX, gcpProjectRole, MODEL_ROLES, TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, TYPES } from "../policy/checks";
import { GCP_MODEL_ROLES, modelRoleProblem } from "../src/clouds/gcp/config";
import { TOKEN_EXCHANGE_AUDIENCE_ALIASES } from "../src/contracts";
import { AGENT_IDENTITY_CLIENT_ID_ENV, OTHER_OVERRIDE_ENVS, RESERVED_API_PREFIX } from "../src/runtime/container-env";
import { AGENT_IDENTITY_CLIENT_ID_ENV as PACK_AGENT_IDENTITY_CLIENT_ID_ENV, OTHER_OVERRIDE_ENVS as PACK_OTHER_OVERRIDE_ENVS } from "../policy/checks";
import { runPlan } from "../src/plan/run-plan";
import { readStackConfig } from "../src/plan/stack-files";
import { createModeConfig } from "./fixtures/create-mode";
import { agentClass, option2Class } from "./fixtures/agent-classes";

// The policies run in-process: each one is called exactly as the CrossGuard engine calls it.
type Resource = { type: string; name?: string; props: Record<string, unknown>; protect?: boolean; stack?: string };

function urn(r: Resource): string {
    return `urn:pulumi:${r.stack ?? "prod"}::agentfed::${r.type}::${r.name ?? "r"}`;
}

function resourceArgs(r: Resource, config: object = {}): ResourceValidationArgs {
    return {
        type: r.type,
        props: r.props,
        urn: urn(r),
        name: r.name ?? "r",
        opts: {
            protect: r.protect ?? true,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: () => {
            throw new Error("not applicable");
        },
    } as unknown as ResourceValidationArgs;
}

/** Violations each policy reports for the given resources (resource policies per resource, stack policies once). */
async function violations(resources: Resource[], only?: string): Promise<Record<string, string[]>> {
    const found: Record<string, string[]> = {};
    for (const policy of policies) {
        if (only && policy.name !== only) continue;
        const report = (message: string) => (found[policy.name] ??= []).push(message);
        if ("validateResource" in policy && policy.validateResource) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const r of resources) for (const v of validations) await v(resourceArgs(r), report);
        }
        if ("validateStack" in policy) {
            const args = {
                resources: resources.map((r) => ({
                    type: r.type,
                    props: r.props,
                    urn: urn(r),
                    name: r.name ?? "r",
                    opts: { protect: r.protect ?? true },
                    dependencies: [],
                    propertyDependencies: {},
                })),
                stackTags: new Map(),
                getConfig: () => ({}),
                notApplicable: () => {
                    throw new Error("not applicable");
                },
            } as unknown as StackValidationArgs;
            await policy.validateStack(args, report);
        }
    }
    return found;
}

const goodFic = {
    issuer: "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0",
    subject: "33333333-3333-3333-3333-333333333333",
    audiences: ["api://AzureADTokenExchange"],
};
const trust = (condition: object, action: unknown = "sts:AssumeRoleWithWebIdentity") =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/sts.windows.net/t/" }, Action: action, Condition: condition },
        ],
    });
const pinned = { StringEquals: { "sts.windows.net/t/:aud": "api://agentfed-aws", "sts.windows.net/t/:sub": "33333333-3333-3333-3333-333333333333" } };

describe("policy pack", () => {
    it("shares the program's constants, which it keeps its own copy of so the pack ships alone", () => {
        assert.equal(CLOUD_FEDERATION_API_PREFIX, RESERVED_API_PREFIX);
        assert.deepEqual([TOKEN_EXCHANGE_AUDIENCE, TOKEN_EXCHANGE_APP_ID], [...TOKEN_EXCHANGE_AUDIENCE_ALIASES]);
        assert.deepEqual(MODEL_ROLES, GCP_MODEL_ROLES);
    });

    it("GCP: grants project roles that are model roles only, refusing exactly what the config parser refuses", async () => {
        const roles = [
            ...GCP_MODEL_ROLES,
            "projects/contoso-agents-prod/roles/modelCaller",
            "organizations/123456789/roles/modelCaller",
            "roles/owner",
            "roles/editor",
            "roles/iam.serviceAccountTokenCreator",
            "roles/iam.workloadIdentityUser",
            "roles/iam.serviceAccountKeyAdmin",
            "roles/iam.securityAdmin",
            "roles/resourcemanager.projectIamAdmin",
            "roles/aiplatform.admin",
            "roles/storage.admin",
            "roles/viewer",
        ];
        for (const role of roles) {
            const found = await violations([
                { type: TYPES.gcpProjectMember, props: { role, project: "p", member: "serviceAccount:a@p.iam.gserviceaccount.com" } },
            ]);
            assert.equal(found["gcp-project-roles-model-only"] !== undefined, modelRoleProblem(role) !== undefined, role);
        }
        assert.deepEqual(gcpProjectRole({ role: "roles/aiplatform.user" }), []);
        assert.match(gcpProjectRole({ role: "roles/iam.serviceAccountTokenCreator" })[0]!, /only model roles/);
    });

    it("every policy is mandatory, but the one that only advises, and has a description a reviewer can read", () => {
        assert.ok(policies.length >= 9);
        // Sharing a Blueprint between Agent Identities is Entra's model, not a misconfiguration: advice only.
        const ADVISORY = ["agent-identities-share-blueprint"];
        for (const p of policies) {
            assert.equal(p.enforcementLevel, ADVISORY.includes(p.name) ? "advisory" : "mandatory", p.name);
            assert.ok(p.description.length > 60, p.name);
        }
    });

    it("passes the stack's own prod and dev plans without a violation", async () => {
        for (const stack of ["prod", "dev"]) {
            const plan = await runPlan({ stack });
            const resources = plan.resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: r.inputs, protect: r.protect, stack }));
            assert.deepEqual(await violations(resources), {}, `stack ${stack}`);
        }
    });

    it("create mode: passes the prod plan that creates its Blueprint and Agent Identity, and flags them unprotected or unsponsored", async () => {
        const plan = await runPlan({ stack: "prod", config: createModeConfig() });
        const resources = plan.resources
            .filter((r) => r.custom)
            .map((r) => ({ type: r.type, name: r.name, props: r.inputs, protect: r.protect, stack: "prod" }));
        assert.ok(resources.some((r) => r.type === TYPES.agentIdBlueprint) && resources.some((r) => r.type === TYPES.agentIdentity));
        assert.deepEqual(await violations(resources), {});
        const created = resources.filter((r) => [TYPES.agentIdBlueprint, TYPES.blueprintPrincipal, TYPES.agentIdentity].includes(r.type as never));
        const unprotected = await violations(
            created.map((r) => ({ ...r, protect: false })),
            "identity-resources-protected-in-prod",
        );
        assert.equal(unprotected["identity-resources-protected-in-prod"]?.length, 3);
        const unsponsored = await violations([
            { type: TYPES.agentIdBlueprint, props: { displayName: "x", sponsorUserIds: [], identifierUris: ["API://AzureADTokenExchange/"] } },
            { type: TYPES.agentIdentity, props: { displayName: "x", sponsorUserIds: ["not-an-id"] } },
        ]);
        assert.deepEqual(unsponsored["agent-id-objects-accountable"], [
            "names no sponsor: every Blueprint and Agent Identity the stack creates needs a person or group accountable for it",
            "identifier URI API://AzureADTokenExchange/ is the token-exchange audience, reserved for FIC assertions",
            'sponsor "not-an-id" is not an object id',
        ]);
    });

    it("passes the prod plan with an Option 2 primary agent, an Option 1 and an Option 2 agent class", async () => {
        const primaryAgentIdentity = {
            objectId: "eeeeeeee-0000-4000-8000-000000000001",
            clientId: "eeeeeeee-0000-4000-8000-000000000002",
            tokenSubject: "eeeeeeee-0000-4000-8000-000000000005",
            cloudFederationAudience: { identifierUri: "api://agentfed-weather-cloud" },
        };
        // An Option 2 agent keeps its Blueprint to itself, so the Option 1 class gets one of its own.
        const financeOnItsOwnBlueprint = {
            ...agentClass("finance"),
            blueprint: { kind: "agentIdentityBlueprint", appId: "eeeeeeee-0000-4000-8000-000000000003", objectId: "eeeeeeee-0000-4000-8000-000000000004" },
        };
        const plan = await runPlan({
            stack: "prod",
            config: {
                cloudPrincipal: "agentIdentity",
                agentIdentity: primaryAgentIdentity,
                agentClasses: [financeOnItsOwnBlueprint, option2Class("research")],
            },
        });
        const resources = plan.resources
            .filter((r) => r.custom)
            .map((r) => ({ type: r.type, name: r.name, props: r.inputs, protect: r.protect, stack: "prod" }));
        assert.deepEqual(await violations(resources), {});
    });

    it("container apps: refuses a system-assigned identity", async () => {
        const sami = { type: TYPES.containerApp, props: { identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: ["/x"] } } };
        assert.match((await violations([sami]))["container-apps-user-assigned-identity-only"]![0]!, /must be exactly "UserAssigned"/);
        assert.deepEqual(
            await violations(
                [{ ...sami, props: { identity: { type: "UserAssigned", userAssignedIdentities: ["/x"] } } }],
                "container-apps-user-assigned-identity-only",
            ),
            {},
        );
    });

    it("FICs: refuses http or padded issuers, wildcard subjects, and any audience but api://AzureADTokenExchange", async () => {
        for (const type of [TYPES.appFic, TYPES.blueprintFic, TYPES.armFic]) {
            assert.deepEqual(await violations([{ type, props: goodFic }], "fic-exact-contract"), {});
            const bad = await violations(
                [{ type, props: { issuer: "http://issuer ", subject: "repo:org/*", audiences: ["fb60f99c-7a34-4190-8149-302f77469936"] } }],
                "fic-exact-contract",
            );
            assert.equal(bad["fic-exact-contract"]!.length, 3, type);
        }
    });

    it("GCP: refuses an empty or tid-only condition and a missing GUID audience; accepts a subject pin", async () => {
        const provider = (attributeCondition: string, allowedAudiences: string[]) => ({
            type: TYPES.gcpProvider,
            props: { attributeCondition, oidc: { issuerUri: "https://login.microsoftonline.com/t/v2.0", allowedAudiences } },
        });
        const both = ["api://AzureADTokenExchange", "fb60f99c-7a34-4190-8149-302f77469936"];
        assert.deepEqual(await violations([provider("assertion.tid == 't' && assertion.sub == '3333'", both)], "gcp-provider-pins-subject"), {});
        assert.match((await violations([provider("", both)]))["gcp-provider-pins-subject"]![0]!, /empty/);
        assert.match((await violations([provider("assertion.tid == 't'", both)]))["gcp-provider-pins-subject"]![0]!, /tid-only/);
        assert.match(
            (await violations([provider("assertion.sub == '3333'", ["api://AzureADTokenExchange"])]))["gcp-provider-pins-subject"]![0]!,
            /without its GUID/,
        );
    });

    it("GCP: refuses principalSet impersonation", async () => {
        const member = (m: string) => ({ type: TYPES.gcpSaMember, props: { role: "roles/iam.workloadIdentityUser", member: m } });
        assert.deepEqual(
            await violations(
                [member("principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/3333")],
                "gcp-impersonation-single-subject",
            ),
            {},
        );
        assert.match(
            (await violations([member("principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*")]))[
                "gcp-impersonation-single-subject"
            ]![0]!,
            /principalSet/,
        );
    });

    it("AWS: accepts the pinned trust policy; refuses StringLike, a missing sub, extra actions and wildcards", async () => {
        const role = (policy: string) => ({ type: TYPES.awsRole, props: { assumeRolePolicy: policy } });
        assert.deepEqual(await violations([role(trust(pinned))], "aws-web-identity-trust-pinned"), {});
        const like = await violations(
            [role(trust({ StringLike: { "sts.windows.net/t/:sub": "*" }, StringEquals: { "sts.windows.net/t/:aud": "a" } }))],
            "aws-web-identity-trust-pinned",
        );
        assert.match(like["aws-web-identity-trust-pinned"]!.join("\n"), /StringLike is not allowed[\s\S]*no StringEquals on <provider>:sub[\s\S]*wildcard/);
        const actions = await violations([role(trust(pinned, ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]))], "aws-web-identity-trust-pinned");
        assert.match(actions["aws-web-identity-trust-pinned"]![0]!, /only be granted sts:AssumeRoleWithWebIdentity/);
    });

    it("AWS: refuses * on *", async () => {
        const star = { type: TYPES.awsRolePolicy, props: { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) } };
        assert.match((await violations([star]))["aws-no-star-on-star"]![0]!, /allows "\*" on "\*"/);
    });

    it("storage: TLS 1.2 and HTTPS only; anonymous read only at blob level on the oidc container, with only the two documents", async () => {
        const found = await violations(
            [
                { type: TYPES.storageAccount, props: { minimumTlsVersion: "TLS1_0", enableHttpsTrafficOnly: false } },
                { type: TYPES.blobContainer, props: { containerName: "oidc", publicAccess: "Container" } },
                { type: TYPES.blobContainer, props: { containerName: "backups", publicAccess: "Blob" } },
                { type: TYPES.blob, props: { containerName: "oidc", blobName: "index.html", contentType: "text/html" } },
                { type: TYPES.blob, props: { containerName: "oidc", blobName: "openid/v1/jwks", contentType: "text/plain" } },
            ],
            "storage-tls-and-anonymous-access",
        );
        assert.equal(found["storage-tls-and-anonymous-access"]!.length, 6);
        const ok = await violations(
            [
                { type: TYPES.storageAccount, props: { minimumTlsVersion: "TLS1_2", enableHttpsTrafficOnly: true } },
                { type: TYPES.blobContainer, props: { containerName: "oidc", publicAccess: "Blob" } },
                { type: TYPES.blob, props: { containerName: "oidc", blobName: ".well-known/openid-configuration", contentType: "application/json" } },
            ],
            "storage-tls-and-anonymous-access",
        );
        assert.deepEqual(ok, {});
    });

    it("identity resources must be protected in prod, not in dev", async () => {
        const uami = { type: TYPES.uami, props: {}, protect: false };
        assert.match((await violations([uami]))["identity-resources-protected-in-prod"]![0]!, /not protected in stack prod/);
        assert.deepEqual(await violations([{ ...uami, stack: "dev" }], "identity-resources-protected-in-prod"), {});
    });

    it("no cloud contract accepts a downstream API's audience (api://weather, or any scope the sidecar calls)", async () => {
        const app = {
            type: TYPES.containerApp,
            props: {
                identity: { type: "UserAssigned", userAssignedIdentities: ["/x"] },
                template: { containers: [{ env: [{ name: "DownstreamApis__Finance__Scopes__0", value: "api://finance/.default" }] }] },
            },
        };
        const gcp = (aud: string) => ({
            type: TYPES.gcpProvider,
            name: "p",
            props: { attributeCondition: "assertion.sub == 'x'", oidc: { issuerUri: "https://issuer.example", allowedAudiences: [aud] } },
        });
        const awsRole = {
            type: TYPES.awsRole,
            name: "role",
            props: { assumeRolePolicy: trust({ StringEquals: { "sts.windows.net/t/:aud": "api://weather", "sts.windows.net/t/:sub": "x" } }) },
        };
        const found = await violations([app, gcp("api://finance"), awsRole], "cloud-contracts-reject-downstream-audiences");
        assert.equal(found["cloud-contracts-reject-downstream-audiences"]!.length, 2);
        assert.deepEqual(await violations([app, gcp("api://agent-cloud-federation")], "cloud-contracts-reject-downstream-audiences"), {});
        // Entra resolves an audience without case or trailing slashes, so neither hides a downstream API's.
        for (const spelling of ["API://Finance", "api://finance/"])
            assert.equal(
                (await violations([app, gcp(spelling)], "cloud-contracts-reject-downstream-audiences"))["cloud-contracts-reject-downstream-audiences"]?.length,
                1,
                spelling,
            );
    });
});

describe("policy pack: the Entra auth sidecar", () => {
    const sidecar = (image: string, env: Record<string, string>) => ({
        type: TYPES.containerApp,
        props: {
            template: {
                containers: [
                    { name: "agent", image: "contoso.azurecr.io/agent:1.0.0", env: [] },
                    { name: "entra-auth-sidecar", image, env: Object.entries({ AzureAd__ClientId: "x", ...env }).map(([name, value]) => ({ name, value })) },
                ],
            },
        },
    });
    const current = "mcr.microsoft.com/entra-sdk/auth-sidecar:1.1.2-azurelinux3.0-distroless";

    it("refuses a sidecar older than 1.1.0, a versionless one, the Development environment and forwarded headers", async () => {
        assert.deepEqual(await violations([sidecar(current, { ASPNETCORE_ENVIRONMENT: "Production" })], "entra-sidecar-loopback-only"), {});
        const found = (
            await violations(
                [
                    sidecar("mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-azurelinux3.0-distroless", {}),
                    sidecar(`mcr.microsoft.com/entra-sdk/auth-sidecar@sha256:${"a".repeat(64)}`, {}),
                    sidecar(current, { ASPNETCORE_ENVIRONMENT: "Development" }),
                    sidecar(current, { ASPNETCORE_FORWARDEDHEADERS_ENABLED: "true" }),
                ],
                "entra-sidecar-loopback-only",
            )
        )["entra-sidecar-loopback-only"]!.join("\n");
        assert.match(found, /sidecar 1\.0\.0 answers any caller that reaches its port and sends Host: localhost/);
        assert.match(found, /names no version/);
        assert.match(found, /Development environment, which turns its loopback-only check off/);
        assert.match(found, /X-Forwarded-For/);
    });

    it("accepts the AgentIdentity override where it is bounded, Option 1 or 2, and never the unauthenticated downstream-call overrides", async () => {
        const P = "entra-sidecar-overrides-bounded";
        const bounded = {
            ASPNETCORE_URLS: "http://+:5000",
            ASPNETCORE_ENVIRONMENT: "Production",
            Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated: "true",
            Sidecar__AllowOverrides__GetAuthorizationHeader: "false",
            Sidecar__AllowOverrides__CallDownstreamApi: "false",
            Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated: "false",
        };
        assert.deepEqual(await violations([sidecar(current, bounded)], P), {}, "Option 1: the agent names its Agent Identity");
        const option2 = { DownstreamApis__AgentfedGcpFederation__Scopes__0: "api://agentfed-weather-cloud/.default" };
        assert.deepEqual(await violations([sidecar(current, { ...bounded, ...option2 })], P), {});
        const found = async (image: string, env: Record<string, string>, ingress?: object) => {
            const r = sidecar(image, env);
            if (ingress) (r.props as Record<string, unknown>).configuration = { ingress };
            return ((await violations([r], P))[P] ?? []).join("\n");
        };
        assert.match(await found("mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0", bounded), /is not shown to be 1\.1\.0 or later/);
        assert.match(await found(current, { ...bounded, ASPNETCORE_ENVIRONMENT: "Development" }), /Development environment turns the loopback-only check off/);
        assert.match(await found(current, { ...bounded, ASPNETCORE_FORWARDEDHEADERS_ENABLED: "true" }), /ASPNETCORE_FORWARDEDHEADERS_ENABLED/);
        const { Sidecar__AllowOverrides__GetAuthorizationHeader: _g, ...defaulted } = bounded;
        assert.match(
            await found(current, defaulted),
            /needs Sidecar__AllowOverrides__GetAuthorizationHeader=false written out \(got nothing, and it may default to true\)/,
        );
        assert.match(
            await found(current, { ...bounded, Sidecar__AllowOverrides__CallDownstreamApi: "true" }),
            /needs Sidecar__AllowOverrides__CallDownstreamApi=false written out \(got "true"\)/,
        );
        assert.match(await found(current, bounded, { targetPort: 5000 }), /ingress sends traffic to the sidecar's port 5000/);
        assert.match(await found(current, bounded, { targetPort: 8080, additionalPortMappings: [{ targetPort: 5000 }] }), /sidecar's port 5000/);
        assert.equal(await found(current, bounded, { targetPort: 8080 }), "");
        // Without the flag, nothing here applies but the downstream-call override.
        assert.equal(await found("mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0", { ASPNETCORE_ENVIRONMENT: "Development" }), "");
        assert.match(await found(current, { Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated: "true" }), /CallDownstreamApiUnauthenticated/);
    });

    it("reads the override flags as .NET does: keys without case or with ':' for '__', booleans with white space, every duplicate", async () => {
        const P = "entra-sidecar-overrides-bounded";
        const found = async (env: Record<string, string>) => ((await violations([sidecar(current, env)], P))[P] ?? []).join("\n");
        const bounded = {
            ASPNETCORE_URLS: "http://+:5000",
            Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated: "true",
            Sidecar__AllowOverrides__GetAuthorizationHeader: "false",
            Sidecar__AllowOverrides__CallDownstreamApi: "false",
            Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated: "false",
        };
        assert.equal(await found(bounded), "");
        // Each of these turns a flag on in the sidecar (configuration keys are case-insensitive; bool.Parse trims).
        assert.match(await found({ SIDECAR__ALLOWOVERRIDES__CALLDOWNSTREAMAPIUNAUTHENTICATED: "true" }), /CallDownstreamApiUnauthenticated=true/);
        assert.match(await found({ "Sidecar:AllowOverrides:CallDownstreamApiUnauthenticated": "True" }), /CallDownstreamApiUnauthenticated=true/);
        assert.match(await found({ Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated: " true " }), /CallDownstreamApiUnauthenticated=true/);
        assert.match(
            await found({ ...bounded, sidecar__allowoverrides__calldownstreamapi: "true" }),
            /needs Sidecar__AllowOverrides__CallDownstreamApi=false written out \(got "false", "true"\)/,
        );
        assert.match(await found({ ...bounded, aspnetcore_environment: "Development" }), /Development environment turns the loopback-only check off/);
        assert.match(await found({ ...bounded, ASPNETCORE_FORWARDEDHEADERS_ENABLED: " TRUE" }), /ASPNETCORE_FORWARDEDHEADERS_ENABLED/);
        // A flag written false in another spelling is still false.
        const { Sidecar__AllowOverrides__GetAuthorizationHeader: _g, ...rest } = bounded;
        assert.equal(await found({ ...rest, SIDECAR__ALLOWOVERRIDES__GETAUTHORIZATIONHEADER: " False" }), "");
    });

    it("names the same override flags and Agent Identity variable as the program (the pack cannot import it)", () => {
        assert.deepEqual(PACK_OTHER_OVERRIDE_ENVS, OTHER_OVERRIDE_ENVS);
        assert.equal(PACK_AGENT_IDENTITY_CLIENT_ID_ENV, AGENT_IDENTITY_CLIENT_ID_ENV);
    });

    it("advises when container apps call as different Agent Identities of one Blueprint", async () => {
        const P = "agent-identities-share-blueprint";
        const app = (name: string, blueprint: string, identity: string) => ({
            type: TYPES.containerApp,
            name,
            props: {
                template: {
                    containers: [
                        { name: "agent", image: "contoso.azurecr.io/agent:1.0.0", env: [{ name: "AGENT_IDENTITY_CLIENT_ID", value: identity }] },
                        { name: "entra-auth-sidecar", image: current, env: [{ name: "AzureAd__ClientId", value: blueprint }] },
                    ],
                },
            },
        });
        const [advice] = (await violations([app("a", "bp-1", "ai-1"), app("b", "bp-1", "ai-2"), app("c", "bp-2", "ai-3")], P))[P]!;
        assert.match(advice!, /container apps a, b call as 2 different Agent Identities of Blueprint bp-1: any replica the Blueprint trusts/);
        assert.deepEqual(await violations([app("a", "bp-1", "ai-1"), app("b", "bp-2", "ai-2")], P), {});
        // The sidecar reads AZUREAD:CLIENTID as AzureAd__ClientId (.NET configuration keys ignore case and take `:`).
        const spelt = app("b", "bp-1", "ai-2");
        spelt.props.template.containers[1]!.env = [{ name: "AZUREAD:CLIENTID", value: "bp-1" }];
        assert.match((await violations([app("a", "bp-1", "ai-1"), spelt], P))[P]![0]!, /container apps a, b call as 2 different Agent Identities/);
        assert.equal((policies.find((p) => p.name === P) as { enforcementLevel?: string }).enforcementLevel, "advisory");
    });

    it("passes prod's plan, whose agent calls Weather as its Agent Identity, with an Option 1 class on the same Blueprint only advised", async () => {
        const plan = await runPlan({ stack: "prod", config: { agentClasses: [agentClass("finance")] } });
        const resources = plan.resources
            .filter((r) => r.custom)
            .map((r) => ({ type: r.type, name: r.name, props: r.inputs, protect: r.protect, stack: "prod" }));
        const found = await violations(resources);
        assert.deepEqual(Object.keys(found), ["agent-identities-share-blueprint"], JSON.stringify(found));
    });

    it("checks the Kind sidecar too: its config map and its deployment's image", async () => {
        const configMap = { type: TYPES.k8sConfigMap, props: { data: { AzureAd__ClientId: "x", ASPNETCORE_ENVIRONMENT: "Development" } } };
        const deployment = {
            type: TYPES.k8sDeployment,
            props: { spec: { template: { spec: { containers: [{ name: "sidecar", image: "mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0" }] } } } },
        };
        const found = (await violations([configMap, deployment], "entra-sidecar-loopback-only"))["entra-sidecar-loopback-only"]!.join("\n");
        assert.match(found, /config map: the sidecar runs in the Development environment/);
        assert.match(found, /container "sidecar": sidecar 1\.0\.0/);
    });

    it("passes the personal Kind stack's plan (1.1.x image, Production, every override off on a classic app registration)", async () => {
        const kind = JSON.parse(readStackConfig("dev")["agentfed:kind"]!) as object;
        const plan = await runPlan({
            stack: "dev",
            config: {
                kind: {
                    ...kind,
                    kubeconfigContext: "kind-agentfed-dev",
                    agentImage: "ghcr.io/contoso/weather-agent:0.3.0",
                    downstreamApis: [{ name: "Weather", baseUrl: "https://weather.contoso.example", scopes: ["api://weather/.default"] }],
                },
            },
        });
        const resources = plan.resources
            .filter((r) => r.custom)
            .map((r) => ({ type: r.type, name: r.name, props: r.inputs, protect: r.protect, stack: "dev" }));
        assert.ok(resources.some((r) => r.type === TYPES.k8sConfigMap));
        assert.deepEqual(await violations(resources), {});
    });
});
