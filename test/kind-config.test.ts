import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ConfigError, parseStackConfig } from "../src/config";
import { DEFAULT_SIDECAR_IMAGE } from "../src/runtime/container-env";
import {
    blobOidcIssuerUrl,
    discoveryDocument,
    jsonWebKeySet,
    kubernetesKeyId,
    renderKindClusterConfig,
    renderOidcDocument,
    TrustContractError,
} from "../src/contracts";
import { readStackConfig } from "../src/plan/stack-files";
import { BLUEPRINT_APP_ID, BLUEPRINT_OBJECT_ID, TENANT } from "./helpers";
import { RSA_PUBLIC_KEY } from "./fixtures/every-key";

const NS = "agentfed";

/** The fixture's RSA public key and its kid, computed independently with OpenSSL:
 *  openssl pkey -pubin -in k.pub -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=' */
const KNOWN_PUBLIC_KEY = RSA_PUBLIC_KEY;
const KNOWN_KID = "DCMiKR7uFoxKAxQ5pK-cyHSlj135MeWtPz2HMx833gc";

const minimalKind = { storageAccountName: "oidcagentfedtest", namespace: "entra-demo", serviceAccountName: "sidecar-sa" };
/** What a deployed Kind workload needs beside the context and the agent image: at least one downstream API. */
const WEATHER = [{ name: "Weather", baseUrl: "https://weather.contoso.example", scopes: ["api://weather/.default"] }];

function config(kind: unknown, blueprintExtra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        tenantId: TENANT,
        location: "westeurope",
        resourceGroup: { name: "rg-agentfed-test", create: true },
        uami: { name: "mi-weather-agent" },
        blueprint: { kind: "application", appId: BLUEPRINT_APP_ID, objectId: BLUEPRINT_OBJECT_ID, ...blueprintExtra },
        ...(kind === undefined ? {} : { kind }),
    };
}

function parse(values: Record<string, unknown>) {
    return parseStackConfig({ get: (k) => (values[k] === undefined ? undefined : typeof values[k] === "string" ? values[k] : JSON.stringify(values[k])) }, NS);
}

/** The issues of a rejected configuration, as "key: problem" lines. */
function issues(values: Record<string, unknown>): string[] {
    try {
        parse(values);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        return err.issues.map((i) => `${i.key}: ${i.problem}`);
    }
    return assert.fail("expected the configuration to be rejected");
}

function assertIssue(values: Record<string, unknown>, key: string, problem: RegExp): void {
    const found = issues(values);
    assert.ok(
        found.some((i) => i.startsWith(`${key}: `) && problem.test(i)),
        `expected ${key} ${problem}, got:\n${found.join("\n")}`,
    );
}

const ecPublicKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();

describe("agentfed:kind configuration", () => {
    it("is optional: stacks without it have no Kind environment", () => {
        assert.equal(parse(config(undefined)).kind, undefined);
        const prod = readStackConfig("prod");
        assert.equal(parseStackConfig({ get: (k) => prod[`${NS}:${k}`] }, NS).kind, undefined);
    });

    it("fills documented defaults, and leaves the workload out without a kubeconfig context", () => {
        assert.deepEqual(parse(config(minimalKind)).kind, {
            ...minimalKind,
            clusterName: "agentfed",
            ficName: "kind-agentfed",
            signingKeyHostPath: "/tmp/agentfed-kind/agentfed/sa-signer.key",
            rsaBits: 2048,
            extraPublicKeys: [],
            workload: undefined,
        });
    });

    it("reads the dev stack's Kind environment without a workload: CI deploys dev and cannot reach a laptop's cluster", () => {
        const raw = readStackConfig("dev");
        const kind = parseStackConfig({ get: (k) => raw[`${NS}:${k}`] }, NS).kind;
        assert.ok(kind);
        assert.equal(kind.storageAccountName, "oidcagentfeddev01");
        assert.equal(kind.workload, undefined);
    });

    it("adds the workload, with the default sidecar image, in a personal stack that names the context", () => {
        const raw = readStackConfig("dev");
        const personal = {
            ...(JSON.parse(raw[`${NS}:kind`]!) as object),
            kubeconfigContext: "kind-agentfed-dev",
            agentImage: "ghcr.io/contoso/weather-agent:0.3.0",
            downstreamApis: WEATHER,
        };
        const kind = parseStackConfig({ get: (k) => (k === "kind" ? JSON.stringify(personal) : raw[`${NS}:${k}`]) }, NS).kind;
        assert.equal(kind?.workload?.kubeconfigContext, `kind-${kind?.clusterName}`);
        assert.equal(kind?.workload?.sidecarImage, DEFAULT_SIDECAR_IMAGE);
        assert.equal(kind?.workload?.kubeconfig, undefined);
        assert.deepEqual(kind?.workload?.downstreamApis, [{ ...WEATHER[0], requestAppToken: true }]);
    });

    it("accepts extra public keys for rotation", () => {
        const kind = parse(config({ ...minimalKind, extraPublicKeys: [KNOWN_PUBLIC_KEY] })).kind;
        assert.deepEqual(kind?.extraPublicKeys, [KNOWN_PUBLIC_KEY]);
    });

    const bad: [string, Record<string, unknown>, string, RegExp][] = [
        ["an upper-case storage account", { storageAccountName: "OidcDev" }, "kind.storageAccountName", /3-24 lowercase letters and digits/],
        ["a 25-character storage account", { storageAccountName: "a".repeat(25) }, "kind.storageAccountName", /3-24/],
        ["a missing storage account", { storageAccountName: undefined }, "kind.storageAccountName", /is missing/],
        ["a namespace with upper case", { namespace: "Entra" }, "kind.namespace", /DNS-1123 label/],
        ["a service account with a colon", { serviceAccountName: "a:b" }, "kind.serviceAccountName", /DNS-1123 subdomain/],
        ["a relative key path", { signingKeyHostPath: "sa-signer.key" }, "kind.signingKeyHostPath", /absolute path/],
        ["a 1024-bit key", { rsaBits: 1024 }, "kind.rsaBits", /2048 or 4096/],
        ["a cluster name with dots", { clusterName: "my.cluster" }, "kind.clusterName", /not a valid Kind cluster name/],
        ["a FIC name with spaces", { ficName: "kind fic" }, "kind.ficName", /letters, digits/],
        ["extra keys that are not a list", { extraPublicKeys: KNOWN_PUBLIC_KEY }, "kind.extraPublicKeys", /must be a list/],
        ["an extra key that is not PEM", { extraPublicKeys: ["ssh-rsa AAAA"] }, "kind.extraPublicKeys[0]", /not a PEM key/],
        ["an EC extra key (the issuer publishes RS256 only)", { extraPublicKeys: [ecPublicKey] }, "kind.extraPublicKeys[0]", /ec key.*must be RSA/],
        ["a context without an agent image", { kubeconfigContext: "kind-agentfed", downstreamApis: WEATHER }, "kind.agentImage", /is not set/],
        [
            // Without DownstreamApis__* the sidecar answers every call 400 "No scopes found" (issue 18).
            "a workload without downstream APIs",
            { kubeconfigContext: "kind-agentfed", agentImage: "contoso/agent:1.0" },
            "kind.downstreamApis",
            /lists no API: the sidecar would answer every call with 400 "No scopes found"/,
        ],
        [
            "an empty downstream API list",
            { kubeconfigContext: "kind-agentfed", agentImage: "contoso/agent:1.0", downstreamApis: [] },
            "kind.downstreamApis",
            /lists no API/,
        ],
        [
            "a downstream API Container Apps would refuse too (same parser)",
            {
                kubeconfigContext: "kind-agentfed",
                agentImage: "contoso/agent:1.0",
                downstreamApis: [{ ...WEATHER[0], scopes: ["api://AzureADTokenExchange/.default"] }],
            },
            "kind.downstreamApis[0].scopes[0]",
            /asks for the token-exchange audience/,
        ],
        [
            "the 1.0.0 sidecar, which answers any caller that sends Host: localhost",
            {
                kubeconfigContext: "kind-agentfed",
                agentImage: "contoso/agent:1.0",
                downstreamApis: WEATHER,
                sidecarImage: "mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-azurelinux3.0-distroless",
            },
            "kind.sidecarImage",
            /is sidecar 1\.0\.0, older than 1\.1\.0/,
        ],
        ["a moving agent image tag", { kubeconfigContext: "kind-agentfed", agentImage: "contoso/agent:latest" }, "kind.agentImage", /mutable tag latest/],
        [
            "an untagged sidecar image",
            {
                kubeconfigContext: "kind-agentfed",
                agentImage: "contoso/agent:1.0",
                downstreamApis: WEATHER,
                sidecarImage: "mcr.microsoft.com/entra-sdk/auth-sidecar",
            },
            "kind.sidecarImage",
            /pinned/,
        ],
        [
            "workload settings without a context",
            { agentImage: "contoso/agent:1.0" },
            "kind.kubeconfigContext",
            /workload is deployed only when a context is named/,
        ],
        ["a misspelt key", { storageAccount: "x" }, "kind.storageAccount", /is not a known setting/],
    ];
    for (const [what, patch, key, problem] of bad) {
        it(`refuses ${what}, naming agentfed:${key}`, () => assertIssue(config({ ...minimalKind, ...patch }), `${NS}:${key}`, problem));
    }

    it("accepts an image pinned by digest, and a registry with a port", () => {
        const workload = { kubeconfigContext: "kind-agentfed", downstreamApis: WEATHER };
        const kind = parse(config({ ...minimalKind, ...workload, agentImage: `localhost:5001/agent@sha256:${"a".repeat(64)}` })).kind;
        assert.equal(kind?.workload?.agentImage, `localhost:5001/agent@sha256:${"a".repeat(64)}`);
        assertIssue(config({ ...minimalKind, ...workload, agentImage: "localhost:5001/agent" }), `${NS}:kind.agentImage`, /pinned/);
    });

    describe("counts the Kind FIC with the Blueprint's others", () => {
        const issuer = blobOidcIssuerUrl(minimalKind.storageAccountName);
        it("refuses a Kind FIC name already used by the UAMI's FIC", () => {
            assertIssue(config({ ...minimalKind, ficName: "uami-mi-weather-agent" }), `${NS}:blueprint.additionalFederatedCredentials`, /used 2 times/);
        });
        it("refuses a declared FIC with the Kind FIC's issuer and subject", () => {
            const dup = { name: "dup", issuer, subject: "system:serviceaccount:entra-demo:sidecar-sa" };
            assertIssue(
                config(minimalKind, { additionalFederatedCredentials: [dup] }),
                `${NS}:blueprint.additionalFederatedCredentials`,
                /issuer\+subject to be unique/,
            );
        });
        it("refuses 21 FICs: UAMI + 19 declared + Kind", () => {
            const declared = Array.from({ length: 19 }, (_, i) => ({
                name: `ci-${i}`,
                issuer: "https://token.actions.githubusercontent.com",
                subject: `repo:o/r:environment:e${i}`,
            }));
            assert.doesNotThrow(() => parse(config(undefined, { additionalFederatedCredentials: declared })));
            assertIssue(
                config(minimalKind, { additionalFederatedCredentials: declared }),
                `${NS}:blueprint.additionalFederatedCredentials`,
                /declares 21 .* at most 20/,
            );
        });
    });
});

describe("issuer documents and the Kind cluster configuration", () => {
    const issuer = blobOidcIssuerUrl("oidcagentfedtest");

    it("builds the issuer as https://<account>.blob.core.windows.net/oidc, without a trailing slash", () => {
        assert.equal(issuer, "https://oidcagentfedtest.blob.core.windows.net/oidc");
        assert.throws(() => blobOidcIssuerUrl("Bad_Name"), TrustContractError);
    });

    it("renders the discovery document with the issuer copied and the JWKS under it", () => {
        assert.deepEqual(JSON.parse(renderOidcDocument(discoveryDocument(issuer))), {
            issuer,
            jwks_uri: `${issuer}/openid/v1/jwks`,
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
        });
    });

    it("computes Kubernetes' kid (SHA-256 of the DER SubjectPublicKeyInfo, base64url) as OpenSSL does", () => {
        assert.equal(kubernetesKeyId(KNOWN_PUBLIC_KEY), KNOWN_KID);
        const jwks = jsonWebKeySet([KNOWN_PUBLIC_KEY]);
        assert.deepEqual(Object.keys(jwks.keys[0] ?? {}), ["use", "kty", "kid", "alg", "n", "e"]);
        assert.deepEqual({ ...jwks.keys[0], n: "…" }, { use: "sig", kty: "RSA", kid: KNOWN_KID, alg: "RS256", n: "…", e: "AQAB" });
    });

    it("publishes each key once, managed key first, and derives the public key from a private one", () => {
        const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
        const otherPrivate = other.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
        const jwks = jsonWebKeySet([KNOWN_PUBLIC_KEY, otherPrivate, KNOWN_PUBLIC_KEY]);
        assert.deepEqual(
            jwks.keys.map((k) => k.kid),
            [KNOWN_KID, kubernetesKeyId(otherPrivate)],
        );
        assert.ok(!JSON.stringify(jwks).includes('"d"'), "no private parameter is ever published");
        assert.throws(() => jsonWebKeySet([]), /at least one public key/);
    });

    it("renders a Kind config whose API server signs as the issuer, accepts only its own audience, with the mounted key", () => {
        const text = renderKindClusterConfig({ clusterName: "agentfed-dev", issuer, signingKeyHostPath: "/tmp/agentfed-kind/sa-signer.key" });
        const cluster = yaml.load(text) as any;
        assert.equal(cluster.kind, "Cluster");
        assert.equal(cluster.apiVersion, "kind.x-k8s.io/v1alpha4");
        assert.equal(cluster.name, "agentfed-dev");
        const node = cluster.nodes[0];
        assert.equal(node.role, "control-plane");
        assert.deepEqual(node.extraMounts, [
            { hostPath: "/tmp/agentfed-kind/sa-signer.key", containerPath: "/etc/kubernetes/pki/sa-signer.key", readOnly: true },
        ]);
        const patch = yaml.load(node.kubeadmConfigPatches[0]) as any;
        assert.equal(patch.kind, "ClusterConfiguration");
        assert.deepEqual(patch.apiServer.extraArgs, {
            "service-account-issuer": issuer,
            "service-account-signing-key-file": "/etc/kubernetes/pki/sa-signer.key",
            "service-account-key-file": "/etc/kubernetes/pki/sa-signer.key",
            // The API server's own audience only: projected tokens may ask for api://AzureADTokenExchange without it,
            // and listing it would make the API server accept exchange tokens.
            "api-audiences": "https://kubernetes.default.svc",
        });
        assert.deepEqual(patch.controllerManager.extraArgs, { "service-account-private-key-file": "/etc/kubernetes/pki/sa-signer.key" });
        assert.throws(() => renderKindClusterConfig({ clusterName: "x", issuer, signingKeyHostPath: "sa.key" }), /must be absolute/);
        for (const exchange of ["api://AzureADTokenExchange", "fb60f99c-7a34-4190-8149-302f77469936"])
            assert.throws(
                () =>
                    renderKindClusterConfig({
                        clusterName: "x",
                        issuer,
                        signingKeyHostPath: "/sa.key",
                        apiAudiences: [exchange, "https://kubernetes.default.svc"],
                    }),
                /must not list the token-exchange audience/,
            );
    });
});

describe("npm run jwks", () => {
    const root = path.resolve(__dirname, "..");
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/jwks.ts", ...args], { cwd: root, encoding: "utf8" });

    it("prints the key set for existing keys, with Kubernetes' kid", () => {
        const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
        // Inline PEM text starts with dashes, so it is passed as --public-key=<pem>; file paths work either way.
        const r = run([`--public-key=${KNOWN_PUBLIC_KEY}`, `--public-key=${other}`]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, renderOidcDocument(jsonWebKeySet([KNOWN_PUBLIC_KEY, other])));
        assert.equal((JSON.parse(r.stdout) as { keys: { kid: string }[] }).keys[0]?.kid, KNOWN_KID);
    });

    it("fails with usage when no key is given, and names an unreadable key", () => {
        assert.equal(run([]).status, 2);
        const r = run(["--public-key", "/nonexistent/sa.pub"]);
        assert.equal(r.status, 2, "unusable input exits 2, like the doctor and the audit");
        assert.match(r.stderr, /nonexistent\/sa\.pub/);
    });
});
