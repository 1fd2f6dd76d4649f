/**
 * A Pulumi dynamic provider for an Entra Agent ID Blueprint principal: the `agentIdentityBlueprintPrincipal` service
 * principal that makes a Blueprint usable in this tenant, through Graph v1.0
 * (https://learn.microsoft.com/graph/api/resources/agentidentityblueprintprincipal?view=graph-rest-1.0).
 *
 * It must exist before any Agent Identity is created from the Blueprint (Learn error
 * `AgentIdentity_AgentBlueprintPrincipalDoesNotExist`), and a Blueprint's own tokens name it in `oid`. Learn's
 * "Create an agent identity blueprint" creates it with an explicit POST (only the admin center's wizard creates both),
 * so the stack does too.
 *
 * Lifecycle:
 *  - create: `POST /v1.0/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal { appId }`. The principal's
 *    alternate key is the Blueprint's appId (Graph "Get agentIdentityBlueprintPrincipal": addressable "using either its
 *    id or appId"), and there is one per appId: create looks it up by appId first and adopts it (a principal the admin
 *    center, or an earlier run whose answer was lost, created), and a 409 "already in use" is resolved the same way.
 *    A Blueprint created seconds earlier may not be visible yet: the POST is retried within the consistency window.
 *    Sponsors: "Agent blueprint principals are exempt from the sponsor requirement during creation" (Learn,
 *    "Administrative relationships in Microsoft Entra Agent ID"); the Blueprint carries the accountability.
 *  - read (refresh, import by object id): `GET …/{id}/microsoft.graph.agentIdentityBlueprintPrincipal`.
 *    `accountEnabled` is reported, never enforced: a sponsor disabling the principal during an incident must not be
 *    undone by the next `pulumi up`.
 *  - update: nothing to update; a different appId is a different principal (replace).
 *  - delete: a soft delete ("restored within 30 days", Graph "Delete agentIdentityBlueprintPrincipal"), no purge.
 *    Deleting it also soft-deletes the Blueprint's Agent Identities in the background (Learn, "Agent identity
 *    deletion"); Pulumi deletes the stack's own Agent Identities first, as they depend on it.
 *
 * Serialized into Pulumi state like the other providers: types, pure contracts and the shared Graph client only.
 */
import type * as pulumi from "@pulumi/pulumi";
import { AGENT_ID_GRAPH_PERMISSIONS, agentIdGraphPaths, guidProblem, issuerProblem } from "../contracts";
import { notVisibleYet, refusal, refused, stillReplicating } from "./agent-id-common";
import {
    answered,
    appOnlyGraphTokenSource,
    beginCall,
    Call,
    configuredGraphEndpoint,
    createIdempotently,
    DEFAULT_GRAPH_ENDPOINT,
    DEFAULT_RETRY_POLICY,
    entityOf,
    GraphProviderOptions,
    graphError,
    graphRequestError,
    GraphTokenSource,
    isUnknownInput,
    jsonOf,
    RetryPolicy,
    sendIdempotent,
    systemClock,
} from "./graph-client";

/** The inputs of one Blueprint principal. */
export interface BlueprintPrincipalInputs {
    /** Graph root, e.g. https://graph.microsoft.com. */
    readonly graphEndpoint: string;
    /** The Blueprint's appId (client id), not its object id. */
    readonly blueprintAppId: string;
}

/** What the provider stores in state. */
export interface BlueprintPrincipalOutputs extends BlueprintPrincipalInputs {
    /** The principal's object id (the Pulumi id): the `oid` of the Blueprint's own tokens in this tenant. */
    readonly objectId: string;
    /** The principal's appId, equal to blueprintAppId. */
    readonly appId: string;
    readonly displayName: string;
    /** Observed, never enforced: false when someone disabled the principal (its Blueprint then gets no tokens). */
    readonly accountEnabled: boolean;
    /** ISO time of the create; read keeps a principal this young in state even if Graph does not show it yet. */
    readonly createdAt?: string;
}

interface GraphPrincipal {
    readonly id: string;
    readonly appId: string;
    readonly displayName: string;
    readonly accountEnabled: boolean;
}

function principalOf(json: Record<string, unknown> | undefined): GraphPrincipal | undefined {
    const e = entityOf(json);
    if (!e) return undefined;
    const type = e["@odata.type"];
    if (type !== undefined && type !== "#microsoft.graph.agentIdentityBlueprintPrincipal" && type !== "microsoft.graph.agentIdentityBlueprintPrincipal")
        return undefined;
    const { id, appId, displayName, accountEnabled } = e;
    if (typeof id !== "string" || id === "" || typeof appId !== "string" || appId === "") return undefined;
    return { id, appId, displayName: typeof displayName === "string" ? displayName : "", accountEnabled: accountEnabled !== false };
}

const CREATE_RETRY_HINT = "Run pulumi up again: the next create first looks the principal up by the Blueprint's appId, so one Graph created is adopted.";

/**
 * Builds the provider. Tests pass a token source, a clock and a short retry policy, and point `graphEndpoint` at a
 * loopback server standing in for Graph.
 */
export function blueprintPrincipalProvider(
    getToken: GraphTokenSource = appOnlyGraphTokenSource("manage Agent ID Blueprint principals", Object.values(AGENT_ID_GRAPH_PERMISSIONS.blueprintPrincipal)),
    options: GraphProviderOptions = {},
): pulumi.dynamic.ResourceProvider {
    const clock = options.clock ?? systemClock();
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const settings: { graphEndpoint: string | undefined } = { graphEndpoint: undefined };
    const begin = (graphEndpoint: string): Call => beginCall(getToken, clock, policy, graphEndpoint);
    const P = AGENT_ID_GRAPH_PERMISSIONS.blueprintPrincipal;

    /** The principal of this appId, by the alternate key; undefined on 404 (none, or not visible yet). */
    async function findByAppId(call: Call, appId: string): Promise<GraphPrincipal | undefined> {
        const path = agentIdGraphPaths.blueprintPrincipalByAppId(appId);
        const answer = await sendIdempotent(call, "GET", path);
        if (answered(answer, 404)) return undefined;
        const principal = answered(answer, 200) ? principalOf(jsonOf(answer)) : undefined;
        if (principal) return principal;
        if (answered(answer, 200))
            throw graphRequestError(`GET ${call.graphEndpoint}${path} answered 200 with a body that is not a Blueprint principal.`, 200, undefined);
        throw refused(call, "GET", path, answer, P.read);
    }

    function outputsOf(graphEndpoint: string, blueprintAppId: string, p: GraphPrincipal, createdAt: string | undefined): BlueprintPrincipalOutputs {
        return {
            graphEndpoint,
            blueprintAppId,
            objectId: p.id,
            appId: p.appId,
            displayName: p.displayName,
            accountEnabled: p.accountEnabled,
            ...(createdAt ? { createdAt } : {}),
        };
    }

    return {
        configure(req) {
            settings.graphEndpoint = configuredGraphEndpoint(req.config);
            return Promise.resolve();
        },

        check(_olds, news) {
            const failures: { property: string; reason: string }[] = [];
            for (const [property, rule] of [
                ["graphEndpoint", issuerProblem],
                ["blueprintAppId", guidProblem],
            ] as const) {
                const value: unknown = news[property];
                const reason = isUnknownInput(value) ? undefined : rule(value);
                if (reason) failures.push({ property, reason: `${property} ${reason}` });
            }
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id, olds: BlueprintPrincipalOutputs, news: BlueprintPrincipalInputs) {
            const replaces =
                isUnknownInput(news.blueprintAppId) || olds.blueprintAppId.toLowerCase() !== news.blueprintAppId.toLowerCase() ? ["blueprintAppId"] : [];
            const updates = (olds.graphEndpoint ?? "") !== news.graphEndpoint ? ["graphEndpoint"] : [];
            return Promise.resolve({ changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false });
        },

        async create(inputs: BlueprintPrincipalInputs) {
            const call = begin(inputs.graphEndpoint);
            const path = agentIdGraphPaths.blueprintPrincipals();
            const { object } = await createIdempotently(call, {
                path,
                body: { appId: inputs.blueprintAppId },
                parse: principalOf,
                lookup: (c) => findByAppId(c, inputs.blueprintAppId),
                // A second principal for one appId: 409 "… service principal name <appId> is already in use".
                exists: (a) => answered(a, 409) || (answered(a, 400) && /already (in use|exists?)/i.test(graphError(a).message)),
                // A Blueprint created seconds ago: Graph cannot see the appId yet (a new application's service principal
                // is refused with "does not reference a valid application object" until it replicates).
                notYetVisible: (a) =>
                    answered(a, 404) || (answered(a, 400) && /does not reference a valid application|does not exist|not present/i.test(graphError(a).message)),
                explain: (a) => {
                    const text = refusal(call, "POST", path, a, P.create);
                    return graphError(a).code === "AgentBlueprintPrincipal_RequireAgentBlueprint"
                        ? `${text}\nApplication ${inputs.blueprintAppId} is not an Agent ID Blueprint: a Blueprint principal is created only for a Blueprint's appId.`
                        : text;
                },
                stillInvisible: (a) =>
                    `${refusal(call, "POST", path, a, P.create)}\nEntra still does not show an application with appId ${inputs.blueprintAppId} after ` +
                    `${Math.round((clock.now() - call.startedAt) / 1000)} s. A Blueprint created moments ago takes time to replicate: run pulumi up again in a few minutes. ` +
                    "If it persists, check that blueprintAppId is the Blueprint's appId, not its object id.",
                retryHint: CREATE_RETRY_HINT,
            });
            const createdAt = new Date(clock.now()).toISOString();
            return { id: object.id, outs: outputsOf(inputs.graphEndpoint, inputs.blueprintAppId, object, createdAt) };
        },

        async read(id, props?: Partial<BlueprintPrincipalOutputs>) {
            const graphEndpoint = props?.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT;
            const call = begin(graphEndpoint);
            const path = agentIdGraphPaths.blueprintPrincipal(id);
            const answer = await sendIdempotent(call, "GET", path);
            if (answered(answer, 404)) {
                if (props?.createdAt && stillReplicating(props.createdAt, clock.now(), policy.consistencyWindowMs)) {
                    throw notVisibleYet(`the Blueprint principal ${id}`, props.createdAt, policy.consistencyWindowMs, answer);
                }
                return {};
            }
            if (!answered(answer, 200)) throw refused(call, "GET", path, answer, P.read);
            const principal = principalOf(jsonOf(answer));
            if (!principal) {
                throw graphRequestError(
                    `GET ${graphEndpoint}${path} answered 200 with a body that is not an agentIdentityBlueprintPrincipal; the principal stays in state.`,
                    200,
                    undefined,
                );
            }
            // blueprintAppId comes from Graph: a principal is its Blueprint's, whatever the state said.
            return { id: principal.id, props: outputsOf(graphEndpoint, principal.appId, principal, props?.createdAt) };
        },

        update(_id, olds: BlueprintPrincipalOutputs, news: BlueprintPrincipalInputs) {
            // Only the Graph endpoint can change in place (it re-points the provider); the principal itself is unchanged.
            return Promise.resolve({ outs: { ...olds, graphEndpoint: news.graphEndpoint } satisfies BlueprintPrincipalOutputs });
        },

        async delete(id, props: BlueprintPrincipalOutputs) {
            const call = begin(props.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT);
            const path = agentIdGraphPaths.blueprintPrincipal(id);
            const answer = await sendIdempotent(call, "DELETE", path);
            if (answered(answer, 200, 204, 404)) return;
            throw refused(call, "DELETE", path, answer, P.delete);
        },
    };
}
