import {
    BlueprintKind,
    AwsAudienceMode,
    CLOUD_PRINCIPALS,
    CloudFederationAudience,
    cloudFederationAudienceProblem,
    CloudPrincipal,
    dns1123LabelProblem,
    ficNameProblem,
    guidProblem,
    scopeAudience,
    subjectProblem,
} from "../contracts";
import type { AwsConfig } from "./aws";
import { parseModelArns, parseRoleName } from "./aws";
import type { ContainerAppConfig } from "./container-app";
import { parseContainerAppObject } from "./container-app";
import type { GcpConfig } from "./gcp";
import { parseModelRoles, parseServiceAccountId, poolOrProviderIdProblem } from "./gcp";
import { guid, Json, JsonObject, Reader, str } from "./reader";

/** The Agent Identity an agent class federates to the clouds under Option 2. */
export interface AgentIdentityConfig {
    /** Object id of the Agent Identity (service principal): what the cloud contracts pin. */
    readonly objectId: string;
    /** Its client (app) id: the `AgentIdentity` parameter the token refresher passes to the sidecar. */
    readonly clientId: string;
    /**
     * The `sub` claim of its app-only tokens, which the AWS role pins (AWS has no `oid` condition key). Default: the
     * object id. Microsoft's sample agent token shows a `sub` that differs from `oid`: read it from a real token
     * (`npm run doctor -- --token ...` prints the claims) before relying on the default.
     */
    readonly tokenSubject: string;
    /** The dedicated cloud-federation audience (GCP), defined on the Blueprint; never a downstream API's. */
    readonly cloudFederationAudience: CloudFederationAudience;
}

/**
 * One agent class (`agentfed:agentClasses[i]`, seed 001's "one UAMI per agent class"): its own UAMI, a FIC on its
 * Blueprint, and its own cloud principals, beside the stack's primary agent. Shared: the resource group, the GCP
 * pool, the AWS OIDC provider and intermediary audience, the Container Apps environment.
 */
export interface AgentClassConfig {
    /** DNS label naming the class's resources (e.g. `finance`); immutable once deployed. */
    readonly name: string;
    /** The class's UAMI. */
    readonly uami: { readonly name: string };
    /** The Blueprint the class's FIC is added to; the stack's Blueprint unless the class names its own. */
    readonly blueprint: { readonly kind: BlueprintKind; readonly appId: string; readonly objectId: string };
    /** Immutable name of the FIC that trusts the class's UAMI. Default `uami-<uami name>`. */
    readonly ficName: string;
    /** Which identity the cloud contracts trust: `uami` (Option 1, default) or `agentIdentity` (Option 2). */
    readonly cloudPrincipal: CloudPrincipal;
    /** Required for Option 2; undefined otherwise. */
    readonly agentIdentity: AgentIdentityConfig | undefined;
    /** The class's GCP provider (in the shared pool) and service account; needs `agentfed:gcp`. */
    readonly gcp: { readonly providerId: string; readonly serviceAccountId: string; readonly modelRoles: readonly string[] } | undefined;
    /** The class's AWS role (trusted through the shared OIDC provider); needs `agentfed:aws`. */
    readonly aws: { readonly roleName: string; readonly modelArns: readonly string[] } | undefined;
    /** The class's container app, in the stack's Container Apps environment; undefined when not deployed here. */
    readonly containerApp: ContainerAppConfig | undefined;
}

/** Class names become part of Pulumi resource names and Azure names: short DNS labels. */
const CLASS_NAME_MAX = 24;
const UAMI_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;
const BLUEPRINT_KINDS: readonly BlueprintKind[] = ["agentIdentityBlueprint", "application"];

function objectAt(r: Reader, path: string, value: Json | undefined, fix: string): JsonObject | undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        r.report(path, "must be an object", fix);
        return undefined;
    }
    return value;
}

/** What the class parser needs from the rest of the stack's configuration. */
export interface AgentClassContext {
    readonly blueprint: { readonly kind: BlueprintKind; readonly appId: string; readonly objectId: string };
    readonly gcp: GcpConfig | undefined;
    readonly aws: AwsConfig | undefined;
    readonly containerApp: ContainerAppConfig | undefined;
}

function parseAgentIdentity(r: Reader, at: string, value: Json | undefined, blueprintAppId: string): AgentIdentityConfig | undefined {
    const root = objectAt(r, at, value, `write ${r.key(at)} as { objectId, clientId, cloudFederationAudience }`);
    if (!root) return undefined;
    r.onlyKnownFields(at, root, ["objectId", "clientId", "tokenSubject", "cloudFederationAudience"]);
    const objectId = guid(r, `${at}.objectId`, root.objectId, "Agent Identity's object id (its service principal id)");
    const clientId = guid(r, `${at}.clientId`, root.clientId, "Agent Identity's client (app) id");
    const tokenSubject = root.tokenSubject === undefined ? objectId : typeof root.tokenSubject === "string" ? root.tokenSubject : "";
    const tokenSubjectProblem = subjectProblem(tokenSubject);
    if (tokenSubjectProblem)
        r.report(`${at}.tokenSubject`, tokenSubjectProblem, "copy the sub claim of a token the sidecar minted for this Agent Identity, or remove the key");
    const audPath = `${at}.cloudFederationAudience`;
    const aud = objectAt(r, audPath, root.cloudFederationAudience, `write ${r.key(audPath)} as { identifierUri, appId, tokenVersion }`);
    if (!aud) {
        r.report(audPath, "is not set", `set it to the dedicated audience defined on the Blueprint, e.g. { identifierUri: api://agentfed-<class>-cloud }`);
        return undefined;
    }
    r.onlyKnownFields(audPath, aud, ["identifierUri", "appId", "tokenVersion"]);
    const tokenVersion = aud.tokenVersion === undefined ? 2 : aud.tokenVersion;
    if (tokenVersion !== 1 && tokenVersion !== 2)
        r.report(
            `${audPath}.tokenVersion`,
            `must be 1 or 2 (got ${JSON.stringify(aud.tokenVersion)})`,
            "use the audience app's api.requestedAccessTokenVersion",
        );
    const appId = str(aud.appId) ?? blueprintAppId;
    if (aud.appId !== undefined && guidProblem(aud.appId))
        r.report(`${audPath}.appId`, guidProblem(aud.appId)!, "set the appId of the app exposing the identifier URI (default: the class's Blueprint)");
    return {
        objectId,
        clientId,
        tokenSubject,
        cloudFederationAudience: { identifierUri: str(aud.identifierUri) ?? "", appId, tokenVersion: tokenVersion === 1 ? 1 : 2 },
    };
}

function parseClass(r: Reader, at: string, entry: JsonObject, ctx: AgentClassContext): AgentClassConfig {
    r.onlyKnownFields(at, entry, ["name", "uami", "blueprint", "ficName", "cloudPrincipal", "agentIdentity", "gcp", "aws", "containerApp"]);
    const name = str(entry.name) ?? "";
    const nameProblem = dns1123LabelProblem(name) ?? (name.length > CLASS_NAME_MAX ? `is longer than ${CLASS_NAME_MAX} characters` : undefined);
    if (nameProblem)
        r.report(`${at}.name`, nameProblem, `use a short lowercase label such as finance (at most ${CLASS_NAME_MAX}); it names the class's resources`);

    const uamiObj = objectAt(r, `${at}.uami`, entry.uami, `write ${r.key(`${at}.uami`)} as { name: mi-<class>-agent }`) ?? {};
    r.onlyKnownFields(`${at}.uami`, uamiObj, ["name"]);
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
        r.onlyKnownFields(`${at}.blueprint`, bpObj, ["kind", "appId", "objectId"]);
        const kind = (bpObj.kind ?? "agentIdentityBlueprint") as BlueprintKind;
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
    const ficName = str(entry.ficName) ?? `uami-${uamiName}`;
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
        r.onlyKnownFields(`${at}.gcp`, gcpObj, ["providerId", "serviceAccountId", "modelRoles"]);
        if (!ctx.gcp)
            r.report(`${at}.gcp`, `needs ${r.key("gcp")}: classes share its project and pool`, `configure ${r.key("gcp")}, or remove ${r.key(`${at}.gcp`)}`);
        const providerId = str(gcpObj.providerId) ?? "";
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
        r.onlyKnownFields(`${at}.aws`, awsObj, ["roleName", "modelArns"]);
        if (!ctx.aws)
            r.report(
                `${at}.aws`,
                `needs ${r.key("aws")}: classes share its account, OIDC provider and audience`,
                `configure ${r.key("aws")}, or remove ${r.key(`${at}.aws`)}`,
            );
        else if (ctx.aws.audienceMode === "exchange")
            r.report(
                `${at}.aws`,
                "cannot be used with aws.audienceMode exchange: the token AWS sees is the intermediary app's own, so every class would present the same sub",
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
        const environment = appObj.environment;
        if (
            typeof environment === "object" &&
            environment !== null &&
            !Array.isArray(environment) &&
            environment.logRetentionDays !== undefined &&
            environment.existingId === undefined
        )
            r.report(
                `${at}.containerApp.environment.logRetentionDays`,
                `is set, but an agent class runs in the shared environment ${r.key("containerApp")} creates and never creates its own`,
                `set ${r.key("containerApp.environment.logRetentionDays")} instead, or drop it`,
            );
        if (!ctx.containerApp && !containerApp.environmentId)
            r.report(
                `${at}.containerApp`,
                `needs a Container Apps environment: ${r.key("containerApp")} creates the shared one`,
                `configure ${r.key("containerApp")}, or set ${r.key(`${at}.containerApp.environment.existingId`)}`,
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
    const cloudPrincipal = (raw.cloudPrincipal ?? "uami") as CloudPrincipal;
    if (!CLOUD_PRINCIPALS.includes(cloudPrincipal))
        r.report(
            `${prefix}cloudPrincipal`,
            `must be one of ${CLOUD_PRINCIPALS.join(", ")} (got ${JSON.stringify(raw.cloudPrincipal)})`,
            "uami (Option 1, the default) or agentIdentity (Option 2); see the README, Option 1 or Option 2",
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
        if (federates.aws !== undefined && federates.aws !== "workload")
            r.report(
                `${prefix}cloudPrincipal`,
                `is agentIdentity, which on AWS needs the intermediary audience, but aws.audienceMode is ${federates.aws}`,
                `use ${r.key("aws.audienceMode")}: workload, whose intermediary app is the Agent Identity's AWS audience`,
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
export function parseAgentClasses(
    r: Reader,
    ctx: AgentClassContext,
    primary: { uamiName: string; agentIdentity: AgentIdentityConfig | undefined },
): AgentClassConfig[] {
    const key = "agentClasses";
    const text = r.raw(key);
    if (text === undefined) {
        reportAudienceTraps(r, ctx, primary.agentIdentity, []);
        return [];
    }
    let value: Json;
    try {
        value = JSON.parse(text) as Json;
    } catch {
        r.report(key, `is not a structured value (got ${JSON.stringify(text)})`, `write ${r.key(key)} as a YAML list of { name, uami, ... }`);
        return [];
    }
    if (!Array.isArray(value)) {
        r.report(key, "must be a list", `write ${r.key(key)} as a YAML list of { name, uami, ... }`);
        return [];
    }
    const classes = value.flatMap((entry, i): AgentClassConfig[] => {
        const at = `${key}[${i}]`;
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            r.report(at, "must be an object", `write ${r.key(at)} as { name, uami: { name } }`);
            return [];
        }
        return [parseClass(r, at, entry, ctx)];
    });

    // Names that must be unique across the primary agent and every class.
    const at = (i: number, field: string) => `${key}[${i}].${field}`;
    reportDuplicates(r, [
        ...classes.map((c, i) => ({ path: at(i, "name"), value: c.name, what: "class name" })),
        { path: "uami.name", value: primary.uamiName, what: "UAMI name" },
        ...classes.map((c, i) => ({ path: at(i, "uami.name"), value: c.uami.name, what: "UAMI name" })),
        ...(ctx.gcp ? [{ path: "gcp.providerId", value: ctx.gcp.providerId, what: "GCP provider id" }] : []),
        ...classes.map((c, i) => ({ path: at(i, "gcp.providerId"), value: c.gcp?.providerId ?? "", what: "GCP provider id" })),
        ...(ctx.gcp ? [{ path: "gcp.serviceAccountId", value: ctx.gcp.serviceAccountId, what: "GCP service account id" }] : []),
        ...classes.map((c, i) => ({ path: at(i, "gcp.serviceAccountId"), value: c.gcp?.serviceAccountId ?? "", what: "GCP service account id" })),
        ...(ctx.aws ? [{ path: "aws.roleName", value: ctx.aws.roleName, what: "AWS role name" }] : []),
        ...classes.map((c, i) => ({ path: at(i, "aws.roleName"), value: c.aws?.roleName ?? "", what: "AWS role name" })),
        ...(ctx.containerApp ? [{ path: "containerApp.name", value: ctx.containerApp.name, what: "container app name" }] : []),
        ...classes.map((c, i) => ({ path: at(i, "containerApp.name"), value: c.containerApp?.name ?? "", what: "container app name" })),
        // What the clouds pin under Option 2: object ids (GCP, app role) and token subjects (AWS) are one namespace,
        // so no agent's tokenSubject can name another agent's Agent Identity.
        ...[{ prefix: "", identity: primary.agentIdentity }, ...classes.map((c, i) => ({ prefix: `${key}[${i}].`, identity: c.agentIdentity }))].flatMap(
            ({ prefix, identity }) =>
                identity
                    ? [
                          { path: `${prefix}agentIdentity.objectId`, value: identity.objectId, what: "Agent Identity subject" },
                          ...(identity.tokenSubject !== identity.objectId
                              ? [{ path: `${prefix}agentIdentity.tokenSubject`, value: identity.tokenSubject, what: "Agent Identity subject" }]
                              : []),
                          { path: `${prefix}agentIdentity.clientId`, value: identity.clientId, what: "Agent Identity client id" },
                      ]
                    : [],
        ),
    ]);
    reportSharedOption2Blueprints(r, ctx, primary.agentIdentity !== undefined, classes);
    reportAudienceTraps(r, ctx, primary.agentIdentity, classes);
    return classes;
}

/**
 * Under Option 2 the Blueprint is what keeps agents apart: any workload the Blueprint trusts (another agent's UAMI
 * through its FIC) can have the sidecar mint any of the Blueprint's Agent Identities, for any scope, and so obtain
 * that Agent Identity's cloud credentials. An Option 2 agent therefore needs a Blueprint no other agent shares.
 */
function reportSharedOption2Blueprints(r: Reader, ctx: AgentClassContext, primaryIsOption2: boolean, classes: readonly AgentClassConfig[]): void {
    const agents = [
        { path: "blueprint", label: "the primary agent", blueprint: ctx.blueprint.objectId, option2: primaryIsOption2 },
        ...classes.map((c, i) => ({
            path: `agentClasses[${i}].blueprint`,
            label: `agent class ${c.name}`,
            blueprint: c.blueprint.objectId,
            option2: c.agentIdentity !== undefined,
        })),
    ];
    for (const agent of agents) {
        if (!agent.option2) continue;
        const others = agents.filter((o) => o !== agent && o.blueprint === agent.blueprint).map((o) => o.label);
        if (others.length > 0)
            r.report(
                agent.path,
                `is shared with ${others.join(", ")}: under Option 2 every agent the Blueprint trusts can have this agent's Agent Identity token minted, and with it its cloud credentials`,
                "give each Option 2 agent a Blueprint of its own (agentClasses[i].blueprint), or use Option 1 (cloudPrincipal: uami)",
            );
    }
}

/**
 * Option 2's audience trap (seed 001): a cloud-federation audience is never a downstream API's audience, anywhere
 * in the stack, nor the AWS intermediary audience; and the intermediary audience is never a downstream API's.
 */
function reportAudienceTraps(r: Reader, ctx: AgentClassContext, primary: AgentIdentityConfig | undefined, classes: readonly AgentClassConfig[]): void {
    const key = "agentClasses";

    const downstream = [ctx.containerApp, ...classes.map((c) => c.containerApp)].flatMap((app) =>
        (app?.sidecar.downstreamApis ?? []).flatMap((api) => api.scopes.map(scopeAudience)),
    );
    if (
        ctx.aws &&
        ctx.aws.audienceMode !== "tenant" &&
        (primary || classes.some((c) => c.aws && c.agentIdentity)) &&
        downstream.includes(ctx.aws.identifierUri)
    )
        r.report(
            "aws.identifierUri",
            `equals the audience of a downstream API the sidecar calls (${ctx.aws.identifierUri}); Option 2 agents request it as their AWS audience`,
            "give the intermediary app its own identifier URI, used only to feed AWS STS",
        );
    const agents = [
        { path: "agentIdentity", identity: primary },
        ...classes.map((c, i) => ({ path: `${key}[${i}].agentIdentity`, identity: c.agentIdentity })),
    ];
    for (const { path, identity } of agents) {
        if (!identity) continue;
        const problem = cloudFederationAudienceProblem(identity.cloudFederationAudience, [
            ...downstream,
            ...(ctx.aws && ctx.aws.audienceMode !== "tenant" ? [ctx.aws.identifierUri] : []),
        ]);
        if (problem)
            r.report(
                `${path}.cloudFederationAudience`,
                problem,
                "define a dedicated scope on the Blueprint used only to feed the cloud's STS, e.g. api://agentfed-<agent>-cloud (seed 001, the audience trap)",
            );
    }
}
