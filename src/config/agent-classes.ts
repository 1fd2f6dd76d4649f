import {
    AgentIdSponsors,
    BlueprintKind,
    CLOUD_PRINCIPALS,
    CloudFederationAudience,
    cloudFederationAudienceProblem,
    CloudPrincipal,
    dns1123LabelProblem,
    ficNameProblem,
    guidProblem,
    option2TokenSubjectProblem,
    sameEntraAudience,
    scopeAudience,
    subjectProblem,
} from "../contracts";
import { agentIdentityOverrideProblem } from "../runtime/container-env";
import { CLOUDS, CloudAgentConfigs, CloudId, CloudSharedConfigs } from "../clouds";
import type { ContainerAppConfig } from "./container-app";
import { CONTAINER_APP_KEYS, parseContainerAppObject } from "./container-app";
import { guid, isJsonObject, Json, JsonObject, Reader } from "./reader";
import { list, object, ObjectSpec, reuse, text, value } from "./spec";
import {
    AGENT_IDENTITY_CREATE_KEYS,
    AgentIdentityCreateConfig,
    BLUEPRINT_CREATE_KEYS,
    BlueprintCreateConfig,
    createdId,
    describeId,
    agentIdentityCreation,
    parseAgentIdentityCreation,
    parseBlueprintIds,
    parseCreatedId,
} from "./agent-id-objects";

/**
 * The Agent Identity an agent calls its downstream APIs as (Option 1 and Option 2 alike), and which its cloud
 * contracts trust under Option 2.
 */
export interface AgentIdentityConfig {
    /** Object id of the Agent Identity (service principal): the `oid` of its tokens, what the cloud contracts pin under Option 2. */
    readonly objectId: string;
    /** Its client (app) id: the `AgentIdentity` parameter of every token request the agent and the refresher make to the sidecar. */
    readonly clientId: string;
    /**
     * Option 2: the `sub` claim of its app-only tokens, which the AWS role pins (AWS has no `oid` condition key).
     * Required when an Option 2 agent federates to AWS (`option2TokenSubjectProblem`): Microsoft's sample agent token
     * shows a `sub` that differs from `oid`, so it is read from a real token (`npm run doctor -- --token ...` prints the
     * claims), never assumed. Refused under Option 1. When not written it is the object id (in create mode its
     * stand-in, which src/stack-args.ts drops so the created object id takes its place) and nothing pins it.
     */
    readonly tokenSubject: string;
    /**
     * Option 2: the dedicated cloud-federation audience, defined on the Blueprint; never a downstream API's. Always set
     * under Option 2 (config refuses it missing), never under Option 1.
     */
    readonly cloudFederationAudience: CloudFederationAudience | undefined;
    /** Create mode: the Agent Identity the stack creates (objectId and clientId are then stand-ins); undefined in ids mode. */
    readonly create?: AgentIdentityCreateConfig;
}

/** An agent's Blueprint: named by its ids, or (create mode) created by the stack, its ids then stand-ins. */
export interface AgentBlueprintConfig {
    readonly kind: BlueprintKind;
    readonly appId: string;
    readonly objectId: string;
    /** Create mode: what the stack creates; undefined in ids mode. */
    readonly create?: BlueprintCreateConfig;
}

/**
 * One agent's settings, the same shape for the stack's primary agent (the top-level keys) and each agent class: its
 * UAMI, the Blueprint its FIC is added to, Option 1 or 2, its container app, and its principal in each cloud
 * federation under the cloud's id (`gcp`, `aws`; `CloudAgentConfigs`), undefined when it has none there. The stack
 * builds every agent from this shape with the same component.
 */
export interface AgentConfig extends CloudAgentConfigs {
    /** The agent's UAMI. */
    readonly uami: { readonly name: string };
    /** The Blueprint the agent's FIC is added to (a class's defaults to the stack's). */
    readonly blueprint: AgentBlueprintConfig;
    /** Immutable name of the FIC that trusts the agent's UAMI. Default `uami-<uami name>`. */
    readonly ficName: string;
    /** Which identity the cloud contracts trust: `uami` (Option 1, default) or `agentIdentity` (Option 2). */
    readonly cloudPrincipal: CloudPrincipal;
    /**
     * The Agent Identity the agent calls its downstream APIs as, and the clouds trust under Option 2. Required on an
     * Agent ID Blueprint when the agent has downstream APIs, and under Option 2; undefined on a classic app
     * registration, which calls as the app.
     */
    readonly agentIdentity: AgentIdentityConfig | undefined;
    /** The agent's container app; undefined when not deployed here. */
    readonly containerApp: ContainerAppConfig | undefined;
}

/**
 * One agent class (`agentfed:agentClasses[i]`, Rais, "Entra Agent ID Across Clouds", Part 3: "one UAMI per agent class"): its own UAMI, a FIC on its
 * Blueprint, and its own cloud principals, beside the stack's primary agent. Shared: the resource group, the GCP
 * pool, the AWS OIDC provider and intermediary audience, the Container Apps environment.
 */
export interface AgentClassConfig extends AgentConfig {
    /** DNS label naming the class's resources (e.g. `finance`); immutable once deployed. */
    readonly name: string;
}

/** Class names become part of Pulumi resource names and Azure names: short DNS labels. */
const CLASS_NAME_MAX = 24;
const UAMI_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;
const BLUEPRINT_KINDS: readonly BlueprintKind[] = ["agentIdentityBlueprint", "application"];

const OPTION_2 = "agent-classes.md#option-1-or-option-2-should-the-cloud-federate-the-uami-or-the-agent-identity";

/** `cloudPrincipal` (and an agent class's). */
export const CLOUD_PRINCIPAL_KEY = text({
    summary: "Which identity the agent's cloud contracts trust.",
    default: "uami",
    allowed: CLOUD_PRINCIPALS,
    rule: `uami (Option 1: the UAMI's own token) or agentIdentity (Option 2: the Agent Identity's token, minted by the sidecar for a dedicated audience); agentIdentity needs agentIdentity set, a cloud (${CLOUDS.map((c) => c.id).join(" or ")}), and on AWS audienceMode workload`,
    section: "Option 1 or Option 2",
    see: OPTION_2,
});

/** Where the docs explain the Agent Identity every agent on a Blueprint calls its APIs as. */
const AGENT_IDENTITY_DOC = "entra-federation.md#the-agent-identity-leg";

/** `agentIdentity` (and an agent class's). */
export const AGENT_IDENTITY_KEYS = object(
    {
        summary:
            "The Agent Identity the agent calls its downstream APIs as (the sidecar mints its tokens through the Blueprint), and which the cloud contracts trust under Option 2.",
        required:
            "on an agentIdentityBlueprint whenever the agent has downstream APIs (its containerApp.sidecar.downstreamApis; for the primary agent also kind.downstreamApis), and with cloudPrincipal: agentIdentity; never on a classic app registration (blueprint.kind: application), which calls as the app",
        section: "Option 1 or Option 2",
        see: AGENT_IDENTITY_DOC,
    },
    {
        objectId: value("GUID", {
            summary: "Object id of the Agent Identity (its service principal id): the oid of its tokens, and what the cloud contracts pin under Option 2.",
            required: "unless displayName is set (create mode)",
            rule: "a GUID; not the tenant id, nor a Blueprint's appId or objectId; one Agent Identity per agent",
            example: "eeeeeeee-0000-4000-8000-000000000001",
        }),
        clientId: value("GUID", {
            summary:
                "Its client (app) id: the AgentIdentity parameter of every token request to the sidecar (the agent reads it from AGENT_IDENTITY_CLIENT_ID).",
            required: "unless displayName is set (create mode)",
            rule: "a GUID; not the tenant id, nor a Blueprint's appId or objectId",
            example: "eeeeeeee-0000-4000-8000-000000000002",
        }),
        ...AGENT_IDENTITY_CREATE_KEYS,
        tokenSubject: text({
            summary: "The sub claim of its app-only tokens, which the AWS role pins (AWS has no oid condition key).",
            defaultText: "objectId",
            rule: "only with cloudPrincipal: agentIdentity; exact: no wildcard, padding or control character; read it from a real token (npm run doctor -- --token ...)",
        }),
        cloudFederationAudience: object(
            {
                summary: "The dedicated cloud-federation audience, defined on the Blueprint; never a downstream API's.",
                required: "with cloudPrincipal: agentIdentity, and only then",
                see: OPTION_2,
            },
            {
                identifierUri: text({
                    summary: "The identifier URI the sidecar requests (<uri>/.default).",
                    required: true,
                    rule: "api:// or https://, no whitespace or wildcard; never the token-exchange audience in any spelling, a downstream API's audience, or the AWS intermediary's",
                    example: "api://agentfed-weather-cloud",
                }),
                appId: value("GUID", {
                    summary: "The appId of the app exposing the identifier URI: what a v2 token carries in aud.",
                    defaultText: "the agent's Blueprint appId",
                }),
                tokenVersion: value<number>("integer", {
                    summary: "The audience app's api.requestedAccessTokenVersion.",
                    default: 2,
                    allowed: [1, 2],
                    rule: "1 or 2: which issuer and aud spelling the clouds pin",
                }),
            },
        ),
    },
);
const AI = AGENT_IDENTITY_KEYS.fields;

/** `agentClasses[].<cloud>` for each cloud federation (src/clouds). */
const CLOUD_CLASS_KEYS = Object.fromEntries(CLOUDS.map((c) => [c.id, c.config.classKeys])) as Readonly<Record<CloudId, ObjectSpec>>;

/** `agentClasses`. */
export const AGENT_CLASSES_KEYS = list(
    {
        summary:
            "Agent classes beside the primary agent (Rais, 'Entra Agent ID Across Clouds', Part 3: one UAMI per agent class): each its own UAMI, FIC and cloud principals, sharing the resource group, the GCP pool, the AWS OIDC provider and intermediary audience, and the Container Apps environment.",
        rule: "names, UAMIs, GCP providers and service accounts, AWS roles, container apps and Agent Identities unique across the primary agent and every class; at most 20 FICs per Blueprint",
        section: "Agent classes",
        see: "agent-classes.md",
        example: [{ name: "finance", uami: { name: "mi-finance-agent" } }],
    },
    object(
        { summary: "One agent class." },
        {
            name: text({
                summary: "Names the class's resources; immutable once deployed.",
                required: true,
                rule: `a DNS-1123 label of at most ${CLASS_NAME_MAX} characters`,
                example: "finance",
            }),
            uami: object(
                { summary: "The class's UAMI.", required: true },
                {
                    name: text({
                        summary: "UAMI resource name.",
                        required: true,
                        rule: "3-128 letters, digits, '-' or '_', starting with a letter or digit",
                        example: "mi-finance-agent",
                    }),
                },
            ),
            blueprint: object(
                { summary: "The Blueprint the class's FIC is added to.", defaultText: "the stack's blueprint" },
                {
                    kind: text({ summary: "Blueprint kind.", default: "agentIdentityBlueprint", allowed: BLUEPRINT_KINDS }),
                    appId: value("GUID", {
                        summary: "Its application (client) id.",
                        required: "unless displayName is set (create mode)",
                        rule: "a GUID, not its objectId nor the tenant id",
                    }),
                    objectId: value("GUID", {
                        summary: "Its application object id.",
                        required: "unless displayName is set (create mode)",
                        rule: "a GUID, not its appId nor the tenant id",
                    }),
                    ...BLUEPRINT_CREATE_KEYS,
                },
            ),
            ficName: text({
                summary: "Immutable name of the FIC that trusts the class's UAMI.",
                defaultText: "uami-<uami.name>",
                rule: "3-120 letters, digits, '-' or '_'; unique on its Blueprint",
            }),
            cloudPrincipal: reuse(CLOUD_PRINCIPAL_KEY, { section: undefined }),
            agentIdentity: reuse(AGENT_IDENTITY_KEYS, { section: undefined }),
            // Each cloud federation's class section (agentClasses[].gcp, agentClasses[].aws), in the registry's order.
            ...CLOUD_CLASS_KEYS,
            containerApp: reuse(CONTAINER_APP_KEYS, {
                summary: "The class's container app, in the stack's Container Apps environment.",
                rule: "runs in the stack's Container Apps environment (containerApp.environment.existingId, or one the stack creates when any agent needs it, the primary agent or not) unless environment.existingId names its own; environment.logRetentionDays is refused, since a class never creates an environment",
                section: undefined,
            }),
        },
    ),
);
const C = AGENT_CLASSES_KEYS.items.fields;

function objectAt(r: Reader, path: string, value: Json | undefined, fix: string): JsonObject | undefined {
    if (value === undefined) return undefined;
    if (!isJsonObject(value)) {
        r.report(path, "must be an object", fix);
        return undefined;
    }
    return value;
}

/** What the class parser needs from the rest of the stack's configuration. */
export interface AgentClassContext {
    readonly blueprint: AgentBlueprintConfig;
    /** Each cloud's shared settings, which a class's principals need. */
    readonly clouds: CloudSharedConfigs;
}

/**
 * Parses one agent's `agentIdentity` section: the ids of the Agent Identity it calls as (or, in create mode, what the
 * stack creates), and Option 2's cloud settings when written (whether they are needed is `parseCloudPrincipal`'s to
 * say). Undefined when the section is absent.
 */
function parseAgentIdentity(
    r: Reader,
    at: string,
    value: Json | undefined,
    blueprintAppId: string,
    created: AgentIdentityCreation,
): AgentIdentityConfig | undefined {
    const root = objectAt(r, at, value, `write ${r.key(at)} as { objectId, clientId }, or { displayName } to create it`);
    if (!root) return undefined;
    r.onlyKnownFields(at, root, Object.keys(AI));
    // Create mode (displayName instead of objectId and clientId): src/config/agent-id-objects.ts.
    const creation = parseAgentIdentityCreation(r, at, root);
    const create = creation && created(at, creation);
    const objectId = create ? createdId(at, "objectId") : guid(r, `${at}.objectId`, root.objectId, "Agent Identity's object id (its service principal id)");
    const clientId = create ? createdId(at, "clientId") : guid(r, `${at}.clientId`, root.clientId, "Agent Identity's client (app) id");
    const rawSubject = root.tokenSubject === undefined || root.tokenSubject === null ? objectId : root.tokenSubject;
    const tokenSubject = typeof rawSubject === "string" ? rawSubject : "";
    // A typed value in the stand-in form would be taken for the created object's id (src/stack-args.ts) or reach a
    // contract as a literal subject no token carries: refused, naming the key.
    const tokenSubjectProblem =
        subjectProblem(rawSubject) ??
        (rawSubject === root.tokenSubject && typeof rawSubject === "string" && parseCreatedId(rawSubject)
            ? `is ${JSON.stringify(rawSubject)}, the form of the stand-in this stack uses for the id of an object it creates, never a token's sub`
            : undefined);
    if (tokenSubjectProblem)
        r.report(`${at}.tokenSubject`, tokenSubjectProblem, "copy the sub claim of a token the sidecar minted for this Agent Identity, or remove the key");
    const audPath = `${at}.cloudFederationAudience`;
    const aud = objectAt(r, audPath, root.cloudFederationAudience, `write ${r.key(audPath)} as { identifierUri, appId, tokenVersion }`);
    if (!aud) return { objectId, clientId, tokenSubject, cloudFederationAudience: undefined, ...(create ? { create } : {}) };
    r.onlyKnownFields(audPath, aud, Object.keys(AI.cloudFederationAudience.fields));
    const tokenVersion =
        aud.tokenVersion === undefined || aud.tokenVersion === null ? AI.cloudFederationAudience.fields.tokenVersion.default : aud.tokenVersion;
    if (tokenVersion !== 1 && tokenVersion !== 2)
        r.report(
            `${audPath}.tokenVersion`,
            `must be 1 or 2 (got ${JSON.stringify(aud.tokenVersion)})`,
            "use the audience app's api.requestedAccessTokenVersion",
        );
    const ownAppId =
        aud.appId !== undefined
            ? guid(r, `${audPath}.appId`, aud.appId, "", "set the appId of the app exposing the identifier URI (default: the class's Blueprint)")
            : "";
    // A malformed appId is reported at its key; the Blueprint's stands in, so the audience is not reported again.
    const appId = ownAppId !== "" && guidProblem(ownAppId) === undefined ? ownAppId : blueprintAppId;
    return {
        objectId,
        clientId,
        tokenSubject,
        cloudFederationAudience: {
            identifierUri: r.text(`${audPath}.identifierUri`, aud.identifierUri) ?? "",
            appId,
            tokenVersion: tokenVersion === 1 ? 1 : 2,
        },
        ...(create ? { create } : {}),
    };
}

/** Completes an Agent Identity's create mode from its agent's Blueprint (sponsors default to a created Blueprint's). */
export type AgentIdentityCreation = (at: string, creation: { displayName: string; sponsors: AgentIdSponsors | undefined }) => AgentIdentityCreateConfig;

function parseClass(r: Reader, at: string, entry: JsonObject, ctx: AgentClassContext): AgentClassConfig {
    r.onlyKnownFields(at, entry, Object.keys(C));
    const name = r.text(`${at}.name`, entry.name) ?? "";
    const nameProblem = dns1123LabelProblem(name) ?? (name.length > CLASS_NAME_MAX ? `is longer than ${CLASS_NAME_MAX} characters` : undefined);
    if (nameProblem)
        r.report(`${at}.name`, nameProblem, `use a short lowercase label such as finance (at most ${CLASS_NAME_MAX}); it names the class's resources`);

    const uamiObj = objectAt(r, `${at}.uami`, entry.uami, `write ${r.key(`${at}.uami`)} as { name: mi-<class>-agent }`) ?? {};
    r.onlyKnownFields(`${at}.uami`, uamiObj, Object.keys(C.uami.fields));
    const uamiName = r.matching(
        `${at}.uami.name`,
        uamiObj.name,
        UAMI_NAME,
        "a valid managed identity name",
        "use 3-128 letters, digits, '-' or '_', e.g. mi-finance-agent",
    );

    let blueprint = ctx.blueprint;
    const bpObj = objectAt(r, `${at}.blueprint`, entry.blueprint, `write ${r.key(`${at}.blueprint`)} as { kind, appId, objectId }`);
    if (bpObj) {
        r.onlyKnownFields(`${at}.blueprint`, bpObj, Object.keys(C.blueprint.fields));
        const kind = (bpObj.kind ?? C.blueprint.fields.kind.default) as BlueprintKind;
        if (!BLUEPRINT_KINDS.includes(kind))
            r.report(
                `${at}.blueprint.kind`,
                `must be one of ${BLUEPRINT_KINDS.join(", ")} (got ${JSON.stringify(bpObj.kind)})`,
                "use agentIdentityBlueprint or application",
            );
        const ids = parseBlueprintIds(r, `${at}.blueprint`, bpObj, kind, {
            appIdWhat: "class Blueprint's application (client) id",
            objectIdWhat: "class Blueprint's application object id",
        });
        blueprint = { kind, ...ids };
    }
    const ficName = r.text(`${at}.ficName`, entry.ficName) ?? `uami-${uamiName}`;
    const ficProblem = ficNameProblem(ficName);
    if (ficProblem && uamiName)
        r.report(
            `${at}.ficName`,
            ficProblem,
            entry.ficName === undefined
                ? "it defaults to uami-<uami.name>; set ficName explicitly to 3-120 letters, digits, '-' or '_'"
                : "choose a name of 3-120 letters, digits, '-' or '_'",
        );

    const principals: Record<string, unknown> = {};
    for (const cloud of CLOUDS) {
        const path = `${at}.${cloud.id}`;
        const section = objectAt(r, path, entry[cloud.id], `write ${r.key(path)} as { ${Object.keys(cloud.config.classKeys.fields).join(", ")} }`);
        // Each cloud reads its own section with its own shared settings (a correlation TypeScript cannot follow by id).
        const parseClass = cloud.config.parseClass as (r: Reader, path: string, value: JsonObject, shared: unknown) => unknown;
        principals[cloud.id] = section ? parseClass(r, path, section, ctx.clouds[cloud.id]) : undefined;
    }
    const clouds = principals as unknown as CloudAgentConfigs;
    const { cloudPrincipal, agentIdentity } = parseCloudPrincipal(
        r,
        `${at}.`,
        { cloudPrincipal: entry.cloudPrincipal, agentIdentity: entry.agentIdentity },
        blueprint.appId,
        ctx.clouds,
        clouds,
        (aiAt, creation) => agentIdentityCreation(r, aiAt, creation, blueprint, bpObj ? `${at}.blueprint` : "blueprint"),
    );

    let containerApp: ContainerAppConfig | undefined;
    const appObj = objectAt(r, `${at}.containerApp`, entry.containerApp, `write ${r.key(`${at}.containerApp`)} as { name, agent: { image } }`);
    if (appObj) {
        containerApp = parseContainerAppObject(r, `${at}.containerApp`, appObj);
        reportAgentIdentityOverride(r, `${at}.containerApp`, containerApp, blueprint.kind, agentIdentity);
        const environment = appObj.environment;
        if (isJsonObject(environment) && environment.logRetentionDays !== undefined && environment.existingId === undefined)
            r.report(
                `${at}.containerApp.environment.logRetentionDays`,
                `is set, but an agent class runs in the stack's shared environment and never creates its own`,
                `drop it: the shared environment keeps its logs for ${r.key("containerApp.environment.logRetentionDays")} days (30 without that key)`,
            );
    }
    reportAgentIdentityNeed(r, `${at}.`, blueprint.kind, agentIdentity, cloudPrincipal, [
        { path: `${at}.containerApp.sidecar.downstreamApis`, apis: containerApp?.sidecar.downstreamApis ?? [] },
    ]);

    return {
        name,
        uami: { name: uamiName },
        blueprint,
        ficName,
        cloudPrincipal,
        agentIdentity,
        ...clouds,
        containerApp,
    };
}

/**
 * Parses an agent's choice between Option 1 and Option 2 (`<prefix>cloudPrincipal`, `<prefix>agentIdentity`): the
 * stack's primary agent (prefix "") or a class (`agentClasses[i].`). `principals` says which clouds the agent
 * federates to, since Option 2 only means something for a cloud, and each cloud may refuse it for its shared settings
 * (`clouds`; AWS needs mode workload).
 */
export function parseCloudPrincipal(
    r: Reader,
    prefix: string,
    raw: { cloudPrincipal: Json | undefined; agentIdentity: Json | undefined },
    blueprintAppId: string,
    clouds: CloudSharedConfigs,
    principals: CloudAgentConfigs,
    created: AgentIdentityCreation,
): { cloudPrincipal: CloudPrincipal; agentIdentity: AgentIdentityConfig | undefined } {
    const federated = CLOUDS.filter((cloud) => principals[cloud.id] !== undefined);
    const cloudPrincipal = (raw.cloudPrincipal ?? CLOUD_PRINCIPAL_KEY.default) as CloudPrincipal;
    if (!CLOUD_PRINCIPALS.includes(cloudPrincipal))
        r.report(
            `${prefix}cloudPrincipal`,
            `must be one of ${CLOUD_PRINCIPALS.join(", ")} (got ${JSON.stringify(raw.cloudPrincipal)})`,
            "uami (Option 1, the default) or agentIdentity (Option 2); see docs/agent-classes.md, Option 1 or Option 2",
        );
    const agentIdentity = parseAgentIdentity(r, `${prefix}agentIdentity`, raw.agentIdentity, blueprintAppId, created);
    if (cloudPrincipal === "agentIdentity") {
        if (raw.agentIdentity === undefined)
            r.report(
                `${prefix}agentIdentity`,
                "is not set, but cloudPrincipal is agentIdentity",
                "set { objectId, clientId, cloudFederationAudience } of the agent's Agent Identity, or { displayName, cloudFederationAudience } to have the stack create it",
            );
        else if (agentIdentity && agentIdentity.cloudFederationAudience === undefined)
            r.report(
                `${prefix}agentIdentity.cloudFederationAudience`,
                "is not set, but cloudPrincipal is agentIdentity",
                "set it to the dedicated audience defined on the Blueprint, e.g. { identifierUri: api://agentfed-<agent>-cloud }",
            );
        if (federated.length === 0)
            r.report(
                `${prefix}cloudPrincipal`,
                `is agentIdentity, but the agent federates to no cloud (${CLOUDS.map((c) => `no ${c.id}`).join(", ")})`,
                `add ${CLOUDS.map((c) => c.id).join(" or ")}, or remove cloudPrincipal`,
            );
        for (const cloud of federated) {
            const shared = clouds[cloud.id];
            const option2Problem = cloud.config.option2Problem as (r: Reader, shared: unknown) => { problem: string; fix: string } | undefined;
            const problem = shared === undefined ? undefined : option2Problem(r, shared);
            if (problem) r.report(`${prefix}cloudPrincipal`, problem.problem, problem.fix);
        }
        // Whether the key is written at all: a wrongly typed value is reported by parseAgentIdentity.
        const tokenSubjectSet = isJsonObject(raw.agentIdentity) && raw.agentIdentity.tokenSubject !== undefined;
        const tokenSubjectProblem = agentIdentity
            ? option2TokenSubjectProblem(
                  true,
                  federated.some((cloud) => cloud.config.pinsTokenSubject),
                  tokenSubjectSet ? agentIdentity.tokenSubject : undefined,
              )
            : undefined;
        if (tokenSubjectProblem)
            r.report(
                `${prefix}agentIdentity.tokenSubject`,
                tokenSubjectProblem,
                "read it from a token the sidecar minted for this Agent Identity: `npm run doctor -- --stack <stack> --token <jwt>` prints its iss, sub and aud " +
                    "(docs/agent-classes.md, live smoke test); set tokenSubject to that sub",
            );
    } else if (isJsonObject(raw.agentIdentity)) {
        // Option 1: the agent calls its APIs as the Agent Identity, but the clouds trust its UAMI.
        for (const key of ["cloudFederationAudience", "tokenSubject"] as const)
            if (raw.agentIdentity[key] !== undefined)
                r.report(
                    `${prefix}agentIdentity.${key}`,
                    "is set, but cloudPrincipal is uami (Option 1): only Option 2 federates the Agent Identity to the clouds, so nothing would use it",
                    `set ${r.key(`${prefix}cloudPrincipal`)}: agentIdentity, or remove ${key} (keep objectId and clientId: the agent calls its APIs as that Agent Identity)`,
                );
    }
    return { cloudPrincipal, agentIdentity };
}

/** A list of downstream APIs an agent's sidecar calls, and where it is configured. */
export interface AgentApiUse {
    readonly path: string;
    readonly apis: readonly { readonly name: string }[];
}

/**
 * Whether the agent must, may or may not declare an Agent Identity. On an Entra Agent ID Blueprint the sidecar gets API
 * tokens only as an Agent Identity: a Blueprint "can perform exactly one operation in the tenant: provision or
 * deprovision agent identities" (Learn, "Agent identity blueprints"), and the API token is issued to the Agent
 * Identity (Learn, "Agent autonomous app OAuth flow": T1 with fmi_path=<agent identity>, then client_id=<agent
 * identity>). So an agent with downstream APIs there names its Agent Identity; a classic app registration has none and
 * calls as the app; an Agent Identity nothing calls as yet (no API, Option 1) is only warned about.
 */
export function reportAgentIdentityNeed(
    r: Reader,
    prefix: string,
    blueprintKind: BlueprintKind,
    agentIdentity: AgentIdentityConfig | undefined,
    cloudPrincipal: CloudPrincipal,
    uses: readonly AgentApiUse[],
): void {
    const calling = uses.filter((u) => u.apis.length > 0);
    const where = calling.map((u) => `${r.key(u.path)} (${u.apis.map((a) => a.name).join(", ")})`).join(" and ");
    // An Agent Identity's object id and app id "always have the same value" (Learn, Agent identities); two different
    // ids are most likely one copied from another object. A warning, not an error: only the sidecar uses clientId.
    if (agentIdentity && !agentIdentity.create && agentIdentity.objectId.toLowerCase() !== agentIdentity.clientId.toLowerCase())
        r.warnings.push(
            `${r.key(`${prefix}agentIdentity`)}: objectId ${agentIdentity.objectId} and clientId ${agentIdentity.clientId} differ, but an Agent Identity's ` +
                "object id and app id always have the same value (Learn, Agent identities): check that neither was copied from another object " +
                "(the Blueprint, its principal, another Agent Identity).",
        );
    if (blueprintKind === "application") {
        if (agentIdentity)
            r.report(
                `${prefix}agentIdentity`,
                "is set, but the agent's blueprint.kind is application: a classic app registration has no Agent Identity, and the agent calls its APIs as the app",
                "remove agentIdentity, or point blueprint at an Entra Agent ID Blueprint (kind: agentIdentityBlueprint) and its Agent Identity",
            );
        return;
    }
    if (agentIdentity === undefined && calling.length > 0)
        r.report(
            `${prefix}agentIdentity`,
            `is not set, but the agent calls ${where} through the sidecar on an Agent ID Blueprint, which gets no API token of its own: the sidecar would ask for it as the Blueprint and fail`,
            `set ${r.key(`${prefix}agentIdentity`)} to { objectId, clientId } of the Agent Identity the agent calls as (its service principal's id and appId under the Blueprint), or to { displayName } to have the stack create it; and grant it the API's app role (docs/entra-federation.md, the Agent Identity leg)`,
        );
    else if (agentIdentity !== undefined && calling.length === 0 && cloudPrincipal !== "agentIdentity")
        r.warnings.push(
            `${r.key(`${prefix}agentIdentity`)} is set, but the agent calls no downstream API through the sidecar and cloudPrincipal is uami: ` +
                `nothing calls as that Agent Identity yet (add the APIs under ${uses.map((u) => r.key(u.path)).join(" or ")}).`,
        );
}

/**
 * Refuses `<at>.sidecar.allowAgentIdentityOverride: true` on an agent that calls as no Agent Identity (the rule is the
 * pure `agentIdentityOverrideProblem`); the stack turns the override on by itself for every agent that does.
 */
export function reportAgentIdentityOverride(
    r: Reader,
    at: string,
    containerApp: ContainerAppConfig | undefined,
    blueprintKind: BlueprintKind,
    agentIdentity: AgentIdentityConfig | undefined,
): void {
    const callsAsAgentIdentity = blueprintKind === "agentIdentityBlueprint" && agentIdentity !== undefined;
    const problem = containerApp && agentIdentityOverrideProblem(containerApp.sidecar.allowAgentIdentityOverride, callsAsAgentIdentity);
    if (problem)
        r.report(
            `${at}.sidecar.allowAgentIdentityOverride`,
            problem,
            "remove the key; the stack turns the override on by itself for every agent with an Agent Identity (docs/container-app.md, the override flag)",
        );
}

/** Reports every value two owners may not share (names Azure, GCP, AWS or Entra require to be unique). */
function reportDuplicates(r: Reader, entries: readonly { path: string; value: string; what: string }[]): void {
    const seen = new Map<string, string>();
    for (const { path, value, what } of entries) {
        if (value === "") continue;
        const key = `${what}\u0000${value.toLowerCase()}`;
        const first = seen.get(key);
        if (first !== undefined)
            r.report(path, `repeats ${what} ${JSON.stringify(value)} (already used by ${r.key(first)})`, `give each agent class its own ${what}`);
        else seen.set(key, path);
    }
}

/**
 * Parses `agentfed:agentClasses`: a list of agent classes beside the primary agent. Each class adds resources and
 * changes none: names derive from the class name, and shared resources (pool, OIDC provider, intermediary
 * audience, environment) take no per-class input.
 */
export function parseAgentClasses(r: Reader, ctx: AgentClassContext, primary: AgentConfig): AgentClassConfig[] {
    const key = "agentClasses";
    const entries = r.list(key, `write ${r.key(key)} as a YAML list of { name, uami, ... }`) ?? [];
    const classes = entries.flatMap((entry, i): AgentClassConfig[] => {
        const at = `${key}[${i}]`;
        if (!isJsonObject(entry)) {
            r.report(at, "must be an object", `write ${r.key(at)} as { name, uami: { name } }`);
            return [];
        }
        return [parseClass(r, at, entry, ctx)];
    });

    const agents: Agent[] = [
        {
            prefix: "",
            label: "the primary agent",
            blueprintObjectId: primary.blueprint.objectId,
            uamiName: primary.uami.name,
            principals: primary,
            containerApp: primary.containerApp,
            agentIdentity: primary.agentIdentity,
            option2: primary.cloudPrincipal === "agentIdentity",
        },
        ...classes.map((c, i) => ({
            prefix: `${key}[${i}].`,
            label: `agent class ${c.name}`,
            blueprintObjectId: c.blueprint.objectId,
            uamiName: c.uami.name,
            principals: c,
            containerApp: c.containerApp,
            agentIdentity: c.agentIdentity,
            option2: c.cloudPrincipal === "agentIdentity",
        })),
    ];
    // Names that must be unique across the primary agent and every class.
    reportDuplicates(r, [
        ...classes.map((c, i) => ({ path: `${key}[${i}].name`, value: c.name, what: "class name" })),
        ...agents.flatMap(({ prefix, uamiName, principals, containerApp, agentIdentity }) => [
            { path: `${prefix}uami.name`, value: uamiName, what: "UAMI name" },
            // Each cloud's names two agents may not share (a GCP provider id, an AWS role name).
            ...CLOUDS.flatMap((cloud) => {
                const principal = principals[cloud.id];
                const uniqueValues = cloud.config.uniqueValues as (agent: unknown) => readonly { field: string; value: string; what: string }[];
                return principal === undefined
                    ? []
                    : uniqueValues(principal).map((u) => ({ path: `${prefix}${cloud.id}.${u.field}`, value: u.value, what: u.what }));
            }),
            { path: `${prefix}containerApp.name`, value: containerApp?.name ?? "", what: "container app name" },
            // What the clouds pin under Option 2: object ids (GCP, app role) and token subjects (AWS) are one
            // namespace, so no agent's tokenSubject can name another agent's Agent Identity.
            ...(agentIdentity
                ? [
                      { path: `${prefix}agentIdentity.objectId`, value: agentIdentity.objectId, what: "Agent Identity subject" },
                      ...(agentIdentity.tokenSubject !== agentIdentity.objectId
                          ? [{ path: `${prefix}agentIdentity.tokenSubject`, value: agentIdentity.tokenSubject, what: "Agent Identity subject" }]
                          : []),
                      { path: `${prefix}agentIdentity.clientId`, value: agentIdentity.clientId, what: "Agent Identity client id" },
                  ]
                : []),
        ]),
    ]);
    reportSharedOption2Blueprints(r, agents);
    reportSharedBlueprintIdentities(r, agents);
    reportAudienceTraps(r, ctx, agents);
    return classes;
}

/** One agent of the stack (the primary one or a class), as the cross-agent checks see it. */
interface Agent {
    /** Where its settings live: "" for the primary agent, `agentClasses[i].` for a class. */
    readonly prefix: string;
    readonly label: string;
    readonly blueprintObjectId: string;
    readonly uamiName: string;
    /** Its principal in each cloud, by cloud id. */
    readonly principals: CloudAgentConfigs;
    readonly containerApp: ContainerAppConfig | undefined;
    readonly agentIdentity: AgentIdentityConfig | undefined;
    /** Whether its cloud contracts trust its Agent Identity (Option 2). */
    readonly option2: boolean;
}

/**
 * Under Option 2 the Blueprint is what keeps agents apart: any workload the Blueprint trusts (another agent's UAMI
 * through its FIC) can have the sidecar mint any of the Blueprint's Agent Identities, for any scope, and so obtain
 * that Agent Identity's cloud credentials. An Option 2 agent therefore needs a Blueprint no other agent shares.
 */
function reportSharedOption2Blueprints(r: Reader, agents: readonly Agent[]): void {
    for (const agent of agents) {
        if (!agent.option2) continue;
        const others = agents.filter((o) => o !== agent && o.blueprintObjectId === agent.blueprintObjectId).map((o) => o.label);
        if (others.length > 0)
            r.report(
                `${agent.prefix}blueprint`,
                `is shared with ${others.join(", ")}: under Option 2 every agent the Blueprint trusts can have this agent's Agent Identity token minted, and with it its cloud credentials`,
                "give each Option 2 agent a Blueprint of its own (agentClasses[i].blueprint), or use Option 1 (cloudPrincipal: uami)",
            );
    }
}

/**
 * Agents with different Agent Identities on one Blueprint: any replica the Blueprint trusts (through its FIC) can have
 * the sidecar mint a token for any of the Blueprint's Agent Identities, by naming it in `?AgentIdentity=`. That is
 * Entra's model (an Agent Identity's tokens are issued to its parent Blueprint's credential), not a sidecar setting,
 * so it is a warning: the Blueprint is the boundary between agents, not the Agent Identity.
 */
function reportSharedBlueprintIdentities(r: Reader, agents: readonly Agent[]): void {
    const byBlueprint = new Map<string, Agent[]>();
    for (const agent of agents) {
        if (!agent.agentIdentity) continue;
        byBlueprint.set(agent.blueprintObjectId, [...(byBlueprint.get(agent.blueprintObjectId) ?? []), agent]);
    }
    for (const [blueprintObjectId, sharing] of byBlueprint) {
        const identities = new Set(sharing.map((a) => a.agentIdentity!.clientId.toLowerCase()));
        if (identities.size < 2) continue;
        r.warnings.push(
            `${sharing.map((a) => a.label).join(", ")} share Blueprint ${describeId(blueprintObjectId)} with different Agent Identities: any replica the Blueprint trusts ` +
                "can have the sidecar mint a token as any of them (Entra's model: an Agent Identity's tokens go to its Blueprint's credential). " +
                "Give an agent a Blueprint of its own (agentClasses[i].blueprint) where that matters (docs/agent-classes.md).",
        );
    }
}

/**
 * Option 2's audience trap (Rais, "Entra Agent ID Across Clouds", Part 3): a cloud-federation audience is never a downstream API's audience, anywhere
 * in the stack, nor an audience the stack owns for a cloud (the AWS intermediary's); and that audience is never a
 * downstream API's when Option 2 agents request it.
 */
function reportAudienceTraps(r: Reader, ctx: AgentClassContext, agents: readonly Agent[]): void {
    const downstream = agents.flatMap(({ containerApp }) => (containerApp?.sidecar.downstreamApis ?? []).flatMap((api) => api.scopes.map(scopeAudience)));
    const owned = CLOUDS.flatMap((cloud) => {
        const shared = ctx.clouds[cloud.id];
        const option2Audience = cloud.config.option2Audience as (shared: unknown) => { key: string; uri: string; label: string; fix: string } | undefined;
        const audience = shared === undefined ? undefined : option2Audience(shared);
        return audience ? [{ ...audience, id: cloud.id }] : [];
    });
    for (const audience of owned) {
        const clash = downstream.find((d) => sameEntraAudience(d, audience.uri));
        if (clash !== undefined && agents.some((a) => a.option2 && a.principals[audience.id] !== undefined))
            r.report(
                audience.key,
                `equals the audience of a downstream API the sidecar calls (${clash}, which Entra resolves to ${audience.uri}); Option 2 agents request it as their ${audience.label} audience`,
                audience.fix,
            );
    }
    for (const { prefix, agentIdentity, option2 } of agents) {
        if (!option2 || agentIdentity?.cloudFederationAudience === undefined) continue;
        // A created Blueprint's appId is not known yet (a stand-in): nothing typed in config can equal it, so a neutral GUID stands in for the check.
        const audience = agentIdentity.cloudFederationAudience;
        const checked = parseCreatedId(audience.appId) ? { ...audience, appId: "00000000-0000-0000-0000-000000000000" } : audience;
        const problem = cloudFederationAudienceProblem(checked, [...downstream, ...owned.map((a) => a.uri)]);
        if (problem)
            r.report(
                `${prefix}agentIdentity.cloudFederationAudience`,
                problem,
                "define a dedicated scope on the Blueprint used only to feed the cloud's STS, e.g. api://agentfed-<agent>-cloud (Rais, 'Entra Agent ID Across Clouds', Part 3, the audience trap)",
            );
    }
}
