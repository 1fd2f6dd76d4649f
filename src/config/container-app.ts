import type { DownstreamApi } from "../runtime/container-env";
import { DEFAULT_SIDECAR_IMAGE, RESERVED_API_PREFIX, SIDECAR_IMAGE_FIX, sidecarImageProblem } from "../runtime/container-env";
import { bool, imageProblem, isJsonObject, Json, JsonObject, Reader, str } from "./reader";

/**
 * Default refresher image: a stock Node.js on Azure Linux, the same Node line the project runs on (.nvmrc), pinned to
 * one build (the dated full tag) and its digest, so a revision never changes under the app without a diff. The
 * refresher code is passed with `node -e`. Tag scheme: <node version>-<release>-azl<distro>.<build date>, as published
 * on mcr.microsoft.com/azurelinux/base/nodejs. Before bumping: `docker buildx imagetools inspect <image>` (or
 * `crane digest`) prints the digest to copy.
 */
export const DEFAULT_REFRESHER_IMAGE =
    "mcr.microsoft.com/azurelinux/base/nodejs:24.21.0-1-azl3.0.20261005@sha256:c30e39a396fb0ad2c7bf2fe6b4e2fe1598a9b79f09831c07d763fe09927e8779";

/** The agent's Azure Container Apps deployment. Absent: no container app is deployed by this stack. */
export interface ContainerAppConfig {
    /** Container app name. */
    readonly name: string;
    /** An existing managed environment's ARM id; when unset the stack creates one with a Log Analytics workspace. */
    readonly environmentId: string | undefined;
    /** Log retention of the created workspace, in days. */
    readonly logRetentionDays: number;
    readonly agent: {
        /** Agent image, pinned by tag or digest. */
        readonly image: string;
        /** The port the agent listens on; ingress targets it and nothing else. */
        readonly port: number;
        readonly cpu: number;
        readonly memory: string;
        /** Whether ingress is reachable from the internet (true) or only inside the environment (false). */
        readonly externalIngress: boolean;
    };
    readonly sidecar: {
        readonly image: string;
        readonly downstreamApis: readonly DownstreamApi[];
        readonly allowAgentIdentityOverride: boolean;
    };
    readonly refresher: { readonly image: string };
    /** A container registry pulled through the UAMI (it needs AcrPull on the registry). */
    readonly registryServer: string | undefined;
    readonly minReplicas: number;
    readonly maxReplicas: number;
}

const APP_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const CPU_TO_MEMORY: Record<string, string> = {
    "0.25": "0.5Gi",
    "0.5": "1Gi",
    "0.75": "1.5Gi",
    "1": "2Gi",
    "1.25": "2.5Gi",
    "1.5": "3Gi",
    "1.75": "3.5Gi",
    "2": "4Gi",
};
const ENV_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

function num(r: Reader, path: string, value: Json | undefined, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    const n = typeof value === "string" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) {
        r.report(path, `must be a number from ${min} to ${max} (got ${JSON.stringify(value)})`, `set ${r.key(path)} within range`);
        return fallback;
    }
    return n;
}

function obj(r: Reader, path: string, value: Json | undefined, known: readonly string[]): JsonObject {
    if (value === undefined) return {};
    if (!isJsonObject(value)) {
        r.report(path, "must be an object", `write ${r.key(path)} as a YAML mapping`);
        return {};
    }
    r.onlyKnownFields(path, value, known);
    return value;
}

function image(r: Reader, path: string, value: Json | undefined, fallback?: string): string {
    const image = str(value) ?? fallback;
    const problem = imageProblem(image);
    if (problem) r.report(path, problem, "reference the image as registry/repository:version or @sha256:<digest>");
    return image ?? "";
}

/** The sidecar image: pinned, and a version that answers loopback callers only (`sidecarImageProblem`). */
export function sidecarImage(r: Reader, path: string, value: Json | undefined): string {
    const pinned = image(r, path, value, DEFAULT_SIDECAR_IMAGE);
    const problem = pinned === "" || imageProblem(pinned) ? undefined : sidecarImageProblem(pinned);
    if (problem) r.report(path, problem, SIDECAR_IMAGE_FIX);
    return pinned;
}

/**
 * The sidecar's downstream APIs (`containerApp.sidecar.downstreamApis`, a class's, and `kind.downstreamApis`): one
 * parser, so the sidecar on Container Apps and on Kind is configured from the same shape with the same rules.
 */
export function parseDownstreamApis(r: Reader, path: string, value: Json | undefined): DownstreamApi[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        r.report(path, "must be a list", `write ${r.key(path)} as a list of { name, baseUrl, scopes }`);
        return [];
    }
    return value.flatMap((entry, i): DownstreamApi[] => {
        const at = `${path}[${i}]`;
        const e = obj(r, at, entry, ["name", "baseUrl", "scopes", "requestAppToken"]);
        const name = str(e.name) ?? "";
        if (!ENV_NAME.test(name))
            r.report(
                `${at}.name`,
                `must be letters and digits only (got ${JSON.stringify(e.name ?? null)})`,
                "it becomes part of environment variable names, e.g. Weather",
            );
        // Compared without case: the sidecar (.NET configuration) reads keys case-insensitively.
        if (name.toLowerCase().startsWith(RESERVED_API_PREFIX.toLowerCase()))
            r.report(
                `${at}.name`,
                `starts with ${RESERVED_API_PREFIX}, which names the sidecar entries this stack adds for cloud federation (Option 2)`,
                "choose another name, e.g. Weather",
            );
        const baseUrl = str(e.baseUrl) ?? "";
        if (!/^https:\/\/\S+$/.test(baseUrl))
            r.report(`${at}.baseUrl`, `must be an https URL (got ${JSON.stringify(e.baseUrl ?? null)})`, "use the API's https base URL");
        const scopes = Array.isArray(e.scopes) ? e.scopes.filter((s): s is string => typeof s === "string") : [];
        if (scopes.length === 0 || scopes.length !== (e.scopes as Json[]).length || scopes.some((s) => /\s/.test(s) || s === "")) {
            r.report(`${at}.scopes`, "must be a non-empty list of scope strings", "e.g. [api://weather/.default]");
        }
        if (scopes.includes("api://AzureADTokenExchange/.default")) {
            r.report(
                `${at}.scopes`,
                "asks for the token-exchange audience",
                "that audience is for federation assertions only; use the downstream API's own scope",
            );
        }
        return [{ name, baseUrl, scopes, requestAppToken: bool(r, `${at}.requestAppToken`, e.requestAppToken, true) }];
    });
}

/** Parses `agentfed:containerApp`. */
export function parseContainerAppConfig(r: Reader): ContainerAppConfig | undefined {
    const key = "containerApp";
    const root = r.object(key, `set ${r.key(key)} to { name, agent: { image } }`, false);
    return root ? parseContainerAppObject(r, key, root) : undefined;
}

/** Parses one container app section found at `key` (the stack's, or an agent class's). */
export function parseContainerAppObject(r: Reader, key: string, root: JsonObject): ContainerAppConfig {
    r.onlyKnownFields(key, root, ["name", "identityType", "environment", "agent", "sidecar", "refresher", "registryServer", "minReplicas", "maxReplicas"]);
    if (root.identityType !== undefined && root.identityType !== "UserAssigned") {
        r.report(
            `${key}.identityType`,
            `is ${JSON.stringify(root.identityType)}: only UserAssigned is allowed`,
            "remove the key. A system-assigned identity gets a new object id on every recreate and every trust contract pinned to it breaks (seed 001); the app runs as the stack's UAMI",
        );
    }
    const name = r.matching(
        `${key}.name`,
        root.name,
        APP_NAME,
        "a valid container app name",
        "use 2-32 lowercase letters, digits and '-', starting with a letter",
    );

    const environment = obj(r, `${key}.environment`, root.environment, ["existingId", "logRetentionDays"]);
    const environmentId = str(environment.existingId);
    if (
        environmentId !== undefined &&
        !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/managedEnvironments\/[^/]+$/i.test(environmentId)
    ) {
        r.report(
            `${key}.environment.existingId`,
            `is not a managed environment ARM id (got ${JSON.stringify(environmentId)})`,
            "copy it from: az containerapp env show -n <env> -g <rg> --query id -o tsv",
        );
    }
    if (environmentId !== undefined && environment.logRetentionDays !== undefined)
        r.report(
            `${key}.environment.logRetentionDays`,
            "is set together with environment.existingId, but only an environment this stack creates takes it",
            "drop logRetentionDays, or set the retention on the existing environment's Log Analytics workspace",
        );

    const agent = obj(r, `${key}.agent`, root.agent, ["image", "port", "cpu", "memory", "externalIngress"]);
    const port = num(r, `${key}.agent.port`, agent.port, 8080, 1, 65535);
    if (port === 5000)
        r.report(`${key}.agent.port`, "is 5000, the sidecar's port", "the agent and the sidecar share the replica's loopback; pick another port, e.g. 8080");
    const cpu = num(r, `${key}.agent.cpu`, agent.cpu, 0.5, 0.25, 2);
    const memory = str(agent.memory) ?? CPU_TO_MEMORY[String(cpu)] ?? "";
    if (CPU_TO_MEMORY[String(cpu)] !== memory) {
        r.report(
            `${key}.agent.memory`,
            `does not match cpu ${cpu} (got ${JSON.stringify(memory)})`,
            `Container Apps pairs cpu with memory 2:1; use ${CPU_TO_MEMORY[String(cpu)] ?? "a cpu in 0.25 steps"}`,
        );
    }

    const sidecar = obj(r, `${key}.sidecar`, root.sidecar, ["image", "downstreamApis", "allowAgentIdentityOverride"]);
    const refresher = obj(r, `${key}.refresher`, root.refresher, ["image"]);
    const registryServer = str(root.registryServer);
    if (registryServer !== undefined && !/^[a-z0-9.-]+$/.test(registryServer)) {
        r.report(
            `${key}.registryServer`,
            `is not a registry host name (got ${JSON.stringify(registryServer)})`,
            "e.g. myregistry.azurecr.io, without https://",
        );
    }
    const minReplicas = num(r, `${key}.minReplicas`, root.minReplicas, 1, 0, 300);
    const maxReplicas = num(r, `${key}.maxReplicas`, root.maxReplicas, 3, 1, 300);
    if (maxReplicas < minReplicas) r.report(`${key}.maxReplicas`, "is below minReplicas", "raise maxReplicas");

    return {
        name,
        environmentId,
        logRetentionDays: num(r, `${key}.environment.logRetentionDays`, environment.logRetentionDays, 30, 30, 730),
        agent: {
            image: image(r, `${key}.agent.image`, agent.image),
            port,
            cpu,
            memory,
            externalIngress: bool(r, `${key}.agent.externalIngress`, agent.externalIngress, true),
        },
        sidecar: {
            image: sidecarImage(r, `${key}.sidecar.image`, sidecar.image),
            downstreamApis: parseDownstreamApis(r, `${key}.sidecar.downstreamApis`, sidecar.downstreamApis),
            allowAgentIdentityOverride: bool(r, `${key}.sidecar.allowAgentIdentityOverride`, sidecar.allowAgentIdentityOverride, false),
        },
        refresher: { image: image(r, `${key}.refresher.image`, refresher.image, DEFAULT_REFRESHER_IMAGE) },
        registryServer,
        minReplicas,
        maxReplicas,
    };
}
