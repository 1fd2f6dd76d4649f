import {
    AWS_AUDIENCE_MODE_TABLE,
    BlueprintKind,
    AwsAudienceMode,
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
import type { AwsAgentConfig, AwsSharedConfig } from "./aws";
import { MODEL_ARNS_KEY, parseModelArns, parseRoleName, ROLE_NAME_RULE } from "./aws";
import type { ContainerAppConfig } from "./container-app";
import { CONTAINER_APP_KEYS, parseContainerAppObject } from "./container-app";
import type { GcpAgentConfig, GcpSharedConfig } from "./gcp";
import { MODEL_ROLES_KEY, parseModelRoles, parseServiceAccountId, poolOrProviderIdProblem, PROVIDER_ID_RULE, SERVICE_ACCOUNT_ID_RULE } from "./gcp";
import { guid, isJsonObject, Json, JsonObject, Reader } from "./reader";
import { list, object, reuse, text, value } from "./spec";

/** The Agent Identity an agent class federates to the clouds under Option 2. */
export interface AgentIdentityConfig {
    /** Object id of the Agent Identity (service principal): what the cloud contracts pin. */
    readonly objectId: string;
    /** Its client (app) id: the `AgentIdentity` parameter the token refresher passes to the sidecar. */
    readonly clientId: string;
    /**
     * The `sub` claim of its app-only tokens, which the AWS role pins (AWS has no `oid` condition key). Required when
     * the agent federates to AWS (`option2TokenSubjectProblem`): Microsoft's sample agent token shows a `sub` that
     * differs from `oid`, so it is read from a real token (`npm run doctor -- --token ...` prints the claims), never
     * assumed. Without AWS it defaults to the object id and nothing pins it.
     */
    readonly tokenSubject: string;
    /** The dedicated cloud-federation audience (GCP), defined on the Blueprint; never a downstream API's. */
    readonly cloudFederationAudience: CloudFederationAudience;
}

/**
 * One agent's settings, the same shape for the stack's primary agent (the top-level keys) and each agent class: its
 * UAMI, the Blueprint its FIC is added to, Option 1 or 2, its cloud principals and its container app. The stack
 * builds every agent from this shape with the same component.
 */
export interface AgentConfig {
    /** The agent's UAMI. */
    readonly uami: { readonly name: string };
    /** The Blueprint the agent's FIC is added to (a class's defaults to the stack's). */
    readonly blueprint: { readonly kind: BlueprintKind; readonly appId: string; readonly objectId: string };
    /** Immutable name of the FIC that trusts the agent's UAMI. Default `uami-<uami name>`. */
    readonly ficName: string;
    /** Which identity the cloud contracts trust: `uami` (Option 1, default) or `agentIdentity` (Option 2). */
    readonly cloudPrincipal: CloudPrincipal;
    /** Required for Option 2; undefined otherwise. */
    readonly agentIdentity: AgentIdentityConfig | undefined;
    /** The agent's GCP provider (in the shared pool) and service account; undefined: no GCP principal. */
    readonly gcp: GcpAgentConfig | undefined;
    /** The agent's AWS role (trusted through the shared OIDC provider); undefined: no AWS role. */
    readonly aws: AwsAgentConfig | undefined;
    /** The agent's container app; undefined when not deployed here. */
    readonly containerApp: ContainerAppConfig | undefined;
}

/**
 * One agent class (`agentfed:agentClasses[i]`, seed 001's "one UAMI per agent class"): its own UAMI, a FIC on its
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

const OPTION_2 = "agent-classes.md#option-1-or-option-2-seed-001-should-the-cloud-federate-the-uami-or-the-agent-identity";

/** `cloudPrincipal` (and an agent class's). */
export const CLOUD_PRINCIPAL_KEY = text({
    summary: "Which identity the agent's cloud contracts trust.",
    default: "uami",
    allowed: CLOUD_PRINCIPALS,
    rule: "uami (Option 1: the UAMI's own token) or agentIdentity (Option 2: the Agent Identity's token, minted by the sidecar for a dedicated audience); agentIdentity needs agentIdentity set, a cloud (gcp or aws), and on AWS audienceMode workload",
    section: "Option 1 or Option 2",
    see: OPTION_2,
});

/** `agentIdentity` (and an agent class's). */
export const AGENT_IDENTITY_KEYS = object(
    {
        summary: "The agent's Agent Identity, which the cloud contracts trust under Option 2.",
        required: "with cloudPrincipal: agentIdentity, and only then",
        section: "Option 1 or Option 2",
        see: OPTION_2,
    },
    {
        objectId: value("GUID", {
            summary: "Object id of the Agent Identity (its service principal id): what the cloud contracts pin.",
            required: true,
            rule: "a GUID; not the tenant id, nor a Blueprint's appId or objectId; one Agent Identity per agent",
            example: "eeeeeeee-0000-4000-8000-000000000001",
        }),
        clientId: value("GUID", {
            summary: "Its client (app) id: the AgentIdentity parameter the refresher passes to the sidecar.",
            required: true,
            rule: "a GUID; not the tenant id, nor a Blueprint's appId or objectId",
            example: "eeeeeeee-0000-4000-8000-000000000002",
        }),
        tokenSubject: text({
            summary: "The sub claim of its app-only tokens, which the AWS role pins (AWS has no oid condition key).",
            defaultText: "objectId",
            rule: "exact: no wildcard, padding or control character; read it from a real token (npm run doctor -- --token ...)",
        }),
        cloudFederationAudience: object(
            { summary: "The dedicated cloud-federation audience, defined on the Blueprint; never a downstream API's.", required: true },
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

/** `agentClasses`. */
export const AGENT_CLASSES_KEYS = list(
    {
        summary:
            "Agent classes beside the primary agent (seed 001: one UAMI per agent class): each its own UAMI, FIC and cloud principals, sharing the resource group, the GCP pool, the AWS OIDC provider and intermediary audience, and the Container Apps environment.",
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
                    appId: value("GUID", { summary: "Its application (client) id.", required: true, rule: "a GUID, not its objectId nor the tenant id" }),
                    objectId: value("GUID", { summary: "Its application object id.", required: true, rule: "a GUID, not its appId nor the tenant id" }),
                },
            ),
            ficName: text({
                summary: "Immutable name of the FIC that trusts the class's UAMI.",
                defaultText: "uami-<uami.name>",
                rule: "3-120 letters, digits, '-' or '_'; unique on its Blueprint",
            }),
            cloudPrincipal: reuse(CLOUD_PRINCIPAL_KEY, { section: undefined }),
            agentIdentity: reuse(AGENT_IDENTITY_KEYS, { section: undefined }),
            gcp: object(
                { summary: "The class's GCP provider (in the stack's pool) and service account.", rule: "needs the stack's gcp" },
                {
                    providerId: text({ summary: "Workload identity pool provider id.", required: true, rule: PROVIDER_ID_RULE, example: "agent-finance" }),
                    serviceAccountId: text({
                        summary: "Account id of the class's service account.",
                        required: true,
                        rule: SERVICE_ACCOUNT_ID_RULE,
                        example: "agent-finance-llm",
                    }),
                    modelRoles: MODEL_ROLES_KEY,
                },
            ),
            aws: object(
                {
                    summary: "The class's AWS role, trusted through the stack's OIDC provider.",
                    rule: "needs the stack's aws, in mode workload or tenant (exchange would give every class the same sub)",
                },
                {
                    roleName: text({ summary: "IAM role name.", required: true, rule: ROLE_NAME_RULE, example: "agentfed-finance-bedrock" }),
                    modelArns: MODEL_ARNS_KEY,
                },
            ),
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
    readonly blueprint: { readonly kind: BlueprintKind; readonly appId: string; readonly objectId: string };
    /** The stack's shared GCP and AWS settings, which a class's principals need. */
    readonly gcp: GcpSharedConfig | undefined;
    readonly aws: AwsSharedConfig | undefined;
}

function parseAgentIdentity(r: Reader, at: string, value: Json | undefined, blueprintAppId: string): AgentIdentityConfig | undefined {
    const root = objectAt(r, at, value, `write ${r.key(at)} as { objectId, clientId, cloudFederationAudience }`);
    if (!root) return undefined;
    r.onlyKnownFields(at, root, Object.keys(AI));
    const objectId = guid(r, `${at}.objectId`, root.objectId, "Agent Identity's object id (its service principal id)");
    const clientId = guid(r, `${at}.clientId`, root.clientId, "Agent Identity's client (app) id");
    const rawSubject = root.tokenSubject === undefined || root.tokenSubject === null ? objectId : root.tokenSubject;
    const tokenSubject = typeof rawSubject === "string" ? rawSubject : "";
    const tokenSubjectProblem = subjectProblem(rawSubject);
    if (tokenSubjectProblem)
        r.report(`${at}.tokenSubject`, tokenSubjectProblem, "copy the sub claim of a token the sidecar minted for this Agent Identity, or remove the key");
    const audPath = `${at}.cloudFederationAudience`;
    const aud = objectAt(r, audPath, root.cloudFederationAudience, `write ${r.key(audPath)} as { identifierUri, appId, tokenVersion }`);
    if (!aud) {
        r.report(audPath, "is not set", `set it to the dedicated audience defined on the Blueprint, e.g. { identifierUri: api://agentfed-<class>-cloud }`);
        return undefined;
    }
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
    };
}

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
        blueprint = {
            kind,
            appId: guid(r, `${at}.blueprint.appId`, bpObj.appId, "class Blueprint's application (client) id"),
            objectId: guid(r, `${at}.blueprint.objectId`, bpObj.objectId, "class Blueprint's application object id"),
        };
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

    let gcp: AgentClassConfig["gcp"];
    const gcpObj = objectAt(r, `${at}.gcp`, entry.gcp, `write ${r.key(`${at}.gcp`)} as { providerId, serviceAccountId }`);
    if (gcpObj) {
        r.onlyKnownFields(`${at}.gcp`, gcpObj, Object.keys(C.gcp.fields));
        if (!ctx.gcp)
            r.report(`${at}.gcp`, `needs ${r.key("gcp")}: classes share its project and pool`, `configure ${r.key("gcp")}, or remove ${r.key(`${at}.gcp`)}`);
        const providerId = r.text(`${at}.gcp.providerId`, gcpObj.providerId) ?? "";
        const providerProblem = poolOrProviderIdProblem(providerId);
        if (providerProblem) r.report(`${at}.gcp.providerId`, providerProblem, "choose an id such as agent-finance; a deleted id stays reserved for 30 days");
        gcp = {
            providerId,
            serviceAccountId: parseServiceAccountId(r, `${at}.gcp.serviceAccountId`, gcpObj.serviceAccountId),
            modelRoles: parseModelRoles(r, `${at}.gcp.modelRoles`, gcpObj.modelRoles),
        };
    }

    let aws: AgentClassConfig["aws"];
    const awsObj = objectAt(r, `${at}.aws`, entry.aws, `write ${r.key(`${at}.aws`)} as { roleName, modelArns }`);
    if (awsObj) {
        r.onlyKnownFields(`${at}.aws`, awsObj, Object.keys(C.aws.fields));
        if (!ctx.aws)
            r.report(
                `${at}.aws`,
                `needs ${r.key("aws")}: classes share its account, OIDC provider and audience`,
                `configure ${r.key("aws")}, or remove ${r.key(`${at}.aws`)}`,
            );
        else if (!AWS_AUDIENCE_MODE_TABLE[ctx.aws.audienceMode].subjectPerAgent)
            r.report(
                `${at}.aws`,
                `cannot be used with aws.audienceMode ${ctx.aws.audienceMode}: the token AWS sees is the intermediary app's own, so every class would present the same sub`,
                `use ${r.key("aws.audienceMode")}: workload (the default)`,
            );
        aws = { roleName: parseRoleName(r, `${at}.aws.roleName`, awsObj.roleName), modelArns: parseModelArns(r, `${at}.aws.modelArns`, awsObj.modelArns) };
    }
    const { cloudPrincipal, agentIdentity } = parseCloudPrincipal(
        r,
        `${at}.`,
        { cloudPrincipal: entry.cloudPrincipal, agentIdentity: entry.agentIdentity },
        blueprint.appId,
        { gcp: gcp !== undefined, aws: aws !== undefined ? ctx.aws?.audienceMode : undefined },
    );

    let containerApp: ContainerAppConfig | undefined;
    const appObj = objectAt(r, `${at}.containerApp`, entry.containerApp, `write ${r.key(`${at}.containerApp`)} as { name, agent: { image } }`);
    if (appObj) {
        containerApp = parseContainerAppObject(r, `${at}.containerApp`, appObj);
        reportAgentIdentityOverride(r, `${at}.containerApp`, containerApp, cloudPrincipal);
        const environment = appObj.environment;
        if (isJsonObject(environment) && environment.logRetentionDays !== undefined && environment.existingId === undefined)
            r.report(
                `${at}.containerApp.environment.logRetentionDays`,
                `is set, but an agent class runs in the stack's shared environment and never creates its own`,
                `drop it: the shared environment keeps its logs for ${r.key("containerApp.environment.logRetentionDays")} days (30 without that key)`,
            );
    }

    return {
        name,
        uami: { name: uamiName },
        blueprint,
        ficName,
        cloudPrincipal,
        agentIdentity,
        gcp,
        aws,
        containerApp,
    };
}

/**
 * Parses an agent's choice between Option 1 and Option 2 (`<prefix>cloudPrincipal`, `<prefix>agentIdentity`): the
 * stack's primary agent (prefix "") or a class (`agentClasses[i].`). `federates` says which clouds the agent uses
 * (with the AWS audience mode), since Option 2 only means something for a cloud, and on AWS needs mode workload.
 */
export function parseCloudPrincipal(
    r: Reader,
    prefix: string,
    raw: { cloudPrincipal: Json | undefined; agentIdentity: Json | undefined },
    blueprintAppId: string,
    federates: { gcp: boolean; aws: AwsAudienceMode | undefined },
): { cloudPrincipal: CloudPrincipal; agentIdentity: AgentIdentityConfig | undefined } {
    const cloudPrincipal = (raw.cloudPrincipal ?? CLOUD_PRINCIPAL_KEY.default) as CloudPrincipal;
    if (!CLOUD_PRINCIPALS.includes(cloudPrincipal))
        r.report(
            `${prefix}cloudPrincipal`,
            `must be one of ${CLOUD_PRINCIPALS.join(", ")} (got ${JSON.stringify(raw.cloudPrincipal)})`,
            "uami (Option 1, the default) or agentIdentity (Option 2); see docs/agent-classes.md, Option 1 or Option 2",
        );
    const agentIdentity = parseAgentIdentity(r, `${prefix}agentIdentity`, raw.agentIdentity, blueprintAppId);
    if (cloudPrincipal === "agentIdentity") {
        if (raw.agentIdentity === undefined)
            r.report(
                `${prefix}agentIdentity`,
                "is not set, but cloudPrincipal is agentIdentity",
                "set { objectId, clientId, cloudFederationAudience } of the agent's Agent Identity",
            );
        if (!federates.gcp && federates.aws === undefined)
            r.report(
                `${prefix}cloudPrincipal`,
                "is agentIdentity, but the agent federates to no cloud (no gcp, no aws)",
                "add gcp or aws, or remove cloudPrincipal",
            );
        if (federates.aws !== undefined && !AWS_AUDIENCE_MODE_TABLE[federates.aws].option2)
            r.report(
                `${prefix}cloudPrincipal`,
                `is agentIdentity, which on AWS needs the intermediary audience, but aws.audienceMode is ${federates.aws}`,
                `use ${r.key("aws.audienceMode")}: workload, whose intermediary app is the Agent Identity's AWS audience`,
            );
        // Whether the key is written at all: a wrongly typed value is reported by parseAgentIdentity.
        const tokenSubjectSet = isJsonObject(raw.agentIdentity) && raw.agentIdentity.tokenSubject !== undefined;
        const tokenSubjectProblem = agentIdentity
            ? option2TokenSubjectProblem(true, federates.aws !== undefined, tokenSubjectSet ? agentIdentity.tokenSubject : undefined)
            : undefined;
        if (tokenSubjectProblem)
            r.report(
                `${prefix}agentIdentity.tokenSubject`,
                tokenSubjectProblem,
                "read it from a token the sidecar minted for this Agent Identity: `npm run doctor -- --stack <stack> --token <jwt>` prints its iss, sub and aud " +
                    "(docs/agent-classes.md, live smoke test); set tokenSubject to that sub",
            );
    } else if (raw.agentIdentity !== undefined) {
        r.report(
            `${prefix}agentIdentity`,
            "is set, but cloudPrincipal is uami (Option 1), so nothing would use it",
            `set ${r.key(`${prefix}cloudPrincipal`)}: agentIdentity, or remove agentIdentity`,
        );
    }
    return { cloudPrincipal, agentIdentity: cloudPrincipal === "agentIdentity" ? agentIdentity : undefined };
}

/**
 * Refuses `<at>.sidecar.allowAgentIdentityOverride: true` on an agent that does not use Option 2 (the rule is the
 * pure `agentIdentityOverrideProblem`); Option 2 turns the override on by itself.
 */
export function reportAgentIdentityOverride(r: Reader, at: string, containerApp: ContainerAppConfig | undefined, cloudPrincipal: CloudPrincipal): void {
    const problem = containerApp && agentIdentityOverrideProblem(containerApp.sidecar.allowAgentIdentityOverride, cloudPrincipal === "agentIdentity");
    if (problem)
        r.report(
            `${at}.sidecar.allowAgentIdentityOverride`,
            problem,
            "remove the key; Option 2 (cloudPrincipal: agentIdentity) turns the override on by itself (docs/agent-classes.md, what the override opens)",
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
            gcp: primary.gcp,
            aws: primary.aws,
            containerApp: primary.containerApp,
            agentIdentity: primary.agentIdentity,
        },
        ...classes.map((c, i) => ({
            prefix: `${key}[${i}].`,
            label: `agent class ${c.name}`,
            blueprintObjectId: c.blueprint.objectId,
            uamiName: c.uami.name,
            gcp: c.gcp,
            aws: c.aws,
            containerApp: c.containerApp,
            agentIdentity: c.agentIdentity,
        })),
    ];
    // Names that must be unique across the primary agent and every class.
    reportDuplicates(r, [
        ...classes.map((c, i) => ({ path: `${key}[${i}].name`, value: c.name, what: "class name" })),
        ...agents.flatMap(({ prefix, uamiName, gcp, aws, containerApp, agentIdentity }) => [
            { path: `${prefix}uami.name`, value: uamiName, what: "UAMI name" },
            { path: `${prefix}gcp.providerId`, value: gcp?.providerId ?? "", what: "GCP provider id" },
            { path: `${prefix}gcp.serviceAccountId`, value: gcp?.serviceAccountId ?? "", what: "GCP service account id" },
            { path: `${prefix}aws.roleName`, value: aws?.roleName ?? "", what: "AWS role name" },
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
    readonly gcp: { readonly providerId: string; readonly serviceAccountId: string } | undefined;
    readonly aws: { readonly roleName: string } | undefined;
    readonly containerApp: ContainerAppConfig | undefined;
    readonly agentIdentity: AgentIdentityConfig | undefined;
}

/**
 * Under Option 2 the Blueprint is what keeps agents apart: any workload the Blueprint trusts (another agent's UAMI
 * through its FIC) can have the sidecar mint any of the Blueprint's Agent Identities, for any scope, and so obtain
 * that Agent Identity's cloud credentials. An Option 2 agent therefore needs a Blueprint no other agent shares.
 */
function reportSharedOption2Blueprints(r: Reader, agents: readonly Agent[]): void {
    for (const agent of agents) {
        if (!agent.agentIdentity) continue;
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
 * Option 2's audience trap (seed 001): a cloud-federation audience is never a downstream API's audience, anywhere
 * in the stack, nor the AWS intermediary audience; and the intermediary audience is never a downstream API's.
 */
function reportAudienceTraps(r: Reader, ctx: AgentClassContext, agents: readonly Agent[]): void {
    const downstream = agents.flatMap(({ containerApp }) => (containerApp?.sidecar.downstreamApis ?? []).flatMap((api) => api.scopes.map(scopeAudience)));
    const intermediary = ctx.aws?.identifierUri ?? "";
    const clash = downstream.find((d) => sameEntraAudience(d, intermediary));
    if (ctx.aws && ctx.aws.audienceMode !== "tenant" && agents.some((a) => a.agentIdentity && a.aws) && clash !== undefined)
        r.report(
            "aws.identifierUri",
            `equals the audience of a downstream API the sidecar calls (${clash}, which Entra resolves to ${ctx.aws.identifierUri}); Option 2 agents request it as their AWS audience`,
            "give the intermediary app its own identifier URI, used only to feed AWS STS",
        );
    for (const { prefix, agentIdentity } of agents) {
        if (!agentIdentity) continue;
        const problem = cloudFederationAudienceProblem(agentIdentity.cloudFederationAudience, [
            ...downstream,
            ...(ctx.aws && ctx.aws.audienceMode !== "tenant" ? [ctx.aws.identifierUri] : []),
        ]);
        if (problem)
            r.report(
                `${prefix}agentIdentity.cloudFederationAudience`,
                problem,
                "define a dedicated scope on the Blueprint used only to feed the cloud's STS, e.g. api://agentfed-<agent>-cloud (seed 001, the audience trap)",
            );
    }
}
