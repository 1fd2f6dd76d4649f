import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readStackConfig } from "../src/plan/stack-files";
import { runPlan, PlanResult } from "../src/plan/run-plan";
import type { AgentFedMocks } from "../src/plan/mocks";
import {
    AGENT_IDENTITY_OVERRIDE_OPENS,
    agentBaseEnv,
    agentIdentityOverrideProblem,
    agentSidecarEnv,
    authorizationHeaderUrl,
    sidecarOverrideEnv,
    DEFAULT_SIDECAR_IMAGE,
    downstreamApiEnv,
    kindSidecarEnv,
    sidecarEnv,
    sidecarImageProblem,
    sidecarImageVersion,
} from "../src/runtime/container-env";
import { sidecarTagVersion } from "../policy/checks";
import { imageProblem } from "../src/config/image-reference";
import { BLUEPRINT_APP_ID, TENANT, UAMI_CLIENT_ID, UAMI_OID, UAMI_TYPE, prodConfigIssues } from "./helpers";

const APP_TYPE = "azure-native:app:ContainerApp";
type Env = { name: string; value: string }[];
type Container = {
    name: string;
    env: Env;
    image: string;
    probes?: { httpGet: { port: number; path: string; httpHeaders: { name: string; value: string }[] } }[];
};

function containerApp(plan: PlanResult) {
    const app = plan.resources.find((r) => r.type === APP_TYPE);
    assert.ok(app, "no container app registered");
    const template = app.inputs.template as { containers: Container[] };
    const byName = Object.fromEntries(template.containers.map((c) => [c.name, c]));
    const env = (c: string) => Object.fromEntries((byName[c]?.env ?? []).map((e) => [e.name, e.value]));
    return { app, containers: template.containers, byName, env };
}

describe("agent container app (prod plan under mocks)", () => {
    it("wires every identity env from the UAMI and Blueprint outputs; change them and every env follows", async () => {
        for (const [clientId, appId] of [
            [UAMI_CLIENT_ID, BLUEPRINT_APP_ID],
            ["abababab-abab-abab-abab-abababababab", "cdcdcdcd-cdcd-cdcd-cdcd-cdcdcdcdcdcd"],
        ] as const) {
            const plan = await runPlan({
                stack: "prod",
                mockOverrides: { [`${UAMI_TYPE}::agent`]: { principalId: UAMI_OID, clientId } },
                config: {
                    blueprint: {
                        kind: "agentIdentityBlueprint",
                        appId,
                        objectId: "55555555-5555-5555-5555-555555555555",
                        uamiFicName: "uami-mi-weather-agent",
                    },
                },
            });
            const { env } = containerApp(plan);
            assert.deepEqual(
                { AZURE_CLIENT_ID: env("agent").AZURE_CLIENT_ID, SIDECAR_URL: env("agent").SIDECAR_URL },
                { AZURE_CLIENT_ID: clientId, SIDECAR_URL: "http://localhost:5000" },
            );
            const sidecar = env("entra-auth-sidecar");
            assert.equal(sidecar["AzureAd__ClientId"], appId, "the sidecar's client id is the Blueprint (AADSTS700016 otherwise)");
            assert.equal(sidecar["AzureAd__ClientCredentials__0__ManagedIdentityClientId"], clientId);
            assert.equal(sidecar["AzureAd__TenantId"], TENANT);
            assert.equal(sidecar["AzureAd__ClientCredentials__0__SourceType"], "SignedAssertionFromManagedIdentity");
            assert.equal(sidecar["DownstreamApis__Weather__Scopes__0"], "api://weather/.default");
            assert.equal(plan.outputs.uamiClientId, clientId);
        }
    });

    it("attaches exactly the UAMI (UserAssigned) and pulls images with it", async () => {
        const plan = await runPlan({ stack: "prod" });
        const { app } = containerApp(plan);
        assert.deepEqual(app.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [plan.outputs.uamiResourceId] });
        const registries = (app.inputs.configuration as { registries: { server: string; identity: string }[] }).registries;
        assert.deepEqual(registries, [{ server: "contoso.azurecr.io", identity: plan.outputs.uamiResourceId }]);
        assert.doesNotMatch(JSON.stringify(plan.resources), /SystemAssigned/);
    });

    it("sends ingress to the agent's port only, never to the sidecar", async () => {
        const plan = await runPlan({ stack: "prod" });
        const { app, byName } = containerApp(plan);
        const ingress = (app.inputs.configuration as { ingress: { targetPort: number; allowInsecure: boolean; additionalPortMappings?: unknown } }).ingress;
        assert.equal(ingress.targetPort, 8080);
        assert.notEqual(ingress.targetPort, 5000);
        assert.equal(ingress.allowInsecure, false);
        assert.equal(ingress.additionalPortMappings, undefined);
        const probe = byName["entra-auth-sidecar"]!.probes![0]!.httpGet;
        assert.deepEqual([probe.path, probe.port, probe.httpHeaders], ["/healthz", 5000, [{ name: "Host", value: "localhost" }]]);
        // 1.1.x: loopback callers only (the probe's /healthz excepted); 1.0.0 only filtered the Host header.
        assert.equal(byName["entra-auth-sidecar"]!.image, "mcr.microsoft.com/entra-sdk/auth-sidecar:1.1.2-azurelinux3.0-distroless");
        const env = Object.fromEntries(byName["entra-auth-sidecar"]!.env.map((e) => [e.name, e.value]));
        assert.equal(env["ASPNETCORE_URLS"], "http://+:5000", "every interface, so the probe reaches /healthz");
        assert.equal(env["ASPNETCORE_ENVIRONMENT"], "Production", "the loopback-only check is skipped in Development");
        // The agent calls Weather as its Agent Identity, named per request: the unauthenticated route honours it; the
        // authenticated routes (which default to honouring overrides) and the downstream-call routes are off, explicitly.
        assert.deepEqual(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("Sidecar__AllowOverrides__"))), {
            Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated: "true",
            Sidecar__AllowOverrides__GetAuthorizationHeader: "false",
            Sidecar__AllowOverrides__CallDownstreamApi: "false",
            Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated: "false",
        });
    });

    it("tells the agent who it is and the exact request for each downstream API", async () => {
        const plan = await runPlan({ stack: "prod" });
        const { env } = containerApp(plan);
        const agent = env("agent");
        assert.equal(agent.AGENT_IDENTITY_CLIENT_ID, "12121212-1212-1212-1212-121212121212");
        assert.equal(
            agent.AGENTFED_AUTHORIZATION_URL_WEATHER,
            "http://localhost:5000/AuthorizationHeaderUnauthenticated/Weather?AgentIdentity=12121212-1212-1212-1212-121212121212",
        );
        assert.equal(plan.outputs.agentIdentityObjectId, "12121212-1212-1212-1212-121212121212");
        assert.equal(plan.outputs.agentIdentityClientId, "12121212-1212-1212-1212-121212121212");
    });

    it("keeps every override off, and names no Agent Identity, for an agent on a classic app registration", async () => {
        const raw = readStackConfig("prod");
        const blueprint = { ...(JSON.parse(raw["agentfed:blueprint"]!) as object), kind: "application" };
        const plan = await runPlan({ stack: "prod", config: { blueprint, agentIdentity: undefined } });
        const { env } = containerApp(plan);
        const sidecar = env("entra-auth-sidecar");
        for (const flag of ["GetAuthorizationHeaderUnauthenticated", "GetAuthorizationHeader", "CallDownstreamApi", "CallDownstreamApiUnauthenticated"])
            assert.equal(sidecar[`Sidecar__AllowOverrides__${flag}`], "false", flag);
        assert.equal(env("agent").AGENT_IDENTITY_CLIENT_ID, undefined);
        assert.equal(env("agent").AGENTFED_AUTHORIZATION_URL_WEATHER, "http://localhost:5000/AuthorizationHeaderUnauthenticated/Weather");
        assert.equal(plan.outputs.agentIdentityClientId, null);
    });

    it("creates a managed environment whose logs reach its workspace through Azure Monitor, with no shared key anywhere", async () => {
        let mocks: AgentFedMocks | undefined;
        const plan = await runPlan({ stack: "prod", onMocks: (m) => (mocks = m) });
        const env = plan.resources.find((r) => r.type === "azure-native:app:ManagedEnvironment");
        assert.ok(env);
        assert.deepEqual(env.inputs.appLogsConfiguration, { destination: "azure-monitor" });
        assert.deepEqual(env.secretInputs, [], "nothing secret left on the environment");
        const workspace = plan.resources.find((r) => r.type === "azure-native:operationalinsights:Workspace")!;
        const setting = plan.resources.find((r) => r.type === "azure-native:monitor:DiagnosticSetting");
        assert.ok(setting, "a diagnostic setting sends the environment's logs to the workspace");
        assert.equal(setting.inputs.resourceUri, containerApp(plan).app.inputs.managedEnvironmentId);
        assert.equal(
            setting.inputs.workspaceId,
            `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-agentfed-prod/providers/Microsoft.OperationalInsights/workspaces/${workspace.name}`,
        );
        assert.deepEqual(setting.inputs.logs, [
            { category: "ContainerAppConsoleLogs", enabled: true },
            { category: "ContainerAppSystemLogs", enabled: true },
        ]);
        assert.equal(setting.inputs.logAnalyticsDestinationType, "Dedicated");
        // The shared key is neither read (no invoke needs sharedKeys/action) nor stored anywhere in the plan.
        assert.deepEqual(
            mocks!.invocations.filter((i) => /sharedkeys/i.test(i.token)),
            [],
        );
        assert.doesNotMatch(JSON.stringify(plan.resources), /sharedKey/i);
        assert.equal(
            containerApp(plan).app.inputs.managedEnvironmentId,
            `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-agentfed-prod/providers/Microsoft.App/managedEnvironments/agent-env`,
        );
    });

    it("changes an existing environment in place: same name and create-only inputs, only appLogsConfiguration differs", async () => {
        const plan = await runPlan({ stack: "prod" });
        const env = plan.resources.find((r) => r.type === "azure-native:app:ManagedEnvironment")!;
        // The environment as the previous release registered it (logs through the workspace's shared key). The URN
        // (type, name, parent) and the inputs azure-native treats as create-only (the ARM path: resource group and
        // name, and location) are unchanged, so `pulumi up` updates the environment instead of replacing it, and the
        // container app (whose managedEnvironmentId is that environment's id) is untouched.
        const previous = {
            name: "agent-env",
            parent: "agentfed:azure:AgentContainerApp::agent",
            inputs: {
                location: "westeurope",
                resourceGroupName: "rg-agentfed-prod",
                tags: { environment: "prod", "managed-by": "pulumi-agentfed", workload: "weather-agent" },
                appLogsConfiguration: { destination: "log-analytics", logAnalyticsConfiguration: { customerId: "<workspace>", sharedKey: "<secret>" } },
            },
        };
        assert.equal(env.name, previous.name);
        // Since issue 25 the environment lives in the shared infrastructure; its alias names the previous parent, and
        // test/urn-baselines.test.ts proves that the engine takes the deployed environment over through it.
        assert.equal(env.parent, "agentfed:azure:ContainerAppsEnvironment::agent");
        assert.notEqual(env.parent, previous.parent);
        const changed = Object.keys({ ...previous.inputs, ...env.inputs }).filter(
            (k) => JSON.stringify((previous.inputs as Record<string, unknown>)[k]) !== JSON.stringify(env.inputs[k]),
        );
        assert.deepEqual(changed, ["appLogsConfiguration"]);
        assert.equal(env.inputs.environmentName, undefined, "the auto-assigned name stays in state");
    });

    it("uses an existing environment when configured, creating no workspace", async () => {
        const existingId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shared/providers/Microsoft.App/managedEnvironments/shared-env";
        const raw = JSON.parse(readStackConfig("prod")["agentfed:containerApp"]!) as Record<string, unknown>;
        const plan = await runPlan({ stack: "prod", config: { containerApp: { ...raw, environment: { existingId } } } });
        assert.equal(containerApp(plan).app.inputs.managedEnvironmentId, existingId);
        assert.equal(
            plan.resources.some((r) => r.type === "azure-native:operationalinsights:Workspace"),
            false,
        );
    });
});

describe("agent container app configuration", () => {
    it("refuses a system-assigned identity with the reason", () => {
        const [issue] = prodConfigIssues("containerApp", { identityType: "SystemAssigned" });
        assert.match(issue!, /^agentfed:containerApp\.identityType: is "SystemAssigned": only UserAssigned is allowed/);
    });
    it("refuses unpinned and latest images", () => {
        assert.match(prodConfigIssues("containerApp", { agent: { image: "contoso.azurecr.io/weather-agent" } })[0]!, /agent\.image: is not pinned/);
        assert.match(prodConfigIssues("containerApp", { agent: { image: "contoso.azurecr.io/weather-agent:latest" } })[0]!, /mutable tag latest/);
        assert.deepEqual(prodConfigIssues("containerApp", { agent: { image: `contoso.azurecr.io/weather-agent@sha256:${"a".repeat(64)}` } }), []);
    });
    it("holds image references to the distribution reference grammar: lowercase repository, one tag, a registered digest (issue 24, item 8)", () => {
        const digest = `sha256:${"a".repeat(64)}`;
        for (const image of [
            "contoso.azurecr.io/weather-agent:1.4.2",
            "Contoso.azurecr.io/weather-agent:1.4.2",
            "localhost:5001/agent:1",
            "[::1]:5000/agent:1",
            "weather_agent:1",
            "a__b/c---d.e:1.0_x-Y",
            "ghcr.io/contoso/team/weather-agent:0.3.0",
            `contoso.azurecr.io/weather-agent:1.4.2@${digest}`,
            `contoso.azurecr.io/weather-agent@${digest}`,
            `contoso.azurecr.io/weather-agent:latest@${digest}`,
        ])
            assert.equal(imageProblem(image), undefined, image);
        const refused: [string, RegExp][] = [
            ["repo:1.4.2:extra", /has more than one tag/],
            ["contoso.azurecr.io/weather-agent:1.4.2:extra", /has more than one tag/],
            ["contoso.azurecr.io/Weather-Agent:1.4.2", /names the repository "Weather-Agent" with capitals/],
            ["contoso/Weather:1", /names the repository "contoso\/Weather" with capitals/],
            [`contoso.azurecr.io/Weather-Agent@${digest}`, /with capitals/],
            ["contoso.azurecr.io/weather..agent:1", /is not a repository name/],
            ["contoso.azurecr.io/weather-agent-:1", /is not a repository name/],
            ["contoso.azurecr.io//weather-agent:1", /is not a repository name/],
            ["contoso.azurecr.io/weather agent:1", /contains whitespace/],
            ["-contoso.azurecr.io/weather-agent:1", /names the registry "-contoso\.azurecr\.io", which is not a host name/],
            ["contoso.azurecr.io/weather-agent:-1", /malformed tag "-1"/],
            ["contoso.azurecr.io/weather-agent:", /malformed tag ""/],
            [`contoso.azurecr.io/weather-agent:${"1".repeat(129)}`, /malformed tag/],
            [`${"a".repeat(64)}:1`, /is an image id, not a repository/],
            [`contoso.azurecr.io/${"a".repeat(256)}:1`, /at most 255/],
            ["contoso.azurecr.io/weather-agent", /is not pinned/],
        ];
        for (const [image, problem] of refused) assert.match(imageProblem(image) ?? "accepted", problem, image);
        assert.match(
            prodConfigIssues("containerApp", { agent: { image: "repo:1.4.2:extra" } })[0]!,
            /^agentfed:containerApp\.agent\.image: has more than one tag/,
        );
    });
    it("refuses the sidecar's port for the agent, and a cpu/memory pair Container Apps refuses", () => {
        assert.match(prodConfigIssues("containerApp", { agent: { image: "a.io/b:1", port: 5000 } })[0]!, /agent\.port: is 5000, the sidecar's port/);
        assert.match(prodConfigIssues("containerApp", { agent: { image: "a.io/b:1", cpu: 0.5, memory: "4Gi" } })[0]!, /agent\.memory: does not match cpu 0.5/);
    });
    it("refuses downstream APIs the sidecar cannot serve", () => {
        const issues = prodConfigIssues("containerApp", {
            sidecar: { downstreamApis: [{ name: "Weather API", baseUrl: "http://weather", scopes: ["api://AzureADTokenExchange/.default"] }] },
        });
        assert.equal(issues.length, 3);
        assert.match(issues.join("\n"), /downstreamApis\[0\]\.name/);
        assert.match(issues.join("\n"), /downstreamApis\[0\]\.baseUrl: must be an https URL/);
        assert.match(issues.join("\n"), /downstreamApis\[0\]\.scopes\[0\]: asks for the token-exchange audience/);
    });
});

describe("sidecar image: the version that keeps the sidecar private to the replica", () => {
    it("reads the sidecar version from the tag, whatever the registry, and sees pre-releases", () => {
        assert.deepEqual(sidecarImageVersion(DEFAULT_SIDECAR_IMAGE), { major: 1, minor: 1, patch: 2, preRelease: false });
        assert.deepEqual(sidecarImageVersion("contoso.azurecr.io/mirror/auth-sidecar:1.1.0@sha256:" + "a".repeat(64)), {
            major: 1,
            minor: 1,
            patch: 0,
            preRelease: false,
        });
        assert.equal(sidecarImageVersion("mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-rc.2-azurelinux3.0-distroless")?.preRelease, true);
        assert.equal(sidecarImageVersion("localhost:5001/auth-sidecar@sha256:" + "a".repeat(64)), undefined, "a registry port is not a tag");
        assert.equal(sidecarImageVersion("mcr.microsoft.com/entra-sdk/auth-sidecar:stable"), undefined);
    });

    it("accepts 1.1.0 and later, refuses 1.0.x, pre-releases of 1.1.0, digest-only and versionless references", () => {
        for (const ok of [
            DEFAULT_SIDECAR_IMAGE,
            "mcr.microsoft.com/entra-sdk/auth-sidecar:1.1.0",
            "mcr.microsoft.com/entra-sdk/auth-sidecar:2.0.0-azurelinux3.0-distroless",
        ])
            assert.equal(sidecarImageProblem(ok), undefined, ok);
        assert.match(sidecarImageProblem("mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-azurelinux3.0-distroless")!, /is sidecar 1\.0\.0, older than 1\.1\.0/);
        assert.match(sidecarImageProblem("mcr.microsoft.com/entra-sdk/auth-sidecar:1.1.0-rc.1-azurelinux3.0-distroless")!, /pre-release/);
        assert.match(sidecarImageProblem("mcr.microsoft.com/entra-sdk/auth-sidecar@sha256:" + "b".repeat(64))!, /pins only a digest/);
        assert.match(sidecarImageProblem("contoso.azurecr.io/auth-sidecar:prod")!, /names no sidecar version/);
    });

    it("orders tags by semver: any pre-release of 1.1.0 is below the floor, a pre-release of a later version is above it (issue 24, item 6)", () => {
        const repo = "mcr.microsoft.com/entra-sdk/auth-sidecar";
        // [tag, accepted]: semver.org 2.0.0, items 9 and 11 (1.1.0-x < 1.1.0 < 1.1.1-rc.1 < 1.1.1 < 1.2.0).
        const cases: [string, boolean][] = [
            ["1.1.0-rc1-azurelinux3.0-distroless", false],
            ["1.1.0-preview2", false],
            ["1.1.0-rc.1", false],
            ["1.1.0-rc.1-azurelinux3.0-distroless", false],
            ["1.1.0-anything", false],
            ["1.1.0-alpha", false],
            ["1.1.0-azurelinux3.0-distroless-rc1", false],
            ["1.1.0-azurelinux3.0", true],
            ["1.1.0-azurelinux3.0-distroless", true],
            ["v1.1.0", true],
            ["1.1.1-rc.1", true],
            ["1.1.1-rc.1-azurelinux3.0-distroless", true],
            ["1.2.0", true],
            ["1.2.0-preview", true],
            ["1.0.9", false],
            ["1.0.0-azurelinux3.0-distroless", false],
        ];
        for (const [tag, accepted] of cases) {
            const image = `${repo}:${tag}`;
            assert.equal(sidecarImageProblem(image) === undefined, accepted, `${tag}: ${sidecarImageProblem(image)}`);
            // The policy pack's copy of the rule reads every tag the same way.
            const v = sidecarImageVersion(image)!;
            assert.deepEqual(sidecarTagVersion(image), [v.major, v.minor, v.patch, v.preRelease], tag);
        }
        assert.match(
            sidecarImageProblem(`${repo}:1.1.0-preview2`)!,
            /^is sidecar 1\.1\.0-preview2 \(a pre-release, which precedes 1\.1\.0\), older than 1\.1\.0/,
        );
    });

    it("refuses the 1.0.0 image and a digest-only image in config, naming the key and the fix", () => {
        const [old] = prodConfigIssues("containerApp", { sidecar: { image: "mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-azurelinux3.0-distroless" } });
        assert.match(old!, /^agentfed:containerApp\.sidecar\.image: is sidecar 1\.0\.0, older than 1\.1\.0: it answers every caller that can reach its port/);
        assert.match(old!, /\| remove the key to use mcr\.microsoft\.com\/entra-sdk\/auth-sidecar:1\.1\.2-azurelinux3\.0-distroless/);
        assert.match(
            prodConfigIssues("containerApp", { sidecar: { image: `mcr.microsoft.com/entra-sdk/auth-sidecar@sha256:${"c".repeat(64)}` } })[0]!,
            /sidecar\.image: pins only a digest/,
        );
        assert.deepEqual(
            prodConfigIssues("containerApp", {
                sidecar: { image: `contoso.azurecr.io/entra-sdk/auth-sidecar:1.1.2-azurelinux3.0-distroless@sha256:${"c".repeat(64)}` },
            }),
            [],
            "a mirror keeping Microsoft's tag, pinned by digest",
        );
    });
});

describe("the AgentIdentity override: on exactly for agents that call as an Agent Identity", () => {
    it("accepts the key where the stack turns the override on anyway, and refuses it on an agent without an Agent Identity", () => {
        assert.equal(agentIdentityOverrideProblem(false, false), undefined);
        assert.equal(agentIdentityOverrideProblem(true, true), undefined);
        assert.match(agentIdentityOverrideProblem(true, false)!, /calls no API as an Agent Identity/);
        const sidecar = (JSON.parse(readStackConfig("prod")["agentfed:containerApp"]!) as { sidecar: object }).sidecar;
        assert.deepEqual(prodConfigIssues("containerApp", { sidecar: { ...sidecar, allowAgentIdentityOverride: true } }), []);
        assert.deepEqual(prodConfigIssues("containerApp", { sidecar: { ...sidecar, allowAgentIdentityOverride: false } }), []);
        const [issue] = prodConfigIssues("blueprint", { kind: "application" });
        assert.match(
            issue!,
            /^agentfed:agentIdentity: is set, but the agent's blueprint\.kind is application: a classic app registration has no Agent Identity/,
        );
    });

    it("names everything the override opens, as the sidecar's BindableDownstreamApiOptions binds it", () => {
        const text = AGENT_IDENTITY_OVERRIDE_OPENS.join("\n");
        for (const opened of ["AgentIdentity", "optionsOverride.Scopes", "RequestAppToken", "AcquireTokenOptions.Tenant", "FmiPath"])
            assert.ok(text.includes(opened), opened);
    });
});

describe("sidecar settings", () => {
    it("are built by one function for Container Apps and Kind: same host settings, same downstream entries", () => {
        const apis = [{ name: "Weather", baseUrl: "https://weather.contoso.example", scopes: ["api://weather/.default", "api://weather/read"] }];
        const aca = sidecarEnv({
            tenantId: TENANT,
            blueprintAppId: BLUEPRINT_APP_ID,
            uamiClientId: UAMI_CLIENT_ID,
            downstreamApis: apis,
            allowAgentIdentityOverride: false,
        });
        const kind = kindSidecarEnv({
            tenantId: TENANT,
            blueprintAppId: BLUEPRINT_APP_ID,
            tokenFile: "/t",
            instance: "https://login.microsoftonline.com/",
            downstreamApis: apis,
            allowAgentIdentityOverride: false,
        });
        const entries = downstreamApiEnv(apis);
        assert.deepEqual(
            entries.map((e) => `${e.name}=${e.value}`),
            [
                "DownstreamApis__Weather__BaseUrl=https://weather.contoso.example",
                "DownstreamApis__Weather__Scopes__0=api://weather/.default",
                "DownstreamApis__Weather__Scopes__1=api://weather/read",
                "DownstreamApis__Weather__RequestAppToken=true",
            ],
        );
        for (const env of [aca, kind]) {
            assert.deepEqual(env.slice(0, 2), [
                { name: "ASPNETCORE_URLS", value: "http://+:5000" },
                { name: "ASPNETCORE_ENVIRONMENT", value: "Production" },
            ]);
            assert.deepEqual(
                env.filter((e) => e.name.startsWith("DownstreamApis__")),
                entries,
            );
        }
        for (const allow of [true, false]) {
            const overrides = (env: Env) => env.filter((e) => e.name.startsWith("Sidecar__"));
            const acaFlags = overrides(
                sidecarEnv({
                    tenantId: TENANT,
                    blueprintAppId: BLUEPRINT_APP_ID,
                    uamiClientId: UAMI_CLIENT_ID,
                    downstreamApis: apis,
                    allowAgentIdentityOverride: allow,
                }),
            );
            const kindFlags = overrides(
                kindSidecarEnv({
                    tenantId: TENANT,
                    blueprintAppId: BLUEPRINT_APP_ID,
                    tokenFile: "/t",
                    instance: "https://login.microsoftonline.com/",
                    downstreamApis: apis,
                    allowAgentIdentityOverride: allow,
                }),
            );
            assert.deepEqual(acaFlags, kindFlags, "the same override flags on Container Apps and Kind");
            assert.deepEqual(acaFlags, sidecarOverrideEnv(allow));
        }
    });

    it("honour ?AgentIdentity= only for an agent that calls as one, and write the three other override flags false", () => {
        assert.deepEqual(
            sidecarOverrideEnv(true).map((e) => `${e.name}=${e.value}`),
            [
                "Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated=true",
                "Sidecar__AllowOverrides__GetAuthorizationHeader=false",
                "Sidecar__AllowOverrides__CallDownstreamApi=false",
                "Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated=false",
            ],
        );
        assert.ok(
            sidecarOverrideEnv(false).every((e) => e.value === "false"),
            "no Agent Identity: every route ignores overrides",
        );
    });

    it("give the agent its Agent Identity and one request per API, the same on Container Apps and Kind", () => {
        const apis = [
            { name: "Weather", baseUrl: "https://weather.contoso.example", scopes: ["api://weather/.default"] },
            { name: "Ledger2", baseUrl: "https://ledger.contoso.example", scopes: ["api://ledger/.default"] },
        ];
        const env = agentSidecarEnv("eeeeeeee-0000-4000-8000-000000000002", apis);
        assert.deepEqual(
            env.map((e) => `${e.name}=${e.value}`),
            [
                "SIDECAR_URL=http://localhost:5000",
                "AGENT_IDENTITY_CLIENT_ID=eeeeeeee-0000-4000-8000-000000000002",
                "AGENTFED_AUTHORIZATION_URL_WEATHER=http://localhost:5000/AuthorizationHeaderUnauthenticated/Weather?AgentIdentity=eeeeeeee-0000-4000-8000-000000000002",
                "AGENTFED_AUTHORIZATION_URL_LEDGER2=http://localhost:5000/AuthorizationHeaderUnauthenticated/Ledger2?AgentIdentity=eeeeeeee-0000-4000-8000-000000000002",
            ],
        );
        assert.deepEqual(agentBaseEnv(UAMI_CLIENT_ID, "eeeeeeee-0000-4000-8000-000000000002", apis), [
            { name: "AZURE_CLIENT_ID", value: UAMI_CLIENT_ID },
            ...env,
        ]);
        assert.equal(authorizationHeaderUrl("Weather", undefined), "http://localhost:5000/AuthorizationHeaderUnauthenticated/Weather");
        assert.ok(!agentSidecarEnv(undefined, apis).some((e) => e.name === "AGENT_IDENTITY_CLIENT_ID"), "a classic app registration calls as the app");
    });
});
