import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readStackConfig } from "../src/plan/stack-files";
import { runPlan, PlanResult } from "../src/plan/run-plan";
import { sidecarEnv } from "../src/runtime/container-env";
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
        assert.equal(byName["entra-auth-sidecar"]!.image, "mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-azurelinux3.0-distroless");
    });

    it("creates a managed environment with its Log Analytics workspace, the shared key kept secret", async () => {
        const plan = await runPlan({ stack: "prod" });
        const env = plan.resources.find((r) => r.type === "azure-native:app:ManagedEnvironment");
        assert.ok(env);
        assert.deepEqual(env.secretInputs, ["appLogsConfiguration"]);
        assert.equal(
            containerApp(plan).app.inputs.managedEnvironmentId,
            `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-agentfed-prod/providers/Microsoft.App/managedEnvironments/agent-env`,
        );
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

describe("sidecar settings", () => {
    it("honour ?AgentIdentity= only when explicitly allowed (sidecar >= 1.1.0)", () => {
        const base = { tenantId: TENANT, blueprintAppId: BLUEPRINT_APP_ID, uamiClientId: UAMI_CLIENT_ID, downstreamApis: [] };
        assert.equal(
            sidecarEnv({ ...base, allowAgentIdentityOverride: false }).some((e) => e.name.startsWith("Sidecar__AllowOverrides")),
            false,
        );
        assert.deepEqual(sidecarEnv({ ...base, allowAgentIdentityOverride: true }).at(-1), {
            name: "Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated",
            value: "true",
        });
    });
});
