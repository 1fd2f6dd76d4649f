import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import * as yaml from "js-yaml";
import { runPlan, PlanResult, PlannedResource } from "../src/plan/run-plan";
import { readStackConfig } from "../src/plan/stack-files";
import { kubernetesKeyId, OIDC_CONTAINER_NAME } from "../src/contracts";
import { APP_FIC_TYPE } from "./helpers";

// The real program under Pulumi mocks (src/plan/mocks.ts) with Pulumi.dev.yaml. The mocks generate a real RSA key
// for tls.PrivateKey, so the JWKS below is the one the stack would publish for that key.
const BLOB = "azure-native:storage:Blob";
const ISSUER = "https://oidcagentfeddev01.blob.core.windows.net/oidc";

function only(plan: PlanResult, type: string): PlannedResource[] {
    return plan.resources.filter((r) => r.type === type);
}

function blobText(r: PlannedResource): string {
    const source = r.inputs.source as { text?: unknown };
    assert.equal(typeof source?.text, "string", `${r.name} has a text source`);
    return source.text as string;
}

/** A developer's personal stack: dev's config plus the context of the Kind cluster on their machine. */
function personalStackConfig(): Record<string, unknown> {
    const kind = JSON.parse(readStackConfig("dev")["agentfed:kind"]!) as object;
    return {
        kind: {
            ...kind,
            kubeconfigContext: "kind-agentfed-dev",
            agentImage: "ghcr.io/contoso/weather-agent:0.3.0",
            downstreamApis: [{ name: "Weather", baseUrl: "https://weather.contoso.example", scopes: ["api://weather/.default"] }],
        },
    };
}

describe("Kind OIDC issuer in a personal dev stack (plan)", () => {
    let plan: PlanResult;
    before(async () => {
        plan = await runPlan({ stack: "dev", config: personalStackConfig() });
    });

    it("creates exactly two blobs, both application/json, in the oidc container, and no other blob", () => {
        const blobs = only(plan, BLOB);
        assert.deepEqual(blobs.map((b) => b.inputs.blobName).sort(), [".well-known/openid-configuration", "openid/v1/jwks"]);
        for (const b of blobs) {
            assert.equal(b.inputs.contentType, "application/json");
            assert.equal(b.inputs.containerName, OIDC_CONTAINER_NAME);
            assert.equal(b.inputs.accountName, "oidcagentfeddev01");
            assert.equal(b.parent, "agentfed:kind:OidcIssuer::kind");
        }
        // Nothing else under storage anywhere in the program: no third blob (a key file uploaded "for convenience",
        // say), no file share, no static website. Only the account, its container and the two documents.
        assert.deepEqual(
            plan.resources
                .filter((r) => r.type.includes(":storage:"))
                .map((r) => r.type)
                .sort(),
            ["azure-native:storage:Blob", "azure-native:storage:Blob", "azure-native:storage:BlobContainer", "azure-native:storage:StorageAccount"],
        );
    });

    it("grants anonymous read per blob, never container listing, on an https-only TLS 1.2 account", () => {
        const [container] = only(plan, "azure-native:storage:BlobContainer");
        assert.equal(container?.inputs.containerName, "oidc");
        assert.equal(container?.inputs.publicAccess, "Blob");
        const [account] = only(plan, "azure-native:storage:StorageAccount");
        assert.deepEqual(
            {
                allowBlobPublicAccess: account?.inputs.allowBlobPublicAccess,
                enableHttpsTrafficOnly: account?.inputs.enableHttpsTrafficOnly,
                minimumTlsVersion: account?.inputs.minimumTlsVersion,
                kind: account?.inputs.kind,
            },
            { allowBlobPublicAccess: true, enableHttpsTrafficOnly: true, minimumTlsVersion: "TLS1_2", kind: "StorageV2" },
        );
    });

    it("uses one issuer string, byte for byte, in the discovery document, the Kind config and the FIC", () => {
        const discovery = JSON.parse(blobText(only(plan, BLOB).find((b) => b.inputs.blobName === ".well-known/openid-configuration")!)) as Record<
            string,
            unknown
        >;
        assert.equal(discovery.issuer, ISSUER);
        assert.equal(discovery.jwks_uri, `${ISSUER}/openid/v1/jwks`);
        assert.equal(plan.outputs.kindIssuerUrl, discovery.issuer);

        const fic = plan.resources.find((r) => r.type === APP_FIC_TYPE && r.name === "kind-sa");
        assert.ok(fic, "the Kind FIC is registered on the dev application");
        assert.equal(fic.inputs.issuer, discovery.issuer);
        assert.equal(fic.inputs.subject, "system:serviceaccount:entra-demo:sidecar-sa");
        assert.deepEqual(fic.inputs.audiences, ["api://AzureADTokenExchange"]);
        assert.equal(fic.inputs.displayName, "kind-agentfed-dev-sidecar");
        const contract = plan.trustContracts.find((c) => c.kind === "entra-fic" && c.name === "kind-agentfed-dev-sidecar");
        assert.equal(contract?.kind === "entra-fic" ? contract.issuer : undefined, discovery.issuer);

        const cluster = yaml.load(String(plan.outputs.kindClusterConfig)) as any;
        const patch = yaml.load(cluster.nodes[0].kubeadmConfigPatches[0]) as any;
        assert.equal(patch.apiServer.extraArgs["service-account-issuer"], discovery.issuer);
    });

    it("publishes the managed key under the kid Kubernetes will put in its tokens", () => {
        const jwks = JSON.parse(blobText(only(plan, BLOB).find((b) => b.inputs.blobName === "openid/v1/jwks")!)) as { keys: Record<string, string>[] };
        const publicKeyPem = String(plan.outputs.kindServiceAccountPublicKey);
        assert.deepEqual(
            jwks.keys.map((k) => k.kid),
            [kubernetesKeyId(publicKeyPem)],
        );
        // The secret output is the private half of that same key: what the cluster signs with.
        const fromPrivate = createPublicKey(createPrivateKey(String(plan.outputs.kindServiceAccountSigningKey))).export({ type: "spki", format: "pem" });
        assert.equal(fromPrivate, publicKeyPem);
        assert.equal(jwks.keys[0]?.alg, "RS256");
        assert.ok(plan.placeholders[jwks.keys[0]?.kid ?? ""]?.includes("generated by the tls provider on create"));
    });

    it("generates the Kind config with the API server's own audience only and the key mounted where the flags point", () => {
        const cluster = yaml.load(String(plan.outputs.kindClusterConfig)) as any;
        assert.equal(cluster.name, "agentfed-dev");
        assert.deepEqual(cluster.nodes[0].extraMounts, [
            { hostPath: "/tmp/agentfed-kind/agentfed-dev/sa-signer.key", containerPath: "/etc/kubernetes/pki/sa-signer.key", readOnly: true },
        ]);
        const patch = yaml.load(cluster.nodes[0].kubeadmConfigPatches[0]) as any;
        assert.equal(patch.apiServer.extraArgs["api-audiences"], "https://kubernetes.default.svc");
        assert.equal(patch.apiServer.extraArgs["service-account-signing-key-file"], "/etc/kubernetes/pki/sa-signer.key");
        assert.equal(patch.apiServer.extraArgs["service-account-key-file"], "/etc/kubernetes/pki/sa-signer.key");
        assert.equal(patch.controllerManager.extraArgs["service-account-private-key-file"], "/etc/kubernetes/pki/sa-signer.key");
    });

    it("deploys the workload through a provider for the configured context, the sidecar reading a projected token", () => {
        const provider = plan.resources.find((r) => r.type === "pulumi:providers:kubernetes");
        assert.equal(provider?.inputs.context, "kind-agentfed-dev");
        const [cm] = only(plan, "kubernetes:core/v1:ConfigMap");
        assert.deepEqual(cm?.inputs.data, {
            ASPNETCORE_URLS: "http://+:5000",
            // The loopback-only check runs outside Development only (sidecar Program.cs): pinned, never defaulted.
            ASPNETCORE_ENVIRONMENT: "Production",
            AzureAd__ClientCredentials__0__SignedAssertionFileDiskPath: "/var/run/secrets/tokens/azure-identity-token",
            AzureAd__ClientCredentials__0__SourceType: "SignedAssertionFilePath",
            AzureAd__ClientId: "66666666-6666-6666-6666-666666666666",
            AzureAd__Instance: "https://login.microsoftonline.com/",
            AzureAd__TenantId: "11111111-1111-1111-1111-111111111111",
            // Without these the sidecar answers every call 400 "No scopes found" (issue 18).
            DownstreamApis__Weather__BaseUrl: "https://weather.contoso.example",
            DownstreamApis__Weather__Scopes__0: "api://weather/.default",
            DownstreamApis__Weather__RequestAppToken: "true",
            // dev's classic app registration has no Agent Identity: the workload calls as the app, every override off.
            Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated: "false",
            Sidecar__AllowOverrides__GetAuthorizationHeader: "false",
            Sidecar__AllowOverrides__CallDownstreamApi: "false",
            Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated: "false",
        });
        assert.deepEqual(
            only(plan, "kubernetes:core/v1:ServiceAccount").map((r) => r.inputs.metadata),
            [{ name: "sidecar-sa", namespace: "entra-demo", labels: { app: "agent", "app.kubernetes.io/managed-by": "pulumi-agentfed" } }],
        );
        const [deployment] = only(plan, "kubernetes:apps/v1:Deployment");
        const pod = (deployment?.inputs.spec as any).template.spec;
        assert.equal(pod.serviceAccountName, "sidecar-sa");
        assert.deepEqual(pod.volumes[0].projected.sources, [
            { serviceAccountToken: { audience: "api://AzureADTokenExchange", path: "azure-identity-token", expirationSeconds: 3600 } },
        ]);
        const sidecar = pod.containers.find((c: any) => c.name === "sidecar");
        assert.deepEqual(sidecar.volumeMounts, [{ name: "azure-identity-token", mountPath: "/var/run/secrets/tokens", readOnly: true }]);
        assert.equal(sidecar.image, "mcr.microsoft.com/entra-sdk/auth-sidecar:1.1.2-azurelinux3.0-distroless");
        // Nothing advertises the sidecar's port; the kubelet probes /healthz, the one path 1.1.x answers off-loopback.
        assert.equal(sidecar.ports, undefined);
        assert.deepEqual(
            [sidecar.livenessProbe.httpGet, sidecar.readinessProbe.httpGet],
            [
                { path: "/healthz", port: 5000 },
                { path: "/healthz", port: 5000 },
            ],
        );
        const agent = pod.containers.find((c: any) => c.name === "agent");
        assert.deepEqual(agent.env, [
            { name: "SIDECAR_URL", value: "http://localhost:5000" },
            { name: "AGENTFED_AUTHORIZATION_URL_WEATHER", value: "http://localhost:5000/AuthorizationHeaderUnauthenticated/Weather" },
        ]);
        assert.doesNotMatch(JSON.stringify(pod), /ClientSecret|CLIENT_SECRET/i);
    });
});

describe("Kind workload on an Agent ID Blueprint", () => {
    const blueprint = {
        kind: "agentIdentityBlueprint",
        appId: "66666666-6666-6666-6666-666666666666",
        objectId: "77777777-7777-7777-7777-777777777777",
        uamiFicName: "uami-mi-weather-agent-dev",
    };
    const agentIdentity = { objectId: "12121212-1212-1212-1212-121212121212", clientId: "34343434-3434-3434-3434-343434343434" };

    it("calls as the primary agent's Agent Identity: the agent is told its client id, the sidecar honours it", async () => {
        const plan = await runPlan({ stack: "dev", config: { ...personalStackConfig(), blueprint, agentIdentity } });
        const [cm] = only(plan, "kubernetes:core/v1:ConfigMap");
        const data = cm?.inputs.data as Record<string, string>;
        assert.equal(data.Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated, "true");
        for (const flag of ["GetAuthorizationHeader", "CallDownstreamApi", "CallDownstreamApiUnauthenticated"])
            assert.equal(data[`Sidecar__AllowOverrides__${flag}`], "false", flag);
        const [deployment] = only(plan, "kubernetes:apps/v1:Deployment");
        const agent = (deployment?.inputs.spec as any).template.spec.containers.find((c: any) => c.name === "agent");
        assert.deepEqual(agent.env, [
            { name: "SIDECAR_URL", value: "http://localhost:5000" },
            { name: "AGENT_IDENTITY_CLIENT_ID", value: agentIdentity.clientId },
            {
                name: "AGENTFED_AUTHORIZATION_URL_WEATHER",
                value: `http://localhost:5000/AuthorizationHeaderUnauthenticated/Weather?AgentIdentity=${agentIdentity.clientId}`,
            },
        ]);
    });

    it("is refused without the Agent Identity, naming the key and the fix", async () => {
        await assert.rejects(
            runPlan({ stack: "dev", config: { ...personalStackConfig(), blueprint } }),
            /agentfed:agentIdentity is not set, but the agent calls agentfed:kind\.downstreamApis \(Weather\) through the sidecar on an Agent ID Blueprint/,
        );
    });
});

describe("Kind OIDC issuer: stacks and settings", () => {
    it("creates no Kubernetes resource in the committed dev stack (no kubeconfig context)", async () => {
        const plan = await runPlan({ stack: "dev" });
        assert.deepEqual(
            plan.resources.filter((r) => r.type.startsWith("kubernetes:") || r.type === "pulumi:providers:kubernetes"),
            [],
        );
        assert.equal(only(plan, BLOB).length, 2);
    });

    it("publishes extra keys for rotation alongside the managed one, still two blobs", async () => {
        const { generateKeyPairSync } = await import("node:crypto");
        const old = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
        const raw = { storageAccountName: "oidcagentfeddev01", namespace: "entra-demo", serviceAccountName: "sidecar-sa", extraPublicKeys: [old] };
        const plan = await runPlan({ stack: "dev", config: { kind: raw } });
        const jwks = JSON.parse(blobText(only(plan, BLOB).find((b) => b.inputs.blobName === "openid/v1/jwks")!)) as { keys: { kid: string }[] };
        assert.deepEqual(
            jwks.keys.map((k) => k.kid),
            [kubernetesKeyId(String(plan.outputs.kindServiceAccountPublicKey)), kubernetesKeyId(old)],
        );
        assert.equal(only(plan, BLOB).length, 2);
    });

    it("leaves prod without a Kind environment, its Kind outputs null", async () => {
        const plan = await runPlan({ stack: "prod" });
        assert.equal(
            plan.resources.some((r) => r.type.startsWith("agentfed:kind:") || r.type.startsWith("tls:") || r.type.includes(":storage:")),
            false,
        );
        for (const k of ["kindIssuerUrl", "kindClusterConfig", "kindServiceAccountSigningKey", "kindServiceAccountPublicKey"])
            assert.equal(plan.outputs[k], null, k);
    });

    it("prints the signing key redacted in the plan, like pulumi stack output", async () => {
        const { planJson, renderPlanText } = await import("../src/plan/render.js");
        const plan = await runPlan({ stack: "dev" });
        const key = String(plan.outputs.kindServiceAccountSigningKey);
        assert.match(key, /PRIVATE KEY/);
        assert.equal((planJson(plan).outputs as Record<string, unknown>).kindServiceAccountSigningKey, "[secret]");
        assert.ok(!renderPlanText(plan).includes("PRIVATE KEY"));
        assert.ok(!JSON.stringify(planJson(plan)).includes("PRIVATE KEY"));
    });
});
