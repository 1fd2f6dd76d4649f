import {
    BlueprintKind,
    entraV2Issuer,
    ficAudiencesProblem,
    ficNameProblem,
    ficSetProblems,
    guidProblem,
    issuerProblem,
    MAX_FICS_PER_APPLICATION,
    sameEntraAudience,
    subjectProblem,
    TOKEN_EXCHANGE_AUDIENCE,
} from "../contracts";
import { ConfigError } from "./errors";
import { CONTAINER_APP_KEYS, parseContainerAppConfig } from "./container-app";
import { CLOUDS, CloudAgentConfigs, CloudId, CloudSharedConfigs } from "../clouds";
import { KIND_KEYS, kindDeclaredFic, parseKindConfig } from "./kind";
import { ConfigSource, guid, isJsonObject, Json, Reader, ReaderOptions } from "./reader";
import {
    AGENT_CLASSES_KEYS,
    AGENT_IDENTITY_KEYS,
    AgentClassConfig,
    AgentConfig,
    CLOUD_PRINCIPAL_KEY,
    parseAgentClasses,
    parseCloudPrincipal,
    reportAgentIdentityNeed,
    reportAgentIdentityOverride,
} from "./agent-classes";
import { DeclaredFederatedCredential, StackConfig } from "./schema";
import { agentIdentityCreation, BLUEPRINT_CREATE_KEYS, describeId, parseBlueprintIds, parseCreatedId } from "./agent-id-objects";
import { boolean, list, map, object, ObjectSpec, reuse, text, value } from "./spec";

const BLUEPRINT_KINDS: readonly BlueprintKind[] = ["agentIdentityBlueprint", "application"];
const AZURE_REGION = /^[a-z][a-z0-9]{2,40}$/;
const RESOURCE_GROUP = /^[-\w._()]{1,89}[-\w_()]$/;
const UAMI_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;

/**
 * Microsoft Graph's service roots: the global service and the national clouds (Microsoft Graph, "National cloud
 * deployments": US Government L4, US Government L5 (DOD), China operated by 21Vianet). Any other host would receive
 * the deploying identity's Graph token.
 */
export const GRAPH_ENDPOINTS: readonly string[] = [
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
];

/**
 * Azure Resource Manager's tag limits ("Use tags to organize your Azure resources", Limitations): at most 50 tags
 * per resource, names of at most 512 characters (128 on storage accounts), values of at most 256, names without
 * < > % & \ ? /, and the prefixes microsoft, azure and windows reserved. Names are case-insensitive.
 */
const TAGS = { maxCount: 50, maxName: 512, maxStorageName: 128, maxValue: 256, forbidden: /[<>%&\\?/]/, reservedPrefix: /^(microsoft|azure|windows)/i };
/** The tag the stack adds to every agent class's resources. */
const CLASS_TAG = "agent-class";

const GUID_EXAMPLE = "44444444-4444-4444-4444-444444444444";

const BLUEPRINT_KEYS = object(
    {
        summary: "The Entra application the UAMI federates to: an Agent ID Blueprint (Graph beta) or a classic app registration.",
        required: true,
        scope: "agent",
        section: "Blueprint",
        see: "entra-federation.md",
    },
    {
        kind: text({
            summary: "What the Blueprint is.",
            required: true,
            allowed: BLUEPRINT_KINDS,
            rule: "agentIdentityBlueprint (Entra Agent ID, managed through Graph beta) or application (a classic app registration, through azuread)",
            example: "agentIdentityBlueprint",
        }),
        appId: value("GUID", {
            summary: "The Blueprint's application (client) id: the sidecar's AzureAd__ClientId.",
            required: "unless displayName is set (create mode)",
            rule: "a GUID (az ad app show --id <name> --query appId); not the objectId, the tenant id or an Agent Identity",
            example: GUID_EXAMPLE,
        }),
        objectId: value("GUID", {
            summary: "The Blueprint's application object id (not its service principal's): Graph paths address it.",
            required: "unless displayName is set (create mode)",
            rule: "a GUID (az ad app show --id <appId> --query id); not the appId, the tenant id or an Agent Identity",
            example: "55555555-5555-5555-5555-555555555555",
        }),
        ...BLUEPRINT_CREATE_KEYS,
        graphEndpoint: text({
            summary: "Microsoft Graph root used for the Blueprint's FICs.",
            scope: "shared",
            default: GRAPH_ENDPOINTS[0],
            allowed: GRAPH_ENDPOINTS,
            rule: "Graph's global root or a national cloud's, without a path: the deploying identity's Graph token is sent there",
        }),
        uamiFicName: text({
            summary: "Immutable name of the FIC that trusts the UAMI.",
            defaultText: "uami-<uami.name>",
            rule: "3-120 letters, digits, '-' or '_'",
            example: "uami-mi-weather-agent",
        }),
        additionalFederatedCredentials: list(
            {
                summary: "Further FICs on the same Blueprint, each pinned to one exact subject (a CI workflow, say).",
                rule: "names and issuer+subject pairs unique, and at most 20 FICs on the Blueprint counting the UAMI's and the Kind one (Entra's limit)",
                example: [{ name: "github-ci-dev", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/agents:environment:dev" }],
            },
            object(
                { summary: "One declared FIC." },
                {
                    name: text({ summary: "Immutable FIC name.", required: true, rule: "3-120 letters, digits, '-' or '_'", example: "github-main" }),
                    issuer: text({
                        summary: "The token's iss, exactly.",
                        required: true,
                        rule: "an https URL without whitespace, query, fragment or credentials (verifiers compare iss byte for byte)",
                        example: "https://token.actions.githubusercontent.com",
                    }),
                    subject: text({
                        summary: "The token's sub, exactly.",
                        required: true,
                        rule: "non-empty, no wildcard, no padding, no control character",
                        example: "repo:contoso/agents:environment:prod",
                    }),
                    audiences: list(
                        {
                            summary: "The FIC's audiences.",
                            defaultText: `[${TOKEN_EXCHANGE_AUDIENCE}]`,
                            rule: `exactly [${TOKEN_EXCHANGE_AUDIENCE}]; Entra refuses any other, the GUID form included (AADSTS700214)`,
                        },
                        text({ summary: "One audience." }),
                    ),
                    description: text({ summary: "Description stored on the FIC.", rule: "at most 600 characters" }),
                },
            ),
        ),
    },
);

/** `agentfed:<cloud>` for each cloud federation (src/clouds). */
const CLOUD_KEYS = Object.fromEntries(CLOUDS.map((c) => [c.id, c.config.keys])) as Readonly<Record<CloudId, ObjectSpec>>;

/** Every top-level key, in the order the reference lists them. */
export const STACK_KEYS = object(
    { summary: "The main project's stack configuration (Pulumi.<stack>.yaml, namespace agentfed:)." },
    {
        tenantId: value("GUID", {
            summary: "The Entra tenant that owns the UAMI and the Blueprint.",
            required: true,
            rule: "a GUID (az account show --query tenantId -o tsv); no other id in the stack may equal it",
            example: "11111111-1111-1111-1111-111111111111",
            section: "Azure and Entra basics",
        }),
        location: text({
            summary: "Azure region of every Azure resource.",
            required: true,
            rule: "an Azure region name, lowercase (az account list-locations -o table)",
            example: "westeurope",
            section: "Azure and Entra basics",
        }),
        protectIdentities: boolean({
            summary: "Protect the identity resources (UAMI, FICs, pools, providers, roles) against deletion and replacement (Pulumi's protect).",
            default: true,
            rule: "true in prod: a recreated UAMI gets a new object id and every trust contract pinned to the old one breaks; false only in disposable environments",
            section: "Azure and Entra basics",
        }),
        tags: map(
            {
                summary: "Tags applied to every Azure resource.",
                rule: `at most ${TAGS.maxCount} (${TAGS.maxCount - 1} with agent classes, whose resources also carry ${CLASS_TAG}); names of at most ${TAGS.maxName} characters (${TAGS.maxStorageName} with kind, which tags a storage account), without < > % & \\ ? / and not starting with microsoft, azure or windows, unique without case; values strings of at most ${TAGS.maxValue} characters (Azure Resource Manager's limits)`,
                example: { environment: "prod", workload: "weather-agent" },
                section: "Azure and Entra basics",
            },
            text({ summary: "A tag value." }),
        ),
        resourceGroup: object(
            { summary: "Resource group of the UAMI.", required: true, section: "Azure and Entra basics" },
            {
                name: text({
                    summary: "Resource group name.",
                    required: true,
                    rule: "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
                    example: "rg-agentfed-prod",
                }),
                create: boolean({ summary: "Create the group (true) or use an existing one (false).", default: true }),
            },
        ),
        uami: object(
            { summary: "The user-assigned managed identity: the agent's runtime witness.", required: true, scope: "agent", section: "Azure and Entra basics" },
            {
                name: text({
                    summary: "UAMI resource name; a label only: the object id Azure assigns is what every contract pins.",
                    required: true,
                    rule: "3-128 letters, digits, '-' or '_', starting with a letter or digit",
                    example: "mi-weather-agent",
                }),
            },
        ),
        blueprint: BLUEPRINT_KEYS,
        containerApp: reuse(CONTAINER_APP_KEYS, { scope: "agent" }),
        kind: KIND_KEYS,
        // Each cloud federation's section (agentfed:gcp, agentfed:aws), in the registry's order.
        ...CLOUD_KEYS,
        cloudPrincipal: reuse(CLOUD_PRINCIPAL_KEY, { scope: "agent" }),
        agentIdentity: reuse(AGENT_IDENTITY_KEYS, { scope: "agent" }),
        agentClasses: AGENT_CLASSES_KEYS,
    },
);
const K = STACK_KEYS.fields;
const FIC_KEYS = K.blueprint.fields.additionalFederatedCredentials.items;

function parseAdditionalFics(r: Reader, path: string, value: Json | undefined): DeclaredFederatedCredential[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
        r.report(path, "must be a list", `make ${r.key(path)} a YAML list of { name, issuer, subject } entries`);
        return [];
    }
    return value.flatMap((entry, i): DeclaredFederatedCredential[] => {
        const at = `${path}[${i}]`;
        if (!isJsonObject(entry)) {
            r.report(at, "must be an object with name, issuer and subject", `write ${r.key(at)} as { name, issuer, subject }`);
            return [];
        }
        r.onlyKnownFields(at, entry, Object.keys(FIC_KEYS.fields));
        const nameProblem = ficNameProblem(entry.name);
        if (nameProblem) r.report(`${at}.name`, nameProblem, "use a short, URL-friendly name such as github-main");
        const issProblem = issuerProblem(entry.issuer);
        if (issProblem) r.report(`${at}.issuer`, issProblem, "copy the issuer exactly as it appears in the token's iss claim, https:// and no spaces");
        const subProblem = subjectProblem(entry.subject);
        if (subProblem) r.report(`${at}.subject`, subProblem, "pin the one exact sub claim of the workload, e.g. repo:org/repo:environment:prod");
        if (entry.audiences !== undefined) {
            const audProblem = ficAudiencesProblem(entry.audiences);
            if (audProblem)
                r.report(`${at}.audiences`, audProblem, `remove the key (it defaults to [${TOKEN_EXCHANGE_AUDIENCE}]) or set exactly that one value`);
        }
        if (entry.description !== undefined && (typeof entry.description !== "string" || entry.description.length > 600)) {
            r.report(`${at}.description`, "must be text of at most 600 characters", "shorten it");
        }
        if (nameProblem || issProblem || subProblem) return [];
        return [
            {
                name: entry.name as string,
                issuer: entry.issuer as string,
                subject: entry.subject as string,
                ...(typeof entry.description === "string" ? { description: entry.description } : {}),
            },
        ];
    });
}

/**
 * Entra's FIC rules per application, for the FICs agent classes add: names unique on each Blueprint (reported at
 * the class that repeats one) and at most 20 FICs per Blueprint, the primary agent's included.
 */
function reportClassFics(r: Reader, primaryObjectId: string, primaryCount: number, primaryNames: string[], classes: readonly AgentClassConfig[]): void {
    const blueprints = new Map<string, { names: Map<string, string>; count: number; firstClass: number | undefined }>();
    blueprints.set(primaryObjectId, { names: new Map(primaryNames.map((n) => [n.toLowerCase(), "blueprint"])), count: primaryCount, firstClass: undefined });
    classes.forEach((c, i) => {
        const entry = blueprints.get(c.blueprint.objectId) ?? { names: new Map<string, string>(), count: 0, firstClass: undefined };
        blueprints.set(c.blueprint.objectId, entry);
        const owner = entry.names.get(c.ficName.toLowerCase());
        if (owner !== undefined)
            r.report(
                `agentClasses[${i}].ficName`,
                `repeats FIC name ${JSON.stringify(c.ficName)} on Blueprint ${describeId(c.blueprint.objectId)} (already used under ${r.key(owner)}); names must be unique per application`,
                "set a distinct ficName (it defaults to uami-<uami.name>)",
            );
        else entry.names.set(c.ficName.toLowerCase(), `agentClasses[${i}]`);
        entry.count++;
        entry.firstClass ??= i;
    });
    for (const [blueprintObjectId, entry] of blueprints) {
        if (entry.count > MAX_FICS_PER_APPLICATION && entry.firstClass !== undefined)
            r.report(
                `agentClasses[${entry.firstClass}].blueprint`,
                `Blueprint ${describeId(blueprintObjectId)} would carry ${entry.count} federated identity credentials; Entra allows at most ${MAX_FICS_PER_APPLICATION} per application`,
                "give some classes their own Blueprint (agentClasses[i].blueprint)",
            );
    }
}

/** Which directory object an id names: ids of different kinds of object can never be equal. */
type IdKind = "tenant" | "application (client) id" | "application object id" | "Agent Identity" | "sponsor (a user or group)";

/** An id's kind in a message: "the tenant id", "an Agent Identity", "a sponsor (a user or group)". */
function idKindName(kind: IdKind): string {
    return kind === "tenant" ? "the tenant id" : `${/^[aeiou]/i.test(kind) ? "an" : "a"} ${kind}`;
}

/**
 * Ids that must differ but were found equal: the tenant id, an application's client id, an application's object id
 * and an Agent Identity (object or client id) name different directory objects, so one GUID in two of these roles
 * is always a copy-paste slip, and a trust contract built on it would pin the wrong object.
 */
function reportEqualIds(r: Reader, ids: readonly { path: string; value: string | undefined; kind: IdKind }[]): void {
    const seen = new Map<string, { path: string; kind: IdKind }>();
    for (const { path, value, kind } of ids) {
        if (value === undefined || guidProblem(value) !== undefined) continue;
        const key = value.toLowerCase();
        const first = seen.get(key);
        if (first === undefined) seen.set(key, { path, kind });
        else if (first.kind !== kind)
            r.report(
                path,
                `equals ${r.key(first.path)} (${value}): ${idKindName(first.kind)} and ${idKindName(kind)} are different directory objects`,
                kind === "sponsor (a user or group)"
                    ? "name a person or group accountable for the object (az ad user show --id <upn> --query id); Entra refuses an application, a service principal or the tenant as a sponsor"
                    : "copy each id from its own object: az account show (tenant), az ad app show (appId and id), the Agent Identity's service principal (id and appId)",
            );
    }
}

/**
 * The sponsors one agent's created objects name (create mode), written after every other id so a sponsor that equals
 * the tenant, an application or an Agent Identity is reported at the sponsor. An Agent Identity's defaulted sponsors
 * are its Blueprint's, already listed.
 */
function sponsorIds(
    prefix: string,
    blueprint: AgentClassConfig["blueprint"],
    agentIdentity: AgentClassConfig["agentIdentity"],
): { path: string; value: string; kind: IdKind }[] {
    // A class on the stack's Blueprint declares none of its sponsors.
    const ownBlueprint = blueprint.create?.key === `${prefix}blueprint`;
    const of = (at: string, sponsors: { userIds?: readonly string[]; groupIds?: readonly string[] } | undefined) =>
        (["userIds", "groupIds"] as const).flatMap((field) =>
            (sponsors?.[field] ?? []).map((value, i) => ({ path: `${at}.sponsors.${field}[${i}]`, value, kind: "sponsor (a user or group)" as const })),
        );
    const own = agentIdentity?.create && agentIdentity.create.sponsors !== blueprint.create?.sponsors ? agentIdentity.create.sponsors : undefined;
    return [...of(`${prefix}blueprint`, ownBlueprint ? blueprint.create?.sponsors : undefined), ...of(`${prefix}agentIdentity`, own)];
}

/** The directory ids one agent names: its Blueprint's two ids, its Agent Identity's, and Option 2's audience app. */
function directoryIds(
    prefix: string,
    blueprint: AgentClassConfig["blueprint"],
    agentIdentity: AgentClassConfig["agentIdentity"],
): { path: string; value: string; kind: IdKind }[] {
    return [
        { path: `${prefix}blueprint.appId`, value: blueprint.appId, kind: "application (client) id" },
        { path: `${prefix}blueprint.objectId`, value: blueprint.objectId, kind: "application object id" },
        ...(agentIdentity
            ? ([
                  { path: `${prefix}agentIdentity.objectId`, value: agentIdentity.objectId, kind: "Agent Identity" },
                  { path: `${prefix}agentIdentity.clientId`, value: agentIdentity.clientId, kind: "Agent Identity" },
                  ...(agentIdentity.cloudFederationAudience
                      ? ([
                            {
                                path: `${prefix}agentIdentity.cloudFederationAudience.appId`,
                                value: agentIdentity.cloudFederationAudience.appId,
                                kind: "application (client) id",
                            },
                        ] as const)
                      : []),
              ] as const)
            : []),
    ];
}

/**
 * Each App ID URI on one application only: Graph's agentIdentityBlueprint resource says identifierUris "must be
 * globally unique across Microsoft Entra ID". The URIs a created Blueprint lists and the Option 2 audiences the stack
 * adds to it, and every Option 2 audience on an application named by its appId, are grouped by that application (a
 * created Blueprint's by its appId stand-in); one URI under two applications is reported where it is written second,
 * instead of failing at pulumi up when Graph refuses the second Blueprint.
 */
function reportIdentifierUriOwners(r: Reader, agents: readonly { prefix: string; agent: Pick<AgentClassConfig, "blueprint" | "agentIdentity"> }[]): void {
    const seen: { uri: string; owner: string; path: string }[] = [];
    const ownerName = (owner: string) => {
        const created = parseCreatedId(owner);
        return created ? `the Blueprint this stack creates at ${r.key(created.key)}` : `application ${owner}`;
    };
    const claim = (uri: string, owner: string, path: string) => {
        const first = seen.find((s) => sameEntraAudience(s.uri, uri) && s.owner !== owner);
        if (first)
            r.report(
                path,
                `is ${JSON.stringify(uri)}, which ${r.key(first.path)} already puts on ${ownerName(first.owner)}; an App ID URI is unique across the tenant, so Graph would refuse the second`,
                "give each Blueprint its own identifier URIs, e.g. api://<tenantId>/agentfed-<agent>-cloud",
            );
        else seen.push({ uri, owner, path });
    };
    for (const { prefix, agent } of agents) {
        const create = agent.blueprint.create;
        if (create && create.key === `${prefix}blueprint`)
            create.identifierUris.forEach((uri, j) => claim(uri, agent.blueprint.appId, `${prefix}blueprint.identifierUris[${j}]`));
    }
    for (const { prefix, agent } of agents) {
        const audience = agent.agentIdentity?.cloudFederationAudience;
        if (audience && audience.identifierUri !== "")
            claim(audience.identifierUri, audience.appId, `${prefix}agentIdentity.cloudFederationAudience.identifierUri`);
    }
}

/** ARM's tag rules (see TAGS), with the stack's own additions: the agent-class tag, and storage accounts' shorter names. */
function parseTags(r: Reader, withKind: boolean, withClasses: boolean): Record<string, string> {
    const tags: Record<string, string> = {};
    const tagsObj = r.object("tags", `set ${r.key("tags")} to a map of string values`, false) ?? {};
    const maxName = withKind ? TAGS.maxStorageName : TAGS.maxName;
    const maxCount = withClasses ? TAGS.maxCount - 1 : TAGS.maxCount;
    const names = new Map<string, string>();
    const entries = Object.entries(tagsObj);
    for (const [k, v] of entries) {
        const at = `tags.${k}`;
        if (typeof v !== "string") r.report(at, `must be a string (got ${JSON.stringify(v)})`, "quote the value in Pulumi.<stack>.yaml");
        else if (v.length > TAGS.maxValue)
            r.report(at, `is ${v.length} characters; Azure Resource Manager allows at most ${TAGS.maxValue} in a tag value`, "shorten the value");
        else tags[k] = v;
        if (k.trim() === "") r.report(at, "is an empty tag name", "name the tag");
        else if (k.length > maxName)
            r.report(
                at,
                `is a tag name of ${k.length} characters; Azure Resource Manager allows at most ${maxName}${withKind ? " on the Kind issuer's storage account" : ""}`,
                "shorten the name",
            );
        else if (TAGS.forbidden.test(k)) r.report(at, "is a tag name with one of < > % & \\ ? /, which Azure Resource Manager refuses", "rename the tag");
        else if (TAGS.reservedPrefix.test(k))
            r.report(at, "is a tag name starting with microsoft, azure or windows, prefixes Azure reserves", "rename the tag");
        else if (withClasses && k.toLowerCase() === CLASS_TAG)
            r.report(at, `is the tag the stack puts on every agent class's resources (${CLASS_TAG}: <class name>)`, "rename the tag");
        const first = names.get(k.toLowerCase());
        if (first !== undefined)
            r.report(
                at,
                `repeats the tag name ${JSON.stringify(first)} in another case; Azure Resource Manager compares tag names without case`,
                "keep one of them",
            );
        else names.set(k.toLowerCase(), k);
    }
    if (entries.length > maxCount)
        r.report(
            "tags",
            `lists ${entries.length} tags; Azure Resource Manager allows at most ${TAGS.maxCount} per resource${withClasses ? `, and agent classes' resources also carry ${CLASS_TAG}` : ""}`,
            `keep at most ${maxCount}, or combine some into one tag with a JSON value`,
        );
    return tags;
}

/**
 * Parses and validates the whole stack configuration. Throws one `ConfigError` listing every problem, each naming
 * its key and the fix; returns a fully typed `StackConfig` otherwise. Pure: no resource can exist yet when it runs.
 * `options.trace` records every key read (see test/config-reference.test.ts).
 */
export function parseStackConfig(source: ConfigSource, namespace: string, options: ReaderOptions = {}): StackConfig {
    const r = new Reader(source, namespace, options);
    // A key nothing reads is a typo: agentfed:contanerApp would deploy a stack without its container app.
    r.onlyKnownKeys(Object.keys(K));

    const rawTenantId = r.raw("tenantId");
    const tenantProblem = guidProblem(rawTenantId);
    const tenantId = guid(
        r,
        "tenantId",
        rawTenantId,
        "Entra tenant id",
        `pulumi config set ${r.key("tenantId")} <your Entra tenant id>, e.g. from: az account show --query tenantId -o tsv`,
    );

    const location = r.matching(
        "location",
        r.raw("location"),
        AZURE_REGION,
        "an Azure region name",
        `pulumi config set ${r.key("location")} westeurope (see: az account list-locations -o table)`,
    );

    const protectIdentities = r.boolean("protectIdentities", r.raw("protectIdentities"), K.protectIdentities);

    const rgObj = r.object("resourceGroup", `set ${r.key("resourceGroup")} to { name: rg-agentfed-<env>, create: true }`) ?? {};
    r.onlyKnownFields("resourceGroup", rgObj, Object.keys(K.resourceGroup.fields));
    const rgName = r.matching(
        "resourceGroup.name",
        rgObj.name,
        RESOURCE_GROUP,
        "a valid resource group name",
        "use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
    );
    const rgCreate = r.boolean("resourceGroup.create", rgObj.create, K.resourceGroup.fields.create);

    const uamiObj = r.object("uami", `set ${r.key("uami")} to { name: mi-<agent>-<env> }`) ?? {};
    r.onlyKnownFields("uami", uamiObj, Object.keys(K.uami.fields));
    const uamiName = r.matching(
        "uami.name",
        uamiObj.name,
        UAMI_NAME,
        "a valid managed identity name",
        "use 3-128 letters, digits, '-' or '_', starting with a letter or digit, e.g. mi-weather-agent",
    );

    const bpObj = r.object("blueprint", `set ${r.key("blueprint")} to { kind, appId, objectId }`) ?? {};
    r.onlyKnownFields("blueprint", bpObj, Object.keys(K.blueprint.fields));
    const kind = r.oneOf(
        "blueprint.kind",
        bpObj.kind,
        K.blueprint.fields.kind,
        "use agentIdentityBlueprint for an Entra Agent ID Blueprint, application for a classic app registration",
    ) as BlueprintKind;
    // Ids mode (appId, objectId) or create mode (displayName, sponsors): src/config/agent-id-objects.ts.
    const { appId, objectId, create } = parseBlueprintIds(r, "blueprint", bpObj, kind, {
        appIdWhat: "Blueprint's application (client) id: az ad app show --id <name> --query appId",
        objectIdWhat: "Blueprint's application object id (not the service principal's): az ad app show --id <appId> --query id",
    });
    const blueprintRef = { kind, appId, objectId, ...(create ? { create } : {}) };
    const graphEndpoint = (r.text("blueprint.graphEndpoint", bpObj.graphEndpoint) ?? K.blueprint.fields.graphEndpoint.default ?? "").replace(/\/+$/, "");
    if (!GRAPH_ENDPOINTS.includes(graphEndpoint))
        r.report(
            "blueprint.graphEndpoint",
            `is not a Microsoft Graph root (got ${JSON.stringify(bpObj.graphEndpoint)}); the deploying identity's Graph token would be sent there`,
            `remove it for the global service, or set a national cloud's root: ${GRAPH_ENDPOINTS.slice(1).join(", ")}`,
        );
    const uamiFicName = r.text("blueprint.uamiFicName", bpObj.uamiFicName) ?? `uami-${uamiName}`;
    const uamiFicNameProblem = ficNameProblem(uamiFicName);
    if (uamiFicNameProblem && uamiName) r.report("blueprint.uamiFicName", uamiFicNameProblem, "choose a name of 3-120 letters, digits, '-' or '_'");
    const additional = parseAdditionalFics(r, "blueprint.additionalFederatedCredentials", bpObj.additionalFederatedCredentials);
    const kindCluster = parseKindConfig(r);
    const kindFic = kindCluster ? kindDeclaredFic(kindCluster) : undefined;

    const containerApp = parseContainerAppConfig(r);
    // Each cloud's shared settings, and the primary agent's principal there when its keys are set.
    const warnings: string[] = [];
    const shared: Record<string, unknown> = {};
    const primaryClouds: Record<string, unknown> = {};
    for (const cloud of CLOUDS) {
        const parsed = cloud.config.parse(r, tenantId);
        shared[cloud.id] = parsed.shared;
        primaryClouds[cloud.id] = parsed.primary;
        warnings.push(...parsed.warnings);
    }
    const clouds = shared as unknown as CloudSharedConfigs;
    const primaryPrincipals = primaryClouds as unknown as CloudAgentConfigs;
    // Option 1 or Option 2 for the primary agent (Rais, "Entra Agent ID Across Clouds", Part 3); classes choose their own.
    const agentIdentityObj = r.object("agentIdentity", `set ${r.key("agentIdentity")} to { objectId, clientId }, or { displayName } to create it`, false);
    const { cloudPrincipal, agentIdentity } = parseCloudPrincipal(
        r,
        "",
        { cloudPrincipal: r.raw("cloudPrincipal"), agentIdentity: agentIdentityObj },
        appId,
        clouds,
        primaryPrincipals,
        (at, creation) => agentIdentityCreation(r, at, creation, blueprintRef, "blueprint"),
    );
    reportAgentIdentityOverride(r, "containerApp", containerApp, kind, agentIdentity);
    // The primary agent calls its APIs from its container app and, on Kind, from its workload there: both as its Agent Identity.
    reportAgentIdentityNeed(r, "", kind, agentIdentity, cloudPrincipal, [
        { path: "containerApp.sidecar.downstreamApis", apis: containerApp?.sidecar.downstreamApis ?? [] },
        { path: "kind.downstreamApis", apis: kindCluster?.workload?.downstreamApis ?? [] },
    ]);
    const primaryAgent: AgentConfig = {
        uami: { name: uamiName },
        blueprint: blueprintRef,
        ficName: uamiFicName,
        cloudPrincipal,
        agentIdentity,
        ...primaryPrincipals,
        containerApp,
    };
    const agentClasses = parseAgentClasses(r, { blueprint: blueprintRef, clouds }, primaryAgent);
    reportUnusedClouds(r, clouds, [primaryAgent, ...agentClasses]);
    const tags = parseTags(r, kindCluster !== undefined, agentClasses.length > 0);

    reportEqualIds(r, [
        { path: "tenantId", value: tenantId, kind: "tenant" },
        ...directoryIds("", { kind, appId, objectId }, agentIdentity),
        ...agentClasses.flatMap((c, i) => directoryIds(`agentClasses[${i}].`, c.blueprint, c.agentIdentity)),
        ...sponsorIds("", blueprintRef, agentIdentity),
        ...agentClasses.flatMap((c, i) => sponsorIds(`agentClasses[${i}].`, c.blueprint, c.agentIdentity)),
    ]);
    reportIdentifierUriOwners(r, [{ prefix: "", agent: primaryAgent }, ...agentClasses.map((agent, i) => ({ prefix: `agentClasses[${i}].`, agent }))]);

    if (tenantId && !tenantProblem) {
        const primaryFics = [{ name: uamiFicName, issuer: entraV2Issuer(tenantId), subject: undefined }, ...additional, ...(kindFic ? [kindFic] : [])];
        for (const problem of ficSetProblems(primaryFics)) {
            r.report(
                "blueprint.additionalFederatedCredentials",
                problem,
                "edit the list (or agentfed:kind.ficName) so every FIC is distinct and there are at most 20 with the UAMI's and the Kind one",
            );
        }
        reportClassFics(r, objectId, primaryFics.length, [uamiFicName, ...additional.map((f) => f.name), ...(kindFic ? [kindFic.name] : [])], agentClasses);
    }
    if (cloudPrincipal === "agentIdentity" && (additional.length > 0 || kindFic)) {
        warnings.push(
            `${r.key("cloudPrincipal")} is agentIdentity and the Blueprint also trusts ${[...additional.map((f) => f.name), ...(kindFic ? [kindFic.name] : [])].join(", ")}: ` +
                "every workload a Blueprint FIC trusts can have the Agent Identity's token minted, and with it the agent's cloud credentials.",
        );
    }
    warnings.push(...r.warnings);

    if (r.issues.length > 0) throw new ConfigError(r.issues);
    return {
        namespace,
        tenantId,
        location,
        resourceGroup: { name: rgName, create: rgCreate },
        protectIdentities,
        tags,
        uami: { name: uamiName },
        blueprint: { ...blueprintRef, graphEndpoint, uamiFicName, additionalFederatedCredentials: additional },
        containerApp,
        ...clouds,
        warnings,
        kind: kindCluster,
        primaryAgent,
        agentClasses,
        cloudPrincipal,
        agentIdentity,
    };
}

/**
 * A cloud section that holds only the settings agents share, with no agent federating to that cloud, would create
 * nothing: refused, since it is most likely an agent's keys forgotten.
 */
function reportUnusedClouds(r: Reader, clouds: CloudSharedConfigs, agents: readonly AgentConfig[]): void {
    for (const cloud of CLOUDS) {
        if (clouds[cloud.id] === undefined || agents.some((a) => a[cloud.id] !== undefined)) continue;
        const sharedKeys = Object.entries(cloud.config.keys.fields).filter(([, spec]) => spec.scope === "shared");
        r.report(
            cloud.id,
            `holds only the settings agents share (${sharedKeys.map(([k]) => k).join(", ")}), and no agent federates to ${cloud.label}: nothing would be created`,
            `set ${cloud.config.primaryKeysHint} for the primary agent, or ${cloud.id} on an agent class, or remove ${r.key(cloud.id)}`,
        );
    }
}
