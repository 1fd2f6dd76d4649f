import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, ChildProcess } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { createLocalJWKSet, decodeProtectedHeader, JSONWebKeySet, jwtVerify, SignJWT } from "jose";
import {
    discoveryDocument,
    DISCOVERY_BLOB_NAME,
    EntraFicContract,
    evaluateEntraFic,
    JWKS_BLOB_NAME,
    kubernetesKeyId,
    OIDC_CONTAINER_NAME,
    OIDC_DOCUMENT_CONTENT_TYPE,
    renderOidcDocument,
    TOKEN_EXCHANGE_AUDIENCE,
} from "../src/contracts";
import { runPlan } from "../src/plan/run-plan";

/**
 * End to end against a real Azure Blob API: Azurite (the Azure Storage emulator, run from npm) stands in for the
 * storage account. The documents are the ones the dev stack renders: the JWKS is the plan's blob content byte for
 * byte, and the discovery document comes from the same renderer with Azurite's URL as issuer. The token is signed
 * with the plan's managed key (the key tls.PrivateKey would hold in state), then verified the way Entra does it:
 * anonymous discovery, jwks_uri, signature, then the FIC's iss/sub/aud match.
 *
 * What Azurite cannot prove: it serves http on 127.0.0.1, so the issuer here is http://127.0.0.1:<port>/devstoreaccount1/oidc.
 * The production issuer is https://<account>.blob.core.windows.net/oidc, enforced by blobOidcIssuerUrl, issuerProblem
 * and the config validation (test/kind-config.test.ts). Nor does it model a storage account's
 * allowBlobPublicAccess switch; only the container's access level, which is what is tested below.
 */

// Azurite's documented, public development account (not a secret: every Azurite install has it).
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const AZURITE = path.resolve(__dirname, "..", "node_modules", ".bin", "azurite-blob");

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

async function waitUntilListening(url: string, azurite: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
        if (azurite.exitCode !== null) throw new Error(`azurite-blob exited with ${azurite.exitCode}:\n${output()}`);
        try {
            await fetch(url);
            return;
        } catch {
            if (Date.now() > deadline) throw new Error(`azurite-blob did not listen on ${url} within 20 s:\n${output()}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    }
}

interface EntraLikeResult {
    readonly accepted: boolean;
    readonly reasons: readonly string[];
}

/**
 * What Entra does with a client assertion for a FIC: read `iss` (unverified), fetch `<iss>/.well-known/openid-configuration`
 * anonymously, check its issuer, follow `jwks_uri`, verify the RS256 signature with the key whose kid the token names,
 * then match iss/sub/aud against the FIC.
 */
async function verifyLikeEntra(token: string, contract: EntraFicContract): Promise<EntraLikeResult> {
    const [, payloadPart] = token.split(".");
    const unverified = JSON.parse(Buffer.from(payloadPart ?? "", "base64url").toString("utf8")) as { iss: string };
    const discoveryResponse = await fetch(`${unverified.iss}/.well-known/openid-configuration`);
    if (discoveryResponse.status !== 200) return { accepted: false, reasons: [`discovery: HTTP ${discoveryResponse.status}`] };
    const discovery = (await discoveryResponse.json()) as { issuer: string; jwks_uri: string };
    if (discovery.issuer !== unverified.iss) return { accepted: false, reasons: [`discovery issuer ${discovery.issuer} is not ${unverified.iss}`] };
    const jwksResponse = await fetch(discovery.jwks_uri);
    if (jwksResponse.status !== 200) return { accepted: false, reasons: [`jwks: HTTP ${jwksResponse.status}`] };
    const jwks = (await jwksResponse.json()) as JSONWebKeySet;
    try {
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ["RS256"] });
        return evaluateEntraFic(contract, payload, Math.floor(Date.now() / 1000));
    } catch (err) {
        const code = (err as { code?: string }).code ?? "";
        const kid = decodeProtectedHeader(token).kid;
        const reason =
            code === "ERR_JWKS_NO_MATCHING_KEY"
                ? `AADSTS7000272: The certificate with identifier ${kid} could not be found`
                : `signature: ${code} ${(err as Error).message}`;
        return { accepted: false, reasons: [reason] };
    }
}

/** A projected service-account token as kube-apiserver signs it. */
async function serviceAccountToken(key: KeyObject, kid: string, claims: { iss: string; sub: string; aud: string[] }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const [, , namespace, name] = claims.sub.split(":");
    return new SignJWT({ aud: claims.aud, "kubernetes.io": { namespace, serviceaccount: { name, uid: "6b0c6a51-0f7d-4c62-9a1e-5e6d7a0f3b21" } } })
        .setProtectedHeader({ alg: "RS256", kid })
        .setIssuer(claims.iss)
        .setSubject(claims.sub)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 3600)
        .sign(key);
}

describe("Kind issuer end to end on Azurite (a real Azure Blob API on 127.0.0.1)", () => {
    let azurite: ChildProcess;
    let workspace: string;
    let logs = "";
    let issuer: string;
    let blobService: BlobServiceClient;
    let container: ContainerClient;
    let signingKey: KeyObject;
    let kid: string;
    let contract: EntraFicContract;
    let planJwks: string;
    /** The container's anonymous access level as the stack registers it (azure-native publicAccess). */
    let stackAccess: string;
    const SUBJECT = "system:serviceaccount:entra-demo:sidecar-sa";

    before(async () => {
        // The managed key, the JWKS bytes and the FIC exactly as the dev stack produces them (under mocks).
        const plan = await runPlan({ stack: "dev" });
        const jwksBlob = plan.resources.find((r) => r.type === "azure-native:storage:Blob" && r.inputs.blobName === JWKS_BLOB_NAME);
        planJwks = String((jwksBlob?.inputs.source as { text: string }).text);
        signingKey = createPrivateKey(String(plan.outputs.kindServiceAccountSigningKey));
        kid = kubernetesKeyId(String(plan.outputs.kindServiceAccountPublicKey));
        const planContract = plan.trustContracts.find((c) => c.kind === "entra-fic" && c.subject === SUBJECT);
        assert.ok(planContract && planContract.kind === "entra-fic");

        const port = await freePort();
        workspace = mkdtempSync(path.join(tmpdir(), "agentfed-azurite-"));
        azurite = spawn(
            AZURITE,
            [
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                String(port),
                "--inMemoryPersistence",
                "--extentMemoryLimit",
                "64",
                "--loose",
                "--skipApiVersionCheck",
                "--disableTelemetry",
            ],
            // Run in a scratch directory: nothing Azurite might write lands in the repository.
            { cwd: workspace, stdio: ["ignore", "pipe", "pipe"] },
        );
        azurite.stdout?.on("data", (d: Buffer) => (logs += d.toString()));
        azurite.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
        const endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
        await waitUntilListening(endpoint, azurite, () => logs);

        // Same path shape as production: <blob endpoint>/oidc.
        issuer = `${endpoint}/${OIDC_CONTAINER_NAME}`;
        // Only the issuer differs from the deployed FIC, because Azurite's URL stands in for the account's.
        assert.equal(planContract.issuer, String(plan.outputs.kindIssuerUrl));
        contract = { ...planContract, issuer };

        // The container and its blobs as the stack registers them: name, anonymous access level, content type and
        // bytes all come from the plan, so what is tested below is the stack's own setting, not one chosen here.
        const planContainer = plan.resources.find((r) => r.type === "azure-native:storage:BlobContainer");
        assert.ok(planContainer, "the dev plan registers the issuer's container");
        stackAccess = String(planContainer.inputs.publicAccess);
        const access = ({ Blob: "blob", Container: "container" } as const)[stackAccess as "Blob" | "Container"];
        blobService = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY));
        container = blobService.getContainerClient(String(planContainer.inputs.containerName));
        await container.create(access ? { access } : {});
        for (const blob of plan.resources.filter((r) => r.type === "azure-native:storage:Blob")) {
            const name = String(blob.inputs.blobName);
            const planText = String((blob.inputs.source as { text: string }).text);
            // The discovery document names the issuer; Azurite's URL stands in for the account's, nothing else changes.
            if (name === DISCOVERY_BLOB_NAME) assert.equal(planText, renderOidcDocument(discoveryDocument(String(plan.outputs.kindIssuerUrl))));
            const body = name === DISCOVERY_BLOB_NAME ? renderOidcDocument(discoveryDocument(issuer)) : planText;
            await container
                .getBlockBlobClient(name)
                .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: String(blob.inputs.contentType) } });
        }
    });

    after(() => {
        azurite?.kill();
        if (workspace) rmSync(workspace, { recursive: true, force: true });
    });

    it("serves the two documents anonymously as application/json, and the JWKS names the managed key's kid", async () => {
        for (const name of [DISCOVERY_BLOB_NAME, JWKS_BLOB_NAME]) {
            const r = await fetch(`${issuer}/${name}`);
            assert.equal(r.status, 200, name);
            assert.equal(r.headers.get("content-type"), OIDC_DOCUMENT_CONTENT_TYPE, name);
        }
        const jwks = await (await fetch(`${issuer}/${JWKS_BLOB_NAME}`)).text();
        assert.equal(jwks, planJwks, "published byte for byte as the stack renders it");
        assert.deepEqual(
            (JSON.parse(jwks) as { keys: { kid: string }[] }).keys.map((k) => k.kid),
            [kid],
        );
    });

    it("accepts a service-account token signed with the managed key, like Entra would", async () => {
        const token = await serviceAccountToken(signingKey, kid, { iss: issuer, sub: SUBJECT, aud: [TOKEN_EXCHANGE_AUDIENCE] });
        assert.deepEqual(await verifyLikeEntra(token, contract), { accepted: true, reasons: [] });
    });

    it("refuses a token signed with another key, under its own kid or under the managed key's", async () => {
        const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
        const ownKid = await verifyLikeEntra(
            await serviceAccountToken(other, kubernetesKeyId(other.export({ type: "pkcs1", format: "pem" }).toString()), {
                iss: issuer,
                sub: SUBJECT,
                aud: [TOKEN_EXCHANGE_AUDIENCE],
            }),
            contract,
        );
        assert.equal(ownKid.accepted, false);
        assert.match(ownKid.reasons.join(), /AADSTS7000272/);
        const stolenKid = await verifyLikeEntra(await serviceAccountToken(other, kid, { iss: issuer, sub: SUBJECT, aud: [TOKEN_EXCHANGE_AUDIENCE] }), contract);
        assert.equal(stolenKid.accepted, false);
        assert.match(stolenKid.reasons.join(), /signature: ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    });

    it("refuses a validly signed token for another service account or another audience (the FIC, not the signature)", async () => {
        const otherSa = await verifyLikeEntra(
            await serviceAccountToken(signingKey, kid, { iss: issuer, sub: "system:serviceaccount:entra-demo:default", aud: [TOKEN_EXCHANGE_AUDIENCE] }),
            contract,
        );
        assert.equal(otherSa.accepted, false);
        assert.match(otherSa.reasons.join(), /AADSTS70021.*subject "system:serviceaccount:entra-demo:default"/);
        const apiAudience = await verifyLikeEntra(
            await serviceAccountToken(signingKey, kid, { iss: issuer, sub: SUBJECT, aud: ["https://kubernetes.default.svc"] }),
            contract,
        );
        assert.equal(apiAudience.accepted, false);
        assert.match(apiAudience.reasons.join(), /AADSTS70021.*audience/);
    });

    it("refuses anonymous listing of the container at the stack's own access level, while a container-level one would list", async () => {
        assert.equal(stackAccess, "Blob", "the stack grants blob-level anonymous read on the issuer's container");
        const list = await fetch(`${issuer}?restype=container&comp=list`);
        assert.equal(list.status, 403);
        // Control: Azurite does enforce access levels, so the 403 above is the Blob level at work, not a blanket refusal.
        const open = blobService.getContainerClient("control-container-level");
        await open.create({ access: "container" });
        const openList = await fetch(`${open.url}?restype=container&comp=list`);
        assert.equal(openList.status, 200);
        await open.delete();
        // Anonymous writes are refused too.
        const write = await fetch(`${issuer}/${JWKS_BLOB_NAME}`, { method: "PUT", headers: { "x-ms-blob-type": "BlockBlob" }, body: "{}" });
        assert.equal(write.status, 403);
    });

    it("holds exactly the two documents in the container", async () => {
        const names: string[] = [];
        for await (const blob of container.listBlobsFlat()) names.push(blob.name);
        assert.deepEqual(names.sort(), [DISCOVERY_BLOB_NAME, JWKS_BLOB_NAME].sort());
    });
});
