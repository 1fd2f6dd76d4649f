import { createHash } from "node:crypto";
import { isTokenExchangeAudience } from "./constants";
import { audienceProblem, guidProblem, textProblem } from "./validation";

/**
 * The Microsoft Graph contract of the Entra Agent ID objects this stack can create: an Agent ID Blueprint
 * (an `agentIdentityBlueprint` application), its Blueprint principal (`agentIdentityBlueprintPrincipal`) and Agent
 * Identities (`agentIdentity` service principals). Paths, the permission each call needs, and the validators the
 * providers' `check` and (later) the config parser share. Pure: no Pulumi, no I/O.
 *
 * Graph version: v1.0 for all three objects. Graph v1.0 documents create, get, list, update, delete and sponsors for
 * each (the agentIdentityBlueprint, agentIdentityBlueprintPrincipal and agentIdentity reference pages, dated
 * 2026-02-26 to 2026-03-31), Learn's "Create an agent identity blueprint" uses v1.0, and the Entra PowerShell Agent ID
 * cmdlets went GA on v1.0. (Learn's "Create agent identities" still shows beta; the v1.0 page documents the same body.)
 * Blueprint FICs stay on beta: see blueprintFicCollectionPath.
 */

/** The Graph version the Agent ID object providers call. */
export const AGENT_ID_GRAPH_VERSION = "v1.0";

/** Paths (relative to the Graph root) of every Agent ID call the providers make, as the Graph v1.0 reference spells them. */
export const agentIdGraphPaths = {
    /** POST: create a Blueprint (Graph "Create agentIdentityBlueprint"); GET with $filter: list. */
    blueprints: (): string => "/v1.0/applications/microsoft.graph.agentIdentityBlueprint",
    /** GET: the Blueprints carrying a tag (`tags` supports `$filter` with `eq`, application resource). */
    blueprintsTagged: (tag: string): string =>
        `/v1.0/applications/microsoft.graph.agentIdentityBlueprint?$filter=${encodeURIComponent(`tags/any(t:t eq ${odataLiteral(tag)})`)}`,
    /** GET, PATCH, DELETE one Blueprint by its object id. */
    blueprint: (objectId: string): string => `/v1.0/applications/${objectId}/microsoft.graph.agentIdentityBlueprint`,
    /** GET: a Blueprint's sponsors; POST `/$ref`: add one. */
    blueprintSponsors: (objectId: string): string => `/v1.0/applications/${objectId}/microsoft.graph.agentIdentityBlueprint/sponsors`,
    /** DELETE: remove one sponsor reference. */
    blueprintSponsorRef: (objectId: string, sponsorId: string): string =>
        `/v1.0/applications/${objectId}/microsoft.graph.agentIdentityBlueprint/sponsors/${sponsorId}/$ref`,
    /** POST: create a Blueprint principal (Graph "Create agentIdentityBlueprintPrincipal"). */
    blueprintPrincipals: (): string => "/v1.0/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal",
    /** GET, DELETE one Blueprint principal by its object id. */
    blueprintPrincipal: (objectId: string): string => `/v1.0/servicePrincipals/${objectId}/microsoft.graph.agentIdentityBlueprintPrincipal`,
    /** GET one Blueprint principal by its alternate key, the Blueprint's appId (Graph "Get agentIdentityBlueprintPrincipal"). */
    blueprintPrincipalByAppId: (appId: string): string =>
        `/v1.0/servicePrincipals(appId=${odataLiteral(appId)})/microsoft.graph.agentIdentityBlueprintPrincipal`,
    /** POST: create an Agent Identity (Graph "Create agentIdentity"). */
    agentIdentities: (): string => "/v1.0/servicePrincipals/microsoft.graph.agentIdentity",
    /** GET: the Agent Identities of one Blueprint, by its appId (paged, at most 100 per page). */
    agentIdentitiesOf: (blueprintAppId: string): string =>
        `/v1.0/servicePrincipals/microsoft.graph.agentIdentity?$filter=${encodeURIComponent(`agentIdentityBlueprintId eq ${odataLiteral(blueprintAppId)}`)}`,
    /** GET, PATCH, DELETE one Agent Identity by its object id. */
    agentIdentity: (objectId: string): string => `/v1.0/servicePrincipals/${objectId}/microsoft.graph.agentIdentity`,
    /** GET: an Agent Identity's sponsors; POST `/$ref`: add one. */
    agentIdentitySponsors: (objectId: string): string => `/v1.0/servicePrincipals/${objectId}/microsoft.graph.agentIdentity/sponsors`,
    /** DELETE: remove one sponsor reference. */
    agentIdentitySponsorRef: (objectId: string, sponsorId: string): string =>
        `/v1.0/servicePrincipals/${objectId}/microsoft.graph.agentIdentity/sponsors/${sponsorId}/$ref`,
} as const;

/** An OData string literal: single quotes doubled. */
function odataLiteral(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The `sponsors@odata.bind` entries of a create body: `<root>/v1.0/users/<id>` and `<root>/v1.0/groups/<id>`, as the
 * Graph create examples and Learn's create pages spell them.
 */
export function sponsorBinds(graphEndpoint: string, sponsors: AgentIdSponsors): string[] {
    return [
        ...(sponsors.userIds ?? []).map((id) => `${graphEndpoint}/${AGENT_ID_GRAPH_VERSION}/users/${id}`),
        ...(sponsors.groupIds ?? []).map((id) => `${graphEndpoint}/${AGENT_ID_GRAPH_VERSION}/groups/${id}`),
    ];
}

/** The `@odata.id` of a sponsor reference added after create (Graph "Add sponsors": `/directoryObjects/{id}`). */
export function sponsorReference(graphEndpoint: string, sponsorId: string): { "@odata.id": string } {
    return { "@odata.id": `${graphEndpoint}/${AGENT_ID_GRAPH_VERSION}/directoryObjects/${sponsorId}` };
}

/** The people accountable for an Agent ID object: users and groups, by object id. */
export interface AgentIdSponsors {
    readonly userIds?: readonly string[];
    readonly groupIds?: readonly string[];
}

/** Graph's limits on sponsors ("Add sponsors" pages for agentIdentityBlueprint and agentIdentity). */
export const MAX_SPONSORS = 100;
export const MAX_GROUP_SPONSORS = 5;

/**
 * Problems with the sponsors of a Blueprint or an Agent Identity. "A sponsor is required when creating an agent
 * identity or agent blueprint" and "For app-only create requests, the creating service must set one or more users or
 * groups as the sponsor" (Learn, "Administrative relationships in Microsoft Entra Agent ID"); at most 100 sponsors,
 * at most 5 of them groups, and no service principals (Graph "Add sponsors"). Whether a group is of a kind Graph
 * accepts (Microsoft 365 or dynamic membership, not role-assignable) only the live directory can say.
 */
export function sponsorsProblem(sponsors: AgentIdSponsors): string | undefined {
    const users: readonly unknown[] = sponsors.userIds ?? [];
    const groups: readonly unknown[] = sponsors.groupIds ?? [];
    if (!Array.isArray(users) || !Array.isArray(groups)) return "must be lists of object ids";
    if (users.length + groups.length === 0) {
        return "name no sponsor: Entra requires at least one user or group accountable for the object (sponsorUserIds or sponsorGroupIds)";
    }
    for (const [kind, ids] of [
        ["sponsorUserIds", users],
        ["sponsorGroupIds", groups],
    ] as const) {
        for (const id of ids) {
            const problem = guidProblem(id);
            if (problem) return `${kind} entry ${problem}`;
        }
    }
    const all = [...users, ...groups].map((id) => (id as string).toLowerCase());
    const duplicate = all.find((id, i) => all.indexOf(id) !== i);
    if (duplicate) return `name ${duplicate} twice`;
    if (all.length > MAX_SPONSORS) return `name ${all.length} sponsors; Entra allows at most ${MAX_SPONSORS}`;
    if (groups.length > MAX_GROUP_SPONSORS) return `name ${groups.length} groups; Entra allows at most ${MAX_GROUP_SPONSORS} group sponsors`;
    return undefined;
}

/** Longest display name Graph accepts on an agentIdentityBlueprint ("Maximum length is 256 characters"). */
export const MAX_AGENT_ID_DISPLAY_NAME = 256;
/** Longest description on an agentIdentityBlueprint ("The maximum allowed size is 1,024 characters"). */
export const MAX_AGENT_ID_DESCRIPTION = 1024;

/** Problems with the display name of a Blueprint or an Agent Identity. */
export function agentIdDisplayNameProblem(value: unknown): string | undefined {
    const text = textProblem(value);
    if (text) return text;
    const name = value as string;
    if (name.trim() !== name) return `has leading or trailing whitespace (${JSON.stringify(name)})`;
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return `contains a control character (${JSON.stringify(name)})`;
    if ([...name].length > MAX_AGENT_ID_DISPLAY_NAME) return `is longer than ${MAX_AGENT_ID_DISPLAY_NAME} characters`;
    return undefined;
}

/** Problems with a Blueprint's description (optional). */
export function agentIdDescriptionProblem(value: unknown): string | undefined {
    if (value === undefined || value === "") return undefined;
    if (typeof value !== "string") return `is not a string (got ${JSON.stringify(value)})`;
    // Line breaks and tabs are text; any other control character (NUL, an ESC sequence) is not, and would reach every
    // terminal that lists the object.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(value))
        return `contains a control character other than a line break or tab (${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)})`;
    if ([...value].length > MAX_AGENT_ID_DESCRIPTION) return `is longer than ${MAX_AGENT_ID_DESCRIPTION} characters`;
    return undefined;
}

/**
 * Problems with a Blueprint's identifier URIs (its App ID URIs, e.g. the Option 2 cloud-federation audience). Each
 * is an `api://` or `https://` URI without whitespace or wildcards, never the token-exchange audience (reserved for FIC
 * assertions), and unique without case (Entra resolves identifier URIs without case). Whether the tenant's
 * identifier-URI policy accepts a form (Learn, "Restrictions on identifier URIs": `api://<tenantId>/<name>` is
 * portable, a bare `api://<name>` can be blocked) only the live tenant can say.
 */
export function identifierUrisProblem(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return `is not a list (got ${JSON.stringify(value)})`;
    const seen = new Set<string>();
    for (const uri of value as unknown[]) {
        const problem = audienceProblem(uri);
        if (problem) return `entry ${problem}`;
        const text = uri as string;
        if (!/^(api|https):\/\/[^/]/i.test(text)) return `entry must start with api:// or https:// (got ${JSON.stringify(text)})`;
        if (isTokenExchangeAudience(text)) return `entry ${JSON.stringify(text)} is the token-exchange audience, reserved for FIC assertions`;
        const key = text.toLowerCase().replace(/\/+$/, "");
        if (seen.has(key)) return `names ${JSON.stringify(text)} twice`;
        seen.add(key);
    }
    return undefined;
}

/**
 * The tag this stack writes on each Agent ID object it creates: `agentfed:` and 32 hex characters of a SHA-256 over
 * the Pulumi project, stack, object kind and resource name. Graph has no client-supplied key on a POST of these objects
 * (a Blueprint's `uniqueName` is settable only through the upsert, which needs AgentIdentityBlueprint.ReadWrite.All),
 * so the tag is the alternate key a create looks the object up by before posting, and after an answer that may have
 * committed: a create whose answer was lost is adopted, not duplicated. It also shows an auditor which objects a
 * stack created. Applications and service principals both carry `tags` (Graph resource pages).
 */
export function agentIdCreationTag(project: string, stack: string, kind: AgentIdObjectKind, resourceName: string): string {
    const digest = createHash("sha256")
        .update(JSON.stringify([project, stack, kind, resourceName]))
        .digest("hex");
    return `agentfed:${digest.slice(0, 32)}`;
}

/** Problems with a creation tag (see agentIdCreationTag). */
export function creationTagProblem(value: unknown): string | undefined {
    const text = textProblem(value);
    if (text) return text;
    return /^agentfed:[0-9a-f]{32}$/.test(value as string) ? undefined : `is not agentfed:<32 hex characters> (got ${JSON.stringify(value)})`;
}

/** The Agent ID objects the stack can create. */
export type AgentIdObjectKind = "blueprint" | "blueprintPrincipal" | "agentIdentity";

/** When the identity that runs `pulumi up` needs a permission. */
export type AgentIdPermissionNeed =
    /** every stack that creates the object (create, read, refresh, import, delete) */
    | "always"
    /** a Blueprint declares identifier URIs (e.g. the Option 2 cloud-federation audience) */
    | "identifierUris"
    /** sponsors change after create, or an Agent Identity's sponsors are to be read back on refresh */
    | "sponsorChanges"
    /** an Agent Identity's display name changes after create */
    | "agentIdentityRename";

/** One Graph call a provider makes, with the permission Microsoft's reference lists for it. */
export interface AgentIdGraphCall {
    readonly object: AgentIdObjectKind;
    /** What the provider uses the call for. */
    readonly usedFor: string;
    /** Method and path template (Graph v1.0). */
    readonly request: string;
    /** Least-privileged Microsoft Graph application permission (what the CI deploy identity is granted). */
    readonly application: string;
    /** Least-privileged delegated permission (work or school account), or "not supported". */
    readonly delegated: string;
    /** The higher permissions the same table lists; never needed here. */
    readonly higher: readonly string[];
    readonly needed: AgentIdPermissionNeed;
    /** Whether the permission only reads (what a preview identity may hold too). */
    readonly readOnly: boolean;
    /** The public page the row is read from. */
    readonly source: string;
    /** What the reference leaves open, for a live tenant to confirm. */
    readonly unverified?: string;
}

const GRAPH = "https://learn.microsoft.com/graph/api";

/**
 * Every Graph call of the Agent ID object providers, with the least-privileged permission the Graph reference's
 * permission table lists for it (application and delegated). The CI deploy identity runs `pulumi up` app-only
 * (Microsoft Graph application permissions, admin-consented); Azure CLI user tokens are refused (they carry
 * Directory.AccessAsUser.All, with which "the client's permissions to create, update, and delete Agent IDs are
 * ignored", Graph's Agent ID write pages, "Known issue"). Never grant Directory.ReadWrite.All for the same reason.
 */
export const AGENT_ID_GRAPH_CALLS: readonly AgentIdGraphCall[] = [
    {
        object: "blueprint",
        usedFor: "create a Blueprint with its sponsors and creation tag",
        request: "POST /v1.0/applications/microsoft.graph.agentIdentityBlueprint",
        application: "AgentIdentityBlueprint.Create",
        delegated: "AgentIdentityBlueprint.Create",
        higher: ["AgentIdentityBlueprint.ReadWrite.All"],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprint-post?view=graph-rest-1.0`,
        unverified: "that a create body may carry `tags` (a documented agentIdentityBlueprint property) under AgentIdentityBlueprint.Create",
    },
    {
        object: "blueprint",
        usedFor: "find a Blueprint by its creation tag (before a create, and after an answer that may have committed)",
        request: "GET /v1.0/applications/microsoft.graph.agentIdentityBlueprint?$filter=tags/any(t:t eq '<tag>')",
        application: "AgentIdentityBlueprint.Read.All",
        delegated: "AgentIdentityBlueprint.Read.All",
        higher: ["AgentIdentityBlueprint.ReadWrite.All"],
        readOnly: true,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprint-list?view=graph-rest-1.0`,
    },
    {
        object: "blueprint",
        usedFor: "read, refresh and import a Blueprint",
        request: "GET /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint",
        application: "AgentIdentityBlueprint.Read.All",
        delegated: "AgentIdentityBlueprint.Read.All",
        higher: ["Application.Read.All", "Directory.Read.All"],
        readOnly: true,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprint-get?view=graph-rest-1.0`,
    },
    {
        object: "blueprint",
        usedFor: "read a Blueprint's sponsors (drift on refresh)",
        request: "GET /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint/sponsors",
        application: "AgentIdentityBlueprint.Read.All",
        delegated: "AgentIdentityBlueprint.Read.All",
        higher: ["Application.Read.All", "Directory.Read.All"],
        readOnly: true,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprint-list-sponsors?view=graph-rest-beta`,
        unverified: "the v1.0 page's table (read in an earlier revision) lists Application.Read.All as least privileged instead",
    },
    {
        object: "blueprint",
        usedFor: "update a Blueprint's displayName and description",
        request: "PATCH /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint { displayName, description }",
        application: "AgentIdentityBlueprint.UpdateBranding.All",
        delegated: "AgentIdentityBlueprint.UpdateBranding.All",
        higher: ["AgentIdentityBlueprint.ReadWrite.All"],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprint-update?view=graph-rest-1.0`,
    },
    {
        object: "blueprint",
        usedFor: "set a Blueprint's identifier URIs (App ID URIs)",
        request: "PATCH /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint { identifierUris }",
        application: "AgentIdentityBlueprint.UpdateAuthProperties.All",
        delegated: "AgentIdentityBlueprint.UpdateAuthProperties.All",
        higher: ["AgentIdentityBlueprint.ReadWrite.All"],
        readOnly: false,
        needed: "identifierUris",
        source: "https://learn.microsoft.com/entra/agent-id/create-blueprint#configure-identifier-uri-and-scope",
        unverified:
            "Learn names this permission for identifier URIs and scopes; the Graph update page's table does not list it, and its application permission id is not published: the bootstrap resolves it by name from the tenant's Microsoft Graph service principal",
    },
    {
        object: "blueprint",
        usedFor: "add or remove a Blueprint sponsor after create",
        request: "POST /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint/sponsors/$ref, DELETE …/sponsors/{sponsorId}/$ref",
        application: "Application.ReadWrite.All",
        delegated: "Application.ReadWrite.All",
        higher: [],
        readOnly: false,
        needed: "sponsorChanges",
        source: `${GRAPH}/agentidentityblueprint-post-sponsors?view=graph-rest-beta`,
        unverified: "whether an Agent ID permission suffices (the beta tables list only Application.ReadWrite.All, a tenant-wide application write)",
    },
    {
        object: "blueprint",
        usedFor: "delete a Blueprint (soft delete: restorable for 30 days)",
        request: "DELETE /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint",
        application: "AgentIdentityBlueprint.DeleteRestore.All",
        delegated: "AgentIdentityBlueprint.DeleteRestore.All",
        higher: ["AgentIdentityBlueprint.ReadWrite.All"],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprint-delete?view=graph-rest-1.0`,
    },
    {
        object: "blueprintPrincipal",
        usedFor: "create the Blueprint principal (the Blueprint in this tenant)",
        request: "POST /v1.0/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal { appId }",
        application: "AgentIdentityBlueprintPrincipal.Create",
        delegated: "AgentIdentityBlueprintPrincipal.Create",
        higher: ["AgentIdentityBlueprintPrincipal.ReadWrite.All"],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprintprincipal-post?view=graph-rest-1.0`,
    },
    {
        object: "blueprintPrincipal",
        usedFor: "read, refresh and import the principal, by object id or by the Blueprint's appId",
        request: "GET /v1.0/servicePrincipals/{id}/microsoft.graph.agentIdentityBlueprintPrincipal, GET /v1.0/servicePrincipals(appId='{appId}')/…",
        application: "AgentIdentityBlueprintPrincipal.Read.All",
        delegated: "AgentIdentityBlueprintPrincipal.Read.All",
        higher: ["Application.Read.All"],
        readOnly: true,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprintprincipal-get?view=graph-rest-beta`,
    },
    {
        object: "blueprintPrincipal",
        usedFor: "delete the principal (soft delete: restorable for 30 days)",
        request: "DELETE /v1.0/servicePrincipals/{id}/microsoft.graph.agentIdentityBlueprintPrincipal",
        application: "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
        delegated: "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
        higher: ["AgentIdentityBlueprintPrincipal.ReadWrite.All"],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentityblueprintprincipal-delete?view=graph-rest-1.0`,
    },
    {
        object: "agentIdentity",
        usedFor: "create an Agent Identity under a Blueprint, with its sponsors and creation tag",
        request: "POST /v1.0/servicePrincipals/microsoft.graph.agentIdentity { displayName, agentIdentityBlueprintId, sponsors@odata.bind, tags }",
        application: "AgentIdentity.Create.All",
        delegated: "AgentIdentity.Create.All",
        higher: [],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentity-post?view=graph-rest-1.0`,
        unverified:
            "that a create body may carry `tags` (a documented agentIdentity property). The table's other application permission, AgentIdentity.CreateAsManager, is the Blueprint's own and creates only under itself (Learn error Error_AgentIdentitySelfCreateRequired)",
    },
    {
        object: "agentIdentity",
        usedFor: "find an Agent Identity by its creation tag among its Blueprint's",
        request: "GET /v1.0/servicePrincipals/microsoft.graph.agentIdentity?$filter=agentIdentityBlueprintId eq '<appId>'",
        application: "AgentIdentity.Read.All",
        delegated: "AgentIdentity.Read.All",
        higher: ["AgentIdentity.ReadWrite.All"],
        readOnly: true,
        needed: "always",
        source: `${GRAPH}/agentidentity-list?view=graph-rest-1.0`,
    },
    {
        object: "agentIdentity",
        usedFor: "read, refresh and import an Agent Identity",
        request: "GET /v1.0/servicePrincipals/{id}/microsoft.graph.agentIdentity",
        application: "AgentIdentity.Read.All",
        delegated: "AgentIdentity.Read.All",
        higher: ["Application.Read.All"],
        readOnly: true,
        needed: "always",
        source: `${GRAPH}/agentidentity-get?view=graph-rest-1.0`,
    },
    {
        object: "agentIdentity",
        usedFor: "rename an Agent Identity (displayName)",
        request: "PATCH /v1.0/servicePrincipals/{id}/microsoft.graph.agentIdentity { displayName }",
        application: "AgentIdentity.EnableDisable.All",
        delegated: "AgentIdentity.EnableDisable.All",
        higher: ["AgentIdentity.ReadWrite.All"],
        readOnly: false,
        needed: "agentIdentityRename",
        source: `${GRAPH}/agentidentity-update?view=graph-rest-1.0`,
        unverified:
            "whether EnableDisable.All covers displayName (its name suggests accountEnabled only); if Graph refuses, the table's higher AgentIdentity.ReadWrite.All does",
    },
    {
        object: "agentIdentity",
        usedFor: "read an Agent Identity's sponsors back (drift), add or remove one after create",
        request: "GET /v1.0/servicePrincipals/{id}/microsoft.graph.agentIdentity/sponsors, POST …/sponsors/$ref, DELETE …/sponsors/{sponsorId}/$ref",
        application: "AgentIdentity.ReadWrite.All",
        delegated: "not supported",
        higher: [],
        readOnly: false,
        needed: "sponsorChanges",
        source: `${GRAPH}/agentidentity-post-sponsors?view=graph-rest-1.0`,
        unverified:
            "the list page's table is read from beta (application AgentIdentity.ReadWrite.All only); without it a refresh reports the sponsors as unchecked",
    },
    {
        object: "agentIdentity",
        usedFor: "delete an Agent Identity (soft delete: restorable for 30 days)",
        request: "DELETE /v1.0/servicePrincipals/{id}/microsoft.graph.agentIdentity",
        application: "AgentIdentity.DeleteRestore.All",
        delegated: "AgentIdentity.DeleteRestore.All",
        higher: [],
        readOnly: false,
        needed: "always",
        source: `${GRAPH}/agentidentity-delete?view=graph-rest-beta`,
    },
];

/**
 * The application permission each provider call needs, by object and call, for the providers' 403 messages (like
 * BLUEPRINT_FIC_GRAPH_PERMISSIONS for FICs). Read from AGENT_ID_GRAPH_CALLS.
 */
export const AGENT_ID_GRAPH_PERMISSIONS = {
    blueprint: {
        create: "AgentIdentityBlueprint.Create",
        read: "AgentIdentityBlueprint.Read.All",
        updateBranding: "AgentIdentityBlueprint.UpdateBranding.All",
        updateAuthProperties: "AgentIdentityBlueprint.UpdateAuthProperties.All",
        changeSponsors: "Application.ReadWrite.All",
        delete: "AgentIdentityBlueprint.DeleteRestore.All",
    },
    blueprintPrincipal: {
        create: "AgentIdentityBlueprintPrincipal.Create",
        read: "AgentIdentityBlueprintPrincipal.Read.All",
        delete: "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
    },
    agentIdentity: {
        create: "AgentIdentity.Create.All",
        read: "AgentIdentity.Read.All",
        rename: "AgentIdentity.EnableDisable.All",
        changeSponsors: "AgentIdentity.ReadWrite.All",
        delete: "AgentIdentity.DeleteRestore.All",
    },
} as const;

/** What a stack creates, for the permissions its deploy identity needs. */
export interface AgentIdCreationNeeds {
    /** The stack creates Blueprints and their principals. */
    readonly blueprints: boolean;
    /** The stack creates Agent Identities. */
    readonly agentIdentities: boolean;
    /** A created Blueprint declares identifier URIs. */
    readonly identifierUris?: boolean;
    /** The operator opts in to changing sponsors through the stack (and reading an Agent Identity's back). */
    readonly sponsorChanges?: boolean;
    /** The operator opts in to renaming Agent Identities through the stack. */
    readonly agentIdentityRenames?: boolean;
}

/**
 * The Microsoft Graph application permissions the identity running `pulumi up` needs for what the stack creates, each
 * once, sorted: the least-privileged row of AGENT_ID_GRAPH_CALLS for every call it will make. `preview` gives the
 * read-only subset (enough for `pulumi preview` and refresh). Granting them needs admin consent by a Privileged Role
 * Administrator (AGENT_ID_PERMISSION_GRANTER_ROLE).
 */
export function agentIdGraphPermissions(needs: AgentIdCreationNeeds, access: "deploy" | "preview" = "deploy"): string[] {
    const objects = new Set<AgentIdObjectKind>([
        ...(needs.blueprints ? (["blueprint", "blueprintPrincipal"] as const) : []),
        ...(needs.agentIdentities ? (["agentIdentity"] as const) : []),
    ]);
    const wanted = (need: AgentIdPermissionNeed): boolean =>
        need === "always" ||
        (need === "identifierUris" && needs.identifierUris === true) ||
        (need === "sponsorChanges" && needs.sponsorChanges === true) ||
        (need === "agentIdentityRename" && needs.agentIdentityRenames === true);
    const rows = AGENT_ID_GRAPH_CALLS.filter((c) => objects.has(c.object) && wanted(c.needed) && (access === "deploy" || c.readOnly));
    return [...new Set(rows.map((c) => c.application))].sort();
}

/**
 * The Entra role of the person who runs the CI bootstrap and grants these application permissions: "Privileged Role
 * Administrator role is the least privileged role required to grant Microsoft Graph Application permissions" (Learn,
 * "Create an agent identity blueprint", prerequisites).
 */
export const AGENT_ID_PERMISSION_GRANTER_ROLE = "Privileged Role Administrator";
