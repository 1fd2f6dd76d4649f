/**
 * A Pulumi dynamic provider for Federated Identity Credentials on an Entra Agent ID Blueprint.
 *
 * No Pulumi provider covers Blueprints: Graph v1.0 answers "Agent Blueprints are not supported on the API version
 * used in this request", so FICs are managed through the beta path
 * `/beta/applications/{objectId}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials`, with an
 * app-only token holding `AgentIdentityBlueprint.AddRemoveCreds.All`. Azure CLI user tokens carry
 * `Directory.AccessAsUser.All` and are refused, so the default credential chain deliberately omits the CLI.
 *
 * Pulumi serializes this provider's closure into the state file, so the file imports only types and the pure
 * validators, and loads `@azure/identity` with `require` at call time.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    blueprintFicCollectionPath,
    BLUEPRINT_FIC_GRAPH_PERMISSION,
    ficAudiencesProblem,
    ficNameProblem,
    guidProblem,
    issuerProblem,
    subjectProblem,
} from "../contracts";

/** The inputs of one Blueprint FIC. */
export interface BlueprintFicInputs {
    /** Graph root, e.g. https://graph.microsoft.com. */
    readonly graphEndpoint: string;
    /** Object id of the Blueprint application. */
    readonly blueprintObjectId: string;
    /** Immutable FIC name. */
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
    readonly description?: string;
}

/** What the provider stores in state: the inputs and the id Graph assigned. */
export interface BlueprintFicOutputs extends BlueprintFicInputs {
    readonly credentialId: string;
}

/** Returns a bearer token for Graph (scope `<graphEndpoint>/.default`). */
export type GraphTokenSource = (graphEndpoint: string) => Promise<string>;

/** A Graph answer other than success, carrying what a user needs to act on it. */
export class GraphRequestError extends Error {
    constructor(
        message: string,
        public readonly status: number,
        public readonly code: string | undefined,
    ) {
        super(message);
        this.name = "GraphRequestError";
    }
}

/** Fields Graph lets us change in place; everything else forces a replacement. */
const UPDATABLE = ["issuer", "subject", "audiences", "description"] as const;
/** Changing any of these means a different FIC: Graph's name is immutable and the parent cannot move. */
const REPLACE_ON = ["graphEndpoint", "blueprintObjectId", "name"] as const;

/**
 * The default token source: app-only credentials only. Order: a service principal from the environment
 * (AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), a workload identity
 * token file (AZURE_FEDERATED_TOKEN_FILE, e.g. GitHub Actions OIDC), then a managed identity.
 */
export const appOnlyGraphToken: GraphTokenSource = async (graphEndpoint) => {
    // Loaded at call time: this function is serialized into state by Pulumi.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    const credential = new identity.ChainedTokenCredential(
        new identity.EnvironmentCredential(),
        new identity.WorkloadIdentityCredential(),
        new identity.ManagedIdentityCredential(process.env.AZURE_CLIENT_ID ? { clientId: process.env.AZURE_CLIENT_ID } : {}),
    );
    try {
        const token = await credential.getToken(`${graphEndpoint}/.default`);
        return token.token;
    } catch (err) {
        throw new Error(
            `Could not get an app-only Microsoft Graph token to manage Blueprint FICs (${(err as Error).message}). ` +
                `Run pulumi with a service principal holding ${BLUEPRINT_FIC_GRAPH_PERMISSION}: set AZURE_TENANT_ID, AZURE_CLIENT_ID and ` +
                "AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE for OIDC). Azure CLI logins are refused by Graph for Blueprints.",
            { cause: err },
        );
    }
};

function explain(status: number, code: string | undefined, message: string, method: string, url: string): string {
    const where = `${method} ${url} answered ${status}${code ? ` ${code}` : ""}: ${message}`;
    if (status === 401 || status === 403) {
        return `${where}\nThe caller needs an app-only Graph token with ${BLUEPRINT_FIC_GRAPH_PERMISSION} (admin-consented). Tokens carrying Directory.AccessAsUser.All (Azure CLI) are refused.`;
    }
    if (status === 409) {
        return `${where}\nA FIC with this name, or with this issuer+subject pair, already exists on the Blueprint. List them with GET ${url}, then delete the stray one or adopt it with the resource option import: "<blueprintObjectId>/federatedIdentityCredentials/<id>".`;
    }
    if (status === 404) {
        return `${where}\nNo Blueprint with this object id: check agentfed:blueprint.objectId (the application's object id, not its appId).`;
    }
    if (status === 400 && /not supported on the API version/i.test(message)) {
        return `${where}\nThis endpoint must be Graph beta with the microsoft.graph.agentIdentityBlueprint cast.`;
    }
    if (status === 400 && /limit|maximum/i.test(message)) {
        return `${where}\nAn application holds at most 20 FICs; remove unused ones from the Blueprint.`;
    }
    return where;
}

async function graphRequest(
    getToken: GraphTokenSource,
    graphEndpoint: string,
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
    const url = `${graphEndpoint}${path}`;
    const token = await getToken(graphEndpoint);
    for (let attempt = 1; ; attempt++) {
        const response = await fetch(url, {
            method,
            headers: {
                authorization: `Bearer ${token}`,
                accept: "application/json",
                ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        let json: Record<string, unknown> | undefined;
        try {
            json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        } catch {
            json = undefined;
        }
        if (response.ok) return { status: response.status, json };
        // Throttling and transient faults: bounded retries honouring Retry-After.
        if ((response.status === 429 || response.status >= 500) && attempt < 4) {
            const retryAfter = Number(response.headers.get("retry-after"));
            const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 500 * 2 ** attempt;
            await new Promise((resolve) => setTimeout(resolve, waitMs));
            continue;
        }
        if (response.status === 404 && method === "GET") return { status: 404, json };
        if (response.status === 404 && method === "DELETE") return { status: 404, json };
        const error = (json?.error ?? {}) as { code?: string; message?: string };
        throw new GraphRequestError(explain(response.status, error.code, error.message ?? text, method, url), response.status, error.code);
    }
}

function ficPath(blueprintObjectId: string, credentialId?: string): string {
    return `${blueprintFicCollectionPath(blueprintObjectId)}${credentialId ? `/${credentialId}` : ""}`;
}

/** Splits a provider id `<blueprintObjectId>/federatedIdentityCredentials/<credentialId>`. */
export function parseBlueprintFicId(id: string): { blueprintObjectId: string; credentialId: string } {
    const match = /^([0-9a-f-]{36})\/federatedIdentityCredentials\/([^/]+)$/i.exec(id);
    if (!match) throw new Error(`Unexpected Blueprint FIC id ${JSON.stringify(id)}; expected <blueprintObjectId>/federatedIdentityCredentials/<credentialId>`);
    return { blueprintObjectId: match[1]!, credentialId: match[2]! };
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
    return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function fromGraph(inputs: Pick<BlueprintFicInputs, "graphEndpoint" | "blueprintObjectId">, json: Record<string, unknown>): BlueprintFicOutputs {
    return {
        graphEndpoint: inputs.graphEndpoint,
        blueprintObjectId: inputs.blueprintObjectId,
        credentialId: String(json.id),
        name: String(json.name),
        issuer: String(json.issuer),
        subject: String(json.subject),
        audiences: Array.isArray(json.audiences) ? json.audiences.map(String) : [],
        ...(typeof json.description === "string" && json.description !== "" ? { description: json.description } : {}),
    };
}

/** Builds the provider. Tests pass a token source and point `graphEndpoint` at a local server standing in for Graph. */
export function blueprintFicProvider(getToken: GraphTokenSource = appOnlyGraphToken): pulumi.dynamic.ResourceProvider {
    return {
        check(_olds, news) {
            const failures: { property: string; reason: string }[] = [];
            const rules: [string, string | undefined][] = [
                ["graphEndpoint", issuerProblem(news.graphEndpoint)],
                ["blueprintObjectId", guidProblem(news.blueprintObjectId)],
                ["name", ficNameProblem(news.name)],
                ["issuer", issuerProblem(news.issuer)],
                ["subject", subjectProblem(news.subject)],
                ["audiences", ficAudiencesProblem(news.audiences)],
            ];
            for (const [property, reason] of rules) if (reason) failures.push({ property, reason: `${property} ${reason}` });
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id, olds: BlueprintFicOutputs, news: BlueprintFicInputs) {
            const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
            const updates = UPDATABLE.filter((k) => (k === "audiences" ? !sameList(olds.audiences, news.audiences) : (olds[k] ?? "") !== (news[k] ?? "")));
            return Promise.resolve({
                changes: replaces.length + updates.length > 0,
                replaces: [...replaces],
                // issuer+subject must stay unique on the Blueprint: the old FIC goes before the new one is created.
                deleteBeforeReplace: true,
                stables: ["credentialId"],
            });
        },

        async create(inputs: BlueprintFicInputs) {
            const body = {
                name: inputs.name,
                issuer: inputs.issuer,
                subject: inputs.subject,
                audiences: inputs.audiences,
                description: inputs.description ?? "",
            };
            const { json } = await graphRequest(getToken, inputs.graphEndpoint, "POST", ficPath(inputs.blueprintObjectId), body);
            if (!json || typeof json.id !== "string") throw new Error(`Graph created the FIC ${inputs.name} but returned no id`);
            const outs = fromGraph(inputs, json);
            return { id: `${inputs.blueprintObjectId}/federatedIdentityCredentials/${outs.credentialId}`, outs };
        },

        async read(id, props?: BlueprintFicOutputs) {
            const { blueprintObjectId, credentialId } = parseBlueprintFicId(id);
            const graphEndpoint = props?.graphEndpoint ?? "https://graph.microsoft.com";
            const { status, json } = await graphRequest(getToken, graphEndpoint, "GET", ficPath(blueprintObjectId, credentialId));
            // Gone from Graph: an empty result tells Pulumi the resource no longer exists (refresh drops it).
            if (status === 404 || !json) return {};
            return { id, props: fromGraph({ graphEndpoint, blueprintObjectId }, json) };
        },

        async update(id, olds: BlueprintFicOutputs, news: BlueprintFicInputs) {
            const { blueprintObjectId, credentialId } = parseBlueprintFicId(id);
            const patch = { issuer: news.issuer, subject: news.subject, audiences: news.audiences, description: news.description ?? "" };
            await graphRequest(getToken, news.graphEndpoint, "PATCH", ficPath(blueprintObjectId, credentialId), patch);
            return { outs: { ...news, credentialId: olds.credentialId } satisfies BlueprintFicOutputs };
        },

        async delete(id, props: BlueprintFicOutputs) {
            const { blueprintObjectId, credentialId } = parseBlueprintFicId(id);
            // 404 is success: the FIC is already gone.
            await graphRequest(getToken, props.graphEndpoint, "DELETE", ficPath(blueprintObjectId, credentialId));
        },
    };
}
