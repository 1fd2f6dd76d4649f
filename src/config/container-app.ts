import type { DownstreamApi } from "../runtime/container-env";
import { DEFAULT_SIDECAR_IMAGE, RESERVED_API_PREFIX, SIDECAR_IMAGE_FIX, SIDECAR_PORT, sidecarImageProblem } from "../runtime/container-env";
import { isTokenExchangeAudience, scopeAudience } from "../contracts";
import { IMAGE_RULE, imageProblem } from "./image-reference";
import { isJsonObject, Json, JsonObject, Reader } from "./reader";
import { boolean, integer, list, object, text, value } from "./spec";

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
/**
 * The agent container's cpu and memory, paired 2:1 as the Consumption profile requires (Azure Container Apps,
 * "Containers": allocations are 0.25 vCPU / 0.5Gi steps); the sidecar and refresher take 0.25 / 0.5Gi each.
 */
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
const MANAGED_ENVIRONMENT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/managedEnvironments\/[^/]+$/i;
const REGISTRY_HOST = /^[a-z0-9.-]+(:\d{1,5})?$/;

/** The sidecar's downstream APIs (also the shape of `kind.downstreamApis` once the Kind workload calls APIs). */
export const DOWNSTREAM_APIS_KEYS = list(
    {
        summary: "APIs the Entra auth sidecar gets tokens for on the agent's behalf.",
        rule: "names unique without case (the sidecar reads its configuration without case); never the token-exchange audience as a scope",
        example: [{ name: "Weather", baseUrl: "https://weather.contoso.example", scopes: ["api://weather/.default"] }],
    },
    object(
        { summary: "One downstream API." },
        {
            name: text({
                summary: "Name in the sidecar's route /AuthorizationHeaderUnauthenticated/{name} and in its environment variable names.",
                required: true,
                rule: `letters and digits, starting with a letter; not starting with ${RESERVED_API_PREFIX} (in any case), which names the entries this stack adds for cloud federation`,
                example: "Weather",
            }),
            baseUrl: text({ summary: "The API's base URL.", required: true, rule: "https:// and no whitespace", example: "https://weather.contoso.example" }),
            scopes: list(
                {
                    summary: "Scopes the sidecar requests for the API.",
                    required: true,
                    rule: "a non-empty list of strings without whitespace; never api://AzureADTokenExchange or its GUID, in any spelling: that audience is for federation assertions only",
                    example: ["api://weather/.default"],
                },
                text({ summary: "One scope." }),
            ),
            requestAppToken: boolean({ summary: "Request an app-only token (true) or a user token (false).", default: true }),
        },
    ),
);

const imageKey = (summary: string, extra: { default?: string; required?: boolean; example: string }) => text({ summary, rule: IMAGE_RULE, ...extra });

/** `containerApp` (and an agent class's `containerApp`). */
export const CONTAINER_APP_KEYS = object(
    {
        summary:
            "The agent on Azure Container Apps: agent, Entra auth sidecar, and a token refresher when a cloud needs token files. Absent: no container app.",
        section: "Container app",
        see: "container-app.md",
    },
    {
        name: text({
            summary: "Container app name.",
            required: true,
            rule: "2-32 lowercase letters, digits and '-', starting with a letter, not ending with '-'",
            example: "weather-agent",
        }),
        identityType: text({
            summary: "The app's identity type.",
            allowed: ["UserAssigned"],
            default: "UserAssigned",
            rule: "only UserAssigned: a system-assigned identity gets a new object id on every recreate and every trust contract pinned to it breaks (Rais, 'Entra Agent ID Across Clouds', Part 3)",
        }),
        environment: object(
            {
                summary:
                    "The Container Apps environment. At the top level: the stack's, which every agent naming none runs in. Absent: the stack creates one, with a Log Analytics workspace, when any agent runs on Container Apps.",
            },
            {
                existingId: text({
                    summary: "ARM id of an existing managed environment to deploy into instead.",
                    rule: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.App/managedEnvironments/<name>",
                    example:
                        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/Microsoft.App/managedEnvironments/cae-shared",
                }),
                logRetentionDays: integer({
                    summary: "Retention of the workspace the stack creates, in days.",
                    default: 30,
                    min: 30,
                    max: 730,
                    rule: "Log Analytics' retention range on the pay-as-you-go tier; only with an environment the stack creates",
                }),
            },
        ),
        agent: object(
            { summary: "The agent container.", required: true },
            {
                image: imageKey("Agent image.", { required: true, example: "contoso.azurecr.io/weather-agent:1.4.2" }),
                port: integer({
                    summary: "Port the agent listens on; ingress targets it and nothing else.",
                    default: 8080,
                    min: 1,
                    max: 65535,
                    rule: `never ${SIDECAR_PORT}, the sidecar's port on the replica's loopback`,
                }),
                cpu: value<number>("number", {
                    summary: "vCPUs of the agent container.",
                    default: 0.5,
                    allowed: Object.keys(CPU_TO_MEMORY)
                        .map(Number)
                        .sort((a, b) => a - b),
                    rule: "one of the Consumption profile's 0.25 steps up to 2",
                }),
                memory: text({
                    summary: "Memory of the agent container.",
                    defaultText: "twice the cpu in Gi (1Gi for 0.5)",
                    rule: "exactly twice the cpu, in Gi, as Container Apps pairs them",
                    example: "1Gi",
                }),
                externalIngress: boolean({ summary: "Ingress reachable from the internet (true) or only inside the environment (false).", default: true }),
            },
        ),
        sidecar: object(
            { summary: "The Entra auth sidecar (Microsoft.Identity.Web's container), which mints tokens for the agent." },
            {
                image: text({
                    summary: "Sidecar image.",
                    default: DEFAULT_SIDECAR_IMAGE,
                    rule: `${IMAGE_RULE}; sidecar 1.1.0 or later, read from the tag: older versions answer every caller that can reach the port and ignore Sidecar__AllowOverrides (docs/container-app.md)`,
                    example: DEFAULT_SIDECAR_IMAGE,
                }),
                downstreamApis: DOWNSTREAM_APIS_KEYS,
                allowAgentIdentityOverride: boolean({
                    summary: "Let callers choose the Agent Identity per request (the sidecar's AgentIdentity parameter).",
                    default: false,
                    rule: "no longer needed: the stack turns the override on by itself for every agent that calls its APIs as an Agent Identity (Option 1 and Option 2), so true is accepted there and refused on an agent without one; it lets any process in the replica choose the Agent Identity, scopes, tenant and FMI path of the tokens the sidecar mints",
                    see: "agent-classes.md",
                }),
            },
        ),
        refresher: object(
            { summary: "The token refresher, which writes the cloud federation tokens to files the agent's SDKs read." },
            { image: imageKey("Refresher image (node runs its code with -e).", { default: DEFAULT_REFRESHER_IMAGE, example: DEFAULT_REFRESHER_IMAGE }) },
        ),
        registryServer: text({
            summary: "A container registry pulled through the UAMI (grant it AcrPull).",
            rule: "a host name, without https://",
            example: "contoso.azurecr.io",
        }),
        minReplicas: integer({ summary: "Fewest replicas (Container Apps' scale limits: 0 to 1000).", default: 1, min: 0, max: 1000 }),
        maxReplicas: integer({
            summary: "Most replicas.",
            default: 3,
            min: 1,
            max: 1000,
            rule: "at least minReplicas",
        }),
    },
);
const K = CONTAINER_APP_KEYS.fields;
const DOWNSTREAM = DOWNSTREAM_APIS_KEYS.items.fields;

function image(r: Reader, path: string, value: Json | undefined, fallback?: string): string {
    const found = value === undefined || value === null || value === "" ? fallback : value;
    const problem = imageProblem(found);
    if (problem) r.report(path, problem, "reference the image as registry/repository:version or @sha256:<digest>");
    return typeof found === "string" ? found : "";
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
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
        r.report(path, "must be a list", `write ${r.key(path)} as a list of { name, baseUrl, scopes }`);
        return [];
    }
    const names = new Map<string, string>();
    return value.flatMap((entry, i): DownstreamApi[] => {
        const at = `${path}[${i}]`;
        if (!isJsonObject(entry)) {
            r.report(at, `must be an object with name, baseUrl and scopes (got ${JSON.stringify(entry)})`, `write ${r.key(at)} as { name, baseUrl, scopes }`);
            return [];
        }
        const e = r.fields(at, entry, DOWNSTREAM_APIS_KEYS.items);
        const name = r.text(`${at}.name`, e.name) ?? "";
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
        const first = names.get(name.toLowerCase());
        if (name !== "" && first !== undefined)
            r.report(
                `${at}.name`,
                `repeats the API name ${JSON.stringify(name)} (already ${r.key(first)}); the sidecar reads its configuration without case, so one entry would overwrite the other`,
                "give each downstream API its own name",
            );
        else if (name !== "") names.set(name.toLowerCase(), `${at}.name`);
        const baseUrl = r.text(`${at}.baseUrl`, e.baseUrl) ?? "";
        if (!/^https:\/\/\S+$/.test(baseUrl))
            r.report(`${at}.baseUrl`, `must be an https URL (got ${JSON.stringify(e.baseUrl ?? null)})`, "use the API's https base URL");
        const rawScopes = e.scopes;
        const scopes = Array.isArray(rawScopes) ? rawScopes.filter((s): s is string => typeof s === "string") : [];
        if (scopes.length === 0 || !Array.isArray(rawScopes) || scopes.length !== rawScopes.length || scopes.some((s) => /\s/.test(s) || s === "")) {
            r.report(`${at}.scopes`, "must be a non-empty list of scope strings", "e.g. [api://weather/.default]");
        }
        scopes.forEach((scope, j) => {
            if (isTokenExchangeAudience(scopeAudience(scope)) || isTokenExchangeAudience(scope))
                r.report(
                    `${at}.scopes[${j}]`,
                    `asks for the token-exchange audience (${JSON.stringify(scope)})`,
                    "that audience is for federation assertions only; use the downstream API's own scope",
                );
        });
        return [{ name, baseUrl, scopes, requestAppToken: r.boolean(`${at}.requestAppToken`, e.requestAppToken, DOWNSTREAM.requestAppToken) }];
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
    r.onlyKnownFields(key, root, Object.keys(K));
    if (root.identityType !== undefined && root.identityType !== "UserAssigned") {
        r.report(
            `${key}.identityType`,
            `is ${JSON.stringify(root.identityType)}: only UserAssigned is allowed`,
            "remove the key. A system-assigned identity gets a new object id on every recreate and every trust contract pinned to it breaks (Rais, 'Entra Agent ID Across Clouds', Part 3); the app runs as the stack's UAMI",
        );
    }
    const name = r.matching(
        `${key}.name`,
        root.name,
        APP_NAME,
        "a valid container app name",
        "use 2-32 lowercase letters, digits and '-', starting with a letter",
    );

    const environment = r.fields(`${key}.environment`, root.environment, K.environment);
    const environmentId = r.text(`${key}.environment.existingId`, environment.existingId);
    if (environmentId !== undefined && !MANAGED_ENVIRONMENT_ID.test(environmentId)) {
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

    const agent = r.fields(`${key}.agent`, root.agent, K.agent);
    const port = r.integer(`${key}.agent.port`, agent.port, K.agent.fields.port);
    if (port === SIDECAR_PORT)
        r.report(
            `${key}.agent.port`,
            `is ${SIDECAR_PORT}, the sidecar's port`,
            "the agent and the sidecar share the replica's loopback; pick another port, e.g. 8080",
        );
    const cpu = r.oneOf(`${key}.agent.cpu`, agent.cpu, K.agent.fields.cpu, "use 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75 or 2");
    const memory = r.text(`${key}.agent.memory`, agent.memory) ?? CPU_TO_MEMORY[String(cpu)] ?? "";
    if (CPU_TO_MEMORY[String(cpu)] !== memory) {
        r.report(
            `${key}.agent.memory`,
            `does not match cpu ${cpu} (got ${JSON.stringify(memory)})`,
            `Container Apps pairs cpu with memory 2:1; use ${CPU_TO_MEMORY[String(cpu)] ?? "a cpu in 0.25 steps"}`,
        );
    }

    const sidecar = r.fields(`${key}.sidecar`, root.sidecar, K.sidecar);
    const refresher = r.fields(`${key}.refresher`, root.refresher, K.refresher);
    const registryServer = r.text(`${key}.registryServer`, root.registryServer);
    if (registryServer !== undefined && !REGISTRY_HOST.test(registryServer)) {
        r.report(
            `${key}.registryServer`,
            `is not a registry host name (got ${JSON.stringify(registryServer)})`,
            "e.g. myregistry.azurecr.io, without https://",
        );
    }
    const minReplicas = r.integer(`${key}.minReplicas`, root.minReplicas, K.minReplicas);
    const maxReplicas = r.integer(`${key}.maxReplicas`, root.maxReplicas, K.maxReplicas);
    if (maxReplicas < minReplicas) r.report(`${key}.maxReplicas`, "is below minReplicas", "raise maxReplicas");

    return {
        name,
        environmentId,
        logRetentionDays: r.integer(`${key}.environment.logRetentionDays`, environment.logRetentionDays, K.environment.fields.logRetentionDays),
        agent: {
            image: image(r, `${key}.agent.image`, agent.image),
            port,
            cpu,
            memory,
            externalIngress: r.boolean(`${key}.agent.externalIngress`, agent.externalIngress, K.agent.fields.externalIngress),
        },
        sidecar: {
            image: sidecarImage(r, `${key}.sidecar.image`, sidecar.image),
            downstreamApis: parseDownstreamApis(r, `${key}.sidecar.downstreamApis`, sidecar.downstreamApis),
            allowAgentIdentityOverride: r.boolean(
                `${key}.sidecar.allowAgentIdentityOverride`,
                sidecar.allowAgentIdentityOverride,
                K.sidecar.fields.allowAgentIdentityOverride,
            ),
        },
        refresher: { image: image(r, `${key}.refresher.image`, refresher.image, K.refresher.fields.image.default) },
        registryServer,
        minReplicas,
        maxReplicas,
    };
}
