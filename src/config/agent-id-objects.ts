/**
 * Create mode: the Entra Agent ID objects the stack creates itself instead of naming by id. A Blueprint given by
 * `displayName` and `sponsors` (instead of `appId` and `objectId`) is created with its Blueprint principal; an Agent
 * Identity given by `displayName` (instead of `objectId` and `clientId`) is created under its agent's Blueprint.
 *
 * The ids of a created object exist only once it does, so config holds a stand-in for each: `created:<key>#<field>`
 * (`created:blueprint#appId`, `created:agentClasses[0].agentIdentity#objectId`). Config checks that compare ids
 * (uniqueness, a Blueprint shared by Option 2 agents, FIC counts per Blueprint) work on the stand-ins unchanged, since
 * each names one object; GUID checks skip them. src/stack-args.ts replaces every stand-in by the Output of the created
 * resource, so no stand-in reaches a resource, an output or a contract (test/create-mode.test.ts proves it).
 */
import { AgentIdSponsors, agentIdDescriptionProblem, agentIdDisplayNameProblem, identifierUrisProblem, sponsorsProblem } from "../contracts";
import { guid, isJsonObject, Json, JsonObject, Reader } from "./reader";
import { list, object, text, value } from "./spec";

/** What the stack creates for a Blueprint given in create mode. */
export interface BlueprintCreateConfig {
    /** Where it is declared: `blueprint` or `agentClasses[i].blueprint`; names the stand-in ids. */
    readonly key: string;
    readonly displayName: string;
    readonly description: string | undefined;
    /** The people accountable for it (object ids, lowercase). */
    readonly sponsors: AgentIdSponsors;
    /** App ID URIs declared on it besides the Option 2 audiences the stack adds. */
    readonly identifierUris: readonly string[];
}

/** What the stack creates for an Agent Identity given in create mode. */
export interface AgentIdentityCreateConfig {
    readonly displayName: string;
    /** The people accountable for it: its own `sponsors`, else its Blueprint's when the stack creates that too. */
    readonly sponsors: AgentIdSponsors;
}

const CREATED = /^created:([^#]+)#(appId|objectId|clientId)$/;

/** The stand-in for an id of an object the stack creates (see the module comment). */
export function createdId(key: string, field: "appId" | "objectId" | "clientId"): string {
    return `created:${key}#${field}`;
}

/** Which created object and field a stand-in names; undefined for a real id. */
export function parseCreatedId(id: string): { key: string; field: "appId" | "objectId" | "clientId" } | undefined {
    const m = CREATED.exec(id);
    return m ? { key: m[1]!, field: m[2] as "appId" | "objectId" | "clientId" } : undefined;
}

/** An id for a message: the GUID, or "created by this stack (<key>)" for a stand-in, which names no object a reader can find. */
export function describeId(id: string): string {
    const created = parseCreatedId(id);
    return created ? `created by this stack (${created.key})` : id;
}

const GUID_LIST = (summary: string) => list({ summary }, value("GUID", { summary: "An object id." }));

/** `sponsors` of a created Blueprint or Agent Identity. */
export const SPONSORS_KEYS = object(
    {
        summary: "The people accountable for the object (Entra Agent ID sponsors): users and groups, by object id.",
        rule: "at least one user or group; at most 100, at most 5 groups (Microsoft 365 or dynamic-membership, not role-assignable); no service principal; no id twice",
        example: { userIds: ["66666666-6666-4666-8666-666666666666"] },
    },
    {
        userIds: GUID_LIST("Object ids of sponsoring users."),
        groupIds: GUID_LIST("Object ids of sponsoring groups."),
    },
);

/** The create-mode keys of a Blueprint, beside `appId` and `objectId` (the top-level `blueprint` and a class's). */
export const BLUEPRINT_CREATE_KEYS = {
    displayName: text({
        summary: "Create mode: the display name of the Agent ID Blueprint the stack creates, instead of naming one by appId and objectId.",
        required: "with sponsors, instead of appId and objectId",
        rule: "at most 256 characters, no leading or trailing whitespace or control character; kind must be agentIdentityBlueprint",
        example: "Weather agent (prod)",
        see: "entra-federation.md#create-mode-or-ids-mode",
    }),
    description: text({
        summary: "Create mode: the created Blueprint's description.",
        rule: "at most 1,024 characters; no control character but line breaks and tabs",
    }),
    sponsors: { ...SPONSORS_KEYS, required: "with displayName" },
    identifierUris: list(
        {
            summary: "Create mode: further App ID URIs on the created Blueprint; each Option 2 agent's cloud-federation audience on it is added by itself.",
            rule: "api:// or https://, no whitespace or wildcard, never the token-exchange audience, each once without case; only on a Blueprint the stack creates",
            example: ["api://11111111-1111-1111-1111-111111111111/agentfed-weather"],
        },
        text({ summary: "One identifier URI." }),
    ),
} as const;

/** The create-mode keys of an Agent Identity, beside `objectId` and `clientId`. */
export const AGENT_IDENTITY_CREATE_KEYS = {
    displayName: text({
        summary:
            "Create mode: the display name of the Agent Identity the stack creates under the agent's Blueprint, instead of naming one by objectId and clientId.",
        required: "instead of objectId and clientId",
        rule: "at most 256 characters, no leading or trailing whitespace or control character; the agent's Blueprint must be an agentIdentityBlueprint",
        example: "Weather agent (prod)",
        see: "entra-federation.md#create-mode-or-ids-mode",
    }),
    sponsors: { ...SPONSORS_KEYS, defaultText: "the Blueprint's sponsors, when the stack creates the Blueprint too" },
} as const;

/** Parses `sponsors`; undefined (reported) when unusable. */
function parseSponsors(r: Reader, at: string, raw: Json | undefined): AgentIdSponsors | undefined {
    if (!isJsonObject(raw)) {
        r.report(at, `must be an object (got ${JSON.stringify(raw)})`, `write ${r.key(at)} as { userIds: [<object id>], groupIds: [<object id>] }`);
        return undefined;
    }
    r.onlyKnownFields(at, raw, Object.keys(SPONSORS_KEYS.fields));
    const ids = (field: "userIds" | "groupIds"): string[] => {
        const v = raw[field];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v)) {
            r.report(`${at}.${field}`, "must be a list of object ids", `write ${r.key(`${at}.${field}`)} as a YAML list of GUIDs`);
            return [];
        }
        return v.map((id, i) =>
            guid(r, `${at}.${field}[${i}]`, id, field === "userIds" ? "object id of a sponsoring user" : "object id of a sponsoring group"),
        );
    };
    const sponsors = { userIds: ids("userIds"), groupIds: ids("groupIds") };
    if ([...sponsors.userIds, ...sponsors.groupIds].some((id) => id === "")) return undefined;
    const problem = sponsorsProblem(sponsors);
    if (problem)
        r.report(at, problem, "name at least one user (sponsors.userIds) accountable for the object; at most 100 sponsors, at most 5 groups, each once");
    return problem ? undefined : sponsors;
}

function displayName(r: Reader, at: string, raw: Json | undefined): string {
    const problem = agentIdDisplayNameProblem(raw);
    if (problem) r.report(at, problem, "set a display name of at most 256 characters, e.g. Weather agent (prod)");
    return typeof raw === "string" ? raw : "";
}

const BLUEPRINT_CREATE_ONLY = ["displayName", "description", "sponsors", "identifierUris"] as const;

/**
 * A Blueprint's ids mode or create mode (`at` is `blueprint` or `agentClasses[i].blueprint`): its appId and objectId,
 * real or stand-ins, and what to create. Any create-mode key makes it create mode; appId or objectId beside one is
 * refused, naming both forms.
 */
export function parseBlueprintIds(
    r: Reader,
    at: string,
    obj: JsonObject,
    kind: string,
    ids: { appIdWhat: string; objectIdWhat: string },
): { appId: string; objectId: string; create?: BlueprintCreateConfig } {
    const createKeys = BLUEPRINT_CREATE_ONLY.filter((k) => obj[k] !== undefined && obj[k] !== null);
    if (createKeys.length === 0) {
        return { appId: guid(r, `${at}.appId`, obj.appId, ids.appIdWhat), objectId: guid(r, `${at}.objectId`, obj.objectId, ids.objectIdWhat) };
    }
    const both =
        "either name an existing Blueprint by appId and objectId (ids mode), or give displayName and sponsors and let the stack create it (create mode), not both";
    for (const idKey of ["appId", "objectId"] as const)
        if (obj[idKey] !== undefined && obj[idKey] !== null)
            r.report(`${at}.${idKey}`, `is set together with ${createKeys.join(", ")}`, `${both}; remove ${idKey} to create the Blueprint here`);
    if (kind !== "agentIdentityBlueprint")
        r.report(
            `${at}.kind`,
            `is ${JSON.stringify(kind)}, but ${createKeys.join(", ")} ask the stack to create the Blueprint, and it creates only Agent ID Blueprints`,
            `set kind: agentIdentityBlueprint, or name the existing application by appId and objectId`,
        );
    if (obj.displayName === undefined || obj.displayName === null)
        r.report(
            `${at}.displayName`,
            `is not set, but ${createKeys.join(", ")} ${createKeys.length > 1 ? "are" : "is"}`,
            `${both}; set displayName to create it`,
        );
    const name = displayName(r, `${at}.displayName`, obj.displayName ?? "");
    const description = r.text(`${at}.description`, obj.description);
    const descriptionProblem = agentIdDescriptionProblem(description);
    if (descriptionProblem) r.report(`${at}.description`, descriptionProblem, "write plain text of at most 1,024 characters (line breaks and tabs allowed)");
    let sponsors: AgentIdSponsors | undefined;
    if (obj.sponsors === undefined || obj.sponsors === null)
        r.report(
            `${at}.sponsors`,
            "is not set; Entra requires at least one sponsor (a person or group accountable for the Blueprint) on every Blueprint an application creates",
            `set ${r.key(`${at}.sponsors`)} to { userIds: [<object id of the accountable person>] } (az ad user show --id <upn> --query id)`,
        );
    else sponsors = parseSponsors(r, `${at}.sponsors`, obj.sponsors);
    const uris = obj.identifierUris === undefined || obj.identifierUris === null ? [] : obj.identifierUris;
    const urisProblem = identifierUrisProblem(uris);
    if (urisProblem)
        r.report(`${at}.identifierUris`, urisProblem, "list api://<tenantId>/<name> or https:// URIs, each once, never api://AzureADTokenExchange");
    return {
        appId: createdId(at, "appId"),
        objectId: createdId(at, "objectId"),
        create: {
            key: at,
            displayName: name,
            description: description === "" ? undefined : description,
            sponsors: sponsors ?? {},
            identifierUris: urisProblem ? [] : (uris as string[]),
        },
    };
}

/**
 * An Agent Identity's create mode (`displayName` instead of `objectId` and `clientId`), or undefined in ids mode.
 * Reports a mix of the two forms at the id keys. Sponsors default later, to the Blueprint's (agentIdentityCreation).
 */
export function parseAgentIdentityCreation(r: Reader, at: string, obj: JsonObject): { displayName: string; sponsors: AgentIdSponsors | undefined } | undefined {
    if ((obj.displayName === undefined || obj.displayName === null) && (obj.sponsors === undefined || obj.sponsors === null)) return undefined;
    for (const idKey of ["objectId", "clientId"] as const)
        if (obj[idKey] !== undefined && obj[idKey] !== null)
            r.report(
                `${at}.${idKey}`,
                "is set together with displayName",
                `either name an existing Agent Identity by objectId and clientId (ids mode), or give displayName and let the stack create it (create mode), not both; remove ${idKey} to create it here`,
            );
    if (obj.displayName === undefined || obj.displayName === null)
        r.report(
            `${at}.displayName`,
            "is not set, but sponsors is",
            "set displayName to have the stack create the Agent Identity, or remove sponsors and name it by objectId and clientId",
        );
    const name = displayName(r, `${at}.displayName`, obj.displayName ?? "");
    const sponsors = obj.sponsors === undefined || obj.sponsors === null ? undefined : parseSponsors(r, `${at}.sponsors`, obj.sponsors);
    return { displayName: name, sponsors };
}

/**
 * What the stack creates for an agent's Agent Identity in create mode: its sponsors default to its Blueprint's when
 * the stack creates that too; otherwise they are required. An Agent Identity can be created only under an Agent ID
 * Blueprint.
 */
export function agentIdentityCreation(
    r: Reader,
    at: string,
    creation: { displayName: string; sponsors: AgentIdSponsors | undefined },
    blueprint: { kind: string; create?: BlueprintCreateConfig },
    blueprintKey: string,
): AgentIdentityCreateConfig {
    if (blueprint.kind !== "agentIdentityBlueprint")
        r.report(
            `${at}.displayName`,
            `asks the stack to create an Agent Identity, but ${r.key(`${blueprintKey}.kind`)} is ${JSON.stringify(blueprint.kind)}: Agent Identities are created only under an Agent ID Blueprint`,
            "use an agentIdentityBlueprint for this agent, or name an existing Agent Identity by objectId and clientId",
        );
    const sponsors = creation.sponsors ?? blueprint.create?.sponsors;
    if (sponsors === undefined)
        r.report(
            `${at}.sponsors`,
            "is not set, and the agent's Blueprint is not created by this stack to lend its sponsors; Entra requires at least one sponsor on every Agent Identity an application creates",
            `set ${r.key(`${at}.sponsors`)} to { userIds: [<object id of the accountable person>] }`,
        );
    return { displayName: creation.displayName, sponsors: sponsors ?? {} };
}
