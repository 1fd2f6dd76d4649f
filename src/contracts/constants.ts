/**
 * The exact strings every trust contract depends on. Each one is written once, here; a typo in any of them is a
 * deployment that looks healthy and rejects every token. Sources: docs/sources.md
 * (Rais, "Entra Agent ID Across Clouds", Parts 2 and 3, and the Microsoft references listed there).
 */

/** The audience a workload requests (and a FIC must list) for Entra token exchange. URI form. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/**
 * The appId of the first-party "Azure AD Token Exchange" application. Entra normalises the URI above to this GUID,
 * so it is what arrives in the `aud` claim of a managed-identity token (Rais, "Entra Agent ID Across Clouds", Part 2, "The audience claim is a GUID").
 */
export const TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936";

/** Both spellings of the token-exchange audience. Entra treats them as one; GCP and AWS compare byte for byte. */
export const TOKEN_EXCHANGE_AUDIENCE_ALIASES: readonly string[] = [TOKEN_EXCHANGE_AUDIENCE, TOKEN_EXCHANGE_APP_ID];

/** Entra allows at most this many federated identity credentials on one application (Blueprint). */
export const MAX_FICS_PER_APPLICATION = 20;

/** Entra limits a FIC `name` to this many characters, and the name is immutable. */
export const MAX_FIC_NAME_LENGTH = 120;

/** The v2.0 issuer of tokens Entra mints for managed identities and apps in a tenant. */
export function entraV2Issuer(tenantId: string): string {
    return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

/** The v1 issuer (trailing slash included) of access tokens for resources configured for v1 tokens. */
export function entraV1Issuer(tenantId: string): string {
    return `https://sts.windows.net/${tenantId}/`;
}

/**
 * The Graph beta collection of FICs on an Entra Agent ID Blueprint: the path the beta federatedIdentityCredential
 * pages document for an agentIdentityBlueprint. (Graph v1.0 now documents agentIdentityBlueprint too, resource page
 * dated 2026-03-31, but its FIC pages read here document only the plain application path; see
 * docs/entra-federation.md.)
 */
export function blueprintFicCollectionPath(blueprintObjectId: string): string {
    return `/beta/applications/${blueprintObjectId}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials`;
}

/**
 * The least-privileged Graph application permission for each call the Blueprint FIC provider makes, as Microsoft's
 * Graph beta reference lists them under "Permissions for an agentIdentityBlueprint" (federatedIdentityCredential
 * list, get, create, update and delete pages). `all` is the one higher permission every page lists for these calls.
 * Directory.ReadWrite.All is listed as higher too, but the same pages warn that it makes Agent ID writes fail with 403.
 */
export const BLUEPRINT_FIC_GRAPH_PERMISSIONS = {
    list: "AgentIdentityBlueprint.Read.All",
    get: "AgentIdentityBlueprint.Read.All",
    create: "AgentIdentityBlueprint.Create",
    update: "AgentIdentityBlueprint.AddRemoveCreds.All",
    delete: "AgentIdentityBlueprint.DeleteRestore.All",
    all: "AgentIdentityBlueprint.ReadWrite.All",
} as const;

/** The permissions to grant the identity that runs `pulumi up` for Blueprint FICs (every verb above, least privileged). */
export const BLUEPRINT_FIC_GRAPH_PERMISSION = [
    BLUEPRINT_FIC_GRAPH_PERMISSIONS.get,
    BLUEPRINT_FIC_GRAPH_PERMISSIONS.create,
    BLUEPRINT_FIC_GRAPH_PERMISSIONS.update,
    BLUEPRINT_FIC_GRAPH_PERMISSIONS.delete,
].join(", ");

/**
 * Whether an audience (an identifier URI, an appId, or the resource part of a scope) names the token-exchange
 * audience in any spelling Entra resolves to it: either alias, in any letter case (Entra matches identifier URIs
 * and GUIDs without case), with trailing slashes, or the GUID written as `api://<guid>`. The clouds compare byte
 * for byte, but a token minted for any of these spellings is a token-exchange token.
 */
export function isTokenExchangeAudience(audience: string): boolean {
    const bare = audience
        .trim()
        .toLowerCase()
        .replace(/\/+$/, "")
        .replace(/^api:\/\//, "");
    return bare === "azureadtokenexchange" || bare === TOKEN_EXCHANGE_APP_ID;
}
