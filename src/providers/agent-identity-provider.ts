/**
 * A Pulumi dynamic provider for an Entra Agent Identity: an `agentIdentity` service principal created from a
 * Blueprint, through Graph v1.0 (https://learn.microsoft.com/graph/api/resources/agentidentity?view=graph-rest-1.0).
 *
 * The parent is named by the Blueprint's **appId**, not its object id. Microsoft's sources disagree in places (the
 * Entra PowerShell GA cmdlet's help calls the value "application object ID"), but the two that define the contract
 * agree: Graph's agentIdentity resource page ("agentIdentityBlueprintId: The appId of the agent identity blueprint")
 * and Learn's error-code page (`AgentIdentity_IncompatibleParentType`: "The AgentIdentityBlueprintId must be set to
 * the AppId of a valid agent identity blueprint"). So `blueprintAppId` is what the provider sends, and an
 * IncompatibleParentType refusal says "the appId, not the object id".
 *
 * Object id and client id: "It has unique identifiers such as the object ID and the app ID, which always have the
 * same value" (Learn, "Agent identities in Microsoft Entra Agent ID"), and the documented resource has no `appId`
 * property. The provider exposes both, equal, and a read that ever sees an `appId` different from the `id` fails
 * rather than hand the sidecar a wrong client id.
 *
 * Lifecycle:
 *  - create: `POST /v1.0/servicePrincipals/microsoft.graph.agentIdentity` with displayName, agentIdentityBlueprintId,
 *    sponsors (`sponsors@odata.bind`; "For app-only create requests, the creating service must set one or more users or
 *    groups as the sponsor", Learn) and this stack's creation tag. Graph has no client-supplied key for an Agent
 *    Identity and display names may repeat, so the tag is the alternate key: create first lists the Blueprint's Agent
 *    Identities and adopts the one carrying the tag, and after an answer that may have committed it looks again,
 *    within the consistency window, before posting again (graph-client's createIdempotently): no duplicate on retry.
 *    A Blueprint principal created seconds earlier may not be visible yet (`AgentIdentity_AgentBlueprintPrincipalDoesNotExist`):
 *    retried within the consistency window.
 *  - read (refresh, import by object id): the Agent Identity, and its sponsors when this identity may list them (the
 *    list needs AgentIdentity.ReadWrite.All; without it `sponsorsChecked` is false, never a silent "unchanged").
 *    `accountEnabled` is reported, never enforced (a sponsor may disable an agent during an incident).
 *  - update in place: displayName (PATCH), sponsors (`$ref`, AgentIdentity.ReadWrite.All). A different Blueprint is a
 *    different Agent Identity (replace).
 *  - delete: a soft delete ("restored within 30 days", Graph "Delete agentIdentity"), no purge: a restore keeps the
 *    object id the clouds' conditions pin. Note Learn's "Agent identity deletion": with app-only permissions a deleted
 *    Agent Identity keeps counting against the Blueprint's 250 until it is purged.
 *
 * Serialized into Pulumi state like the other providers: types, pure contracts and the shared Graph client only.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    AGENT_ID_GRAPH_PERMISSIONS,
    agentIdDisplayNameProblem,
    agentIdGraphPaths,
    creationTagProblem,
    guidProblem,
    issuerProblem,
    sponsorBinds,
    sponsorsProblem,
} from "../contracts";
import { declaredSponsorIds, notVisibleYet, readSponsors, reconcileSponsors, refusal, refused, stillReplicating } from "./agent-id-common";
import {
    answered,
    Answer,
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
    listAll,
    partiallyCreated,
    RetryPolicy,
    sameIdSet,
    sendAfterCreate,
    sendIdempotent,
    statusOf,
    stringList,
    systemClock,
} from "./graph-client";

/** The inputs of one Agent Identity. */
export interface AgentIdentityInputs {
    /** Graph root, e.g. https://graph.microsoft.com. */
    readonly graphEndpoint: string;
    /** The appId (client id) of the Blueprint the Agent Identity is created from; not its object id. */
    readonly blueprintAppId: string;
    readonly displayName: string;
    /** Object ids of the users accountable for the Agent Identity (sponsors). At least one sponsor in all. */
    readonly sponsorUserIds?: readonly string[];
    /** Object ids of the groups accountable for it (Microsoft 365 or dynamic-membership groups; at most 5). */
    readonly sponsorGroupIds?: readonly string[];
    /** This stack's tag on the Agent Identity, the alternate key of an idempotent create (agentIdCreationTag). */
    readonly creationTag: string;
}

/** What the provider stores in state. */
export interface AgentIdentityOutputs extends AgentIdentityInputs {
    /** The Agent Identity's object id (the Pulumi id): what cloud conditions pin (`oid`). */
    readonly objectId: string;
    /** Its client (app) id: always equal to objectId (Learn); what the sidecar's `AgentIdentity=` names. */
    readonly clientId: string;
    /** The sponsors Graph lists when `sponsorsChecked`, else the declared ones; lower-case, sorted. */
    readonly sponsorIds: readonly string[];
    /** Whether `sponsorIds` was read back from Graph by the last read (needs AgentIdentity.ReadWrite.All). */
    readonly sponsorsChecked: boolean;
    /** Observed, never enforced: false when someone disabled the Agent Identity. */
    readonly accountEnabled: boolean;
    /** ISO time of the create; read keeps an Agent Identity this young in state even if Graph does not show it yet. */
    readonly createdAt?: string;
}

interface GraphAgentIdentity {
    readonly id: string;
    readonly displayName: string;
    readonly blueprintAppId: string;
    readonly accountEnabled: boolean;
    readonly tags: string[];
}

/**
 * The Agent Identity in a Graph body, or undefined when the body is not one. Throws when it carries an `appId` that
 * differs from its `id`: the one invariant the stack's clientId relies on.
 */
function agentIdentityOf(json: Record<string, unknown> | undefined): GraphAgentIdentity | undefined {
    const e = entityOf(json);
    if (!e) return undefined;
    const type = e["@odata.type"];
    if (type !== undefined && type !== "#microsoft.graph.agentIdentity") return undefined;
    const { id, displayName, agentIdentityBlueprintId, accountEnabled, appId } = e;
    if (typeof id !== "string" || id === "" || typeof agentIdentityBlueprintId !== "string" || typeof displayName !== "string") return undefined;
    if (appId !== undefined && appId !== null && (typeof appId !== "string" || appId.toLowerCase() !== id.toLowerCase())) {
        throw graphRequestError(
            `Graph describes Agent Identity ${id} with appId ${JSON.stringify(appId)}: an Agent Identity's object id and app id "always have the same value" ` +
                "(Learn, Agent identities), and the stack gives the sidecar the object id as the client id. Nothing was changed; report this answer.",
            200,
            undefined,
        );
    }
    return { id, displayName, blueprintAppId: agentIdentityBlueprintId, accountEnabled: accountEnabled !== false, tags: stringList(e.tags) ?? [] };
}

const CREATE_RETRY_HINT =
    "Run pulumi up again: the next create first looks the Agent Identity up by this stack's creation tag among its Blueprint's, so one Graph created is adopted, not duplicated.";

/**
 * Builds the provider. Tests pass a token source, a clock and a short retry policy, and point `graphEndpoint` at a
 * loopback server standing in for Graph.
 */
export function agentIdentityProvider(
    getToken: GraphTokenSource = appOnlyGraphTokenSource("manage Agent Identities", Object.values(AGENT_ID_GRAPH_PERMISSIONS.agentIdentity)),
    options: GraphProviderOptions = {},
): pulumi.dynamic.ResourceProvider {
    const clock = options.clock ?? systemClock();
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const settings: { graphEndpoint: string | undefined } = { graphEndpoint: undefined };
    const begin = (graphEndpoint: string): Call => beginCall(getToken, clock, policy, graphEndpoint);
    const P = AGENT_ID_GRAPH_PERMISSIONS.agentIdentity;

    /** The Blueprint's Agent Identity carrying this stack's creation tag; an error when two do. */
    async function findByTag(call: Call, blueprintAppId: string, tag: string): Promise<GraphAgentIdentity | undefined> {
        const entries = (await listAll(call, agentIdGraphPaths.agentIdentitiesOf(blueprintAppId), P.read)) ?? [];
        const found = entries.flatMap((entry) => {
            const identity = agentIdentityOf(entry);
            return identity && identity.tags.includes(tag) ? [identity] : [];
        });
        if (found.length > 1) {
            throw graphRequestError(
                `Agent Identities ${found.map((a) => a.id).join(", ")} of Blueprint ${blueprintAppId} all carry this stack's creation tag ${tag}: ` +
                    "the stack cannot tell which is its own. Delete the extra ones, or import the right one by its object id.",
                409,
                undefined,
            );
        }
        return found[0];
    }

    async function rename(call: Call, id: string, displayName: string, createdAt: string | undefined): Promise<void> {
        const path = agentIdGraphPaths.agentIdentity(id);
        const answer = await sendAfterCreate(call, "PATCH", path, createdAt, { displayName });
        if (answered(answer, 200, 204)) return;
        if (answered(answer, 404)) {
            throw graphRequestError(
                `Agent Identity ${id} no longer exists at ${call.graphEndpoint}: it was deleted outside Pulumi (restorable from deleted items for 30 days). ` +
                    "Restore it, or run pulumi refresh to drop it from state and pulumi up to create a new one (with a new object id, which every cloud condition must then pin).",
                404,
                graphError(answer).code,
            );
        }
        const text = refusal(call, "PATCH", path, answer, P.rename);
        throw graphRequestError(
            answered(answer, 401, 403)
                ? `${text}\nIf ${P.rename} is granted and still refused, Graph's table names AgentIdentity.ReadWrite.All as the higher permission.`
                : text,
            statusOf(answer),
            graphError(answer).code,
        );
    }

    function outputsOf(
        inputs: AgentIdentityInputs,
        identity: GraphAgentIdentity,
        sponsors: { ids: readonly string[]; checked: boolean },
        createdAt: string | undefined,
    ): AgentIdentityOutputs {
        return {
            graphEndpoint: inputs.graphEndpoint,
            blueprintAppId: identity.blueprintAppId,
            displayName: identity.displayName,
            ...(inputs.sponsorUserIds !== undefined ? { sponsorUserIds: inputs.sponsorUserIds } : {}),
            ...(inputs.sponsorGroupIds !== undefined ? { sponsorGroupIds: inputs.sponsorGroupIds } : {}),
            creationTag: inputs.creationTag,
            objectId: identity.id,
            clientId: identity.id,
            sponsorIds: [...sponsors.ids],
            sponsorsChecked: sponsors.checked,
            accountEnabled: identity.accountEnabled,
            ...(createdAt ? { createdAt } : {}),
        };
    }

    function createRefusal(call: Call, path: string, answer: Answer, inputs: AgentIdentityInputs): string {
        const text = refusal(call, "POST", path, answer, P.create);
        const { code, message } = graphError(answer);
        if (code === "AgentIdentity_IncompatibleParentType")
            return `${text}\nblueprintAppId ${inputs.blueprintAppId} is not the appId of an Agent ID Blueprint: pass the Blueprint's appId (client id), not its object id.`;
        if (code === "Error_AgentIdentitySelfCreateRequired" || code === "Error_AgentBlueprintCannotCreateAssociatedIdentity")
            return `${text}\nThe calling identity holds only AgentIdentity.CreateAsManager, which creates under its own Blueprint: grant the deploy identity ${P.create}.`;
        if (answered(answer, 400) && /sponsor/i.test(message))
            return `${text}\nEvery sponsor must be a user, or a Microsoft 365 or dynamic-membership group, of this tenant (not a service principal, not a role-assignable group).`;
        return text;
    }

    return {
        configure(req) {
            settings.graphEndpoint = configuredGraphEndpoint(req.config);
            return Promise.resolve();
        },

        check(_olds, news) {
            const failures: { property: string; reason: string }[] = [];
            const rules: [string, (v: unknown) => string | undefined][] = [
                ["graphEndpoint", issuerProblem],
                ["blueprintAppId", guidProblem],
                ["displayName", agentIdDisplayNameProblem],
                ["creationTag", creationTagProblem],
            ];
            for (const [property, rule] of rules) {
                const value: unknown = news[property];
                const reason = isUnknownInput(value) ? undefined : rule(value);
                if (reason) failures.push({ property, reason: `${property} ${reason}` });
            }
            if (!isUnknownInput(news.sponsorUserIds) && !isUnknownInput(news.sponsorGroupIds)) {
                const reason = sponsorsProblem({ userIds: news.sponsorUserIds as string[], groupIds: news.sponsorGroupIds as string[] });
                if (reason) failures.push({ property: "sponsorUserIds", reason: `sponsors ${reason}` });
            }
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id, olds: AgentIdentityOutputs, news: AgentIdentityInputs) {
            const replaces =
                isUnknownInput(news.blueprintAppId) || (olds.blueprintAppId ?? "").toLowerCase() !== news.blueprintAppId.toLowerCase()
                    ? ["blueprintAppId"]
                    : [];
            const updates: string[] = [];
            if ((olds.graphEndpoint ?? "") !== news.graphEndpoint) updates.push("graphEndpoint");
            if (olds.displayName !== news.displayName) updates.push("displayName");
            const oldSponsors = olds.sponsorIds ?? declaredSponsorIds({ userIds: olds.sponsorUserIds, groupIds: olds.sponsorGroupIds });
            if (
                isUnknownInput(news.sponsorUserIds) ||
                isUnknownInput(news.sponsorGroupIds) ||
                !sameIdSet(oldSponsors, declaredSponsorIds({ userIds: news.sponsorUserIds, groupIds: news.sponsorGroupIds }))
            )
                updates.push("sponsors");
            return Promise.resolve({ changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false });
        },

        async create(inputs: AgentIdentityInputs) {
            const call = begin(inputs.graphEndpoint);
            const path = agentIdGraphPaths.agentIdentities();
            const body = {
                displayName: inputs.displayName,
                agentIdentityBlueprintId: inputs.blueprintAppId,
                "sponsors@odata.bind": sponsorBinds(inputs.graphEndpoint, { userIds: inputs.sponsorUserIds, groupIds: inputs.sponsorGroupIds }),
                tags: [inputs.creationTag],
            };
            const { object, adopted } = await createIdempotently(call, {
                path,
                body,
                parse: agentIdentityOf,
                lookup: (c) => findByTag(c, inputs.blueprintAppId, inputs.creationTag),
                exists: () => false,
                // The Blueprint principal (or a sponsor) created moments ago, not visible yet.
                notYetVisible: (a) =>
                    answered(a, 404) ||
                    graphError(a).code === "AgentIdentity_AgentBlueprintPrincipalDoesNotExist" ||
                    (answered(a, 400) &&
                        graphError(a).code !== "AgentIdentity_IncompatibleParentType" &&
                        /does not exist|not present/i.test(graphError(a).message)),
                explain: (a) => createRefusal(call, path, a, inputs),
                stillInvisible: (a) =>
                    `${refusal(call, "POST", path, a, P.create)}\nEntra still does not show the Blueprint principal of ${inputs.blueprintAppId} (or a sponsor) after ` +
                    `${Math.round((clock.now() - call.startedAt) / 1000)} s. A principal created moments ago takes time to replicate: run pulumi up again in a few minutes. ` +
                    "If it persists, check that the Blueprint has its principal (AgentIdentityBlueprintPrincipal) and that every sponsor exists.",
                retryHint: CREATE_RETRY_HINT,
            });
            const createdAt = new Date(clock.now()).toISOString();
            const declared = declaredSponsorIds({ userIds: inputs.sponsorUserIds, groupIds: inputs.sponsorGroupIds });
            let current = object;
            if (adopted && current.displayName !== inputs.displayName) {
                try {
                    await rename(call, current.id, inputs.displayName, createdAt);
                    current = { ...current, displayName: inputs.displayName };
                } catch (err) {
                    throw partiallyCreated(err, current.id, outputsOf(inputs, current, { ids: declared, checked: false }, createdAt));
                }
            }
            return { id: current.id, outs: outputsOf(inputs, current, { ids: declared, checked: false }, createdAt) };
        },

        async read(id, props?: Partial<AgentIdentityOutputs>) {
            const graphEndpoint = props?.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT;
            const call = begin(graphEndpoint);
            const path = agentIdGraphPaths.agentIdentity(id);
            const answer = await sendIdempotent(call, "GET", path);
            if (answered(answer, 404)) {
                if (props?.createdAt && stillReplicating(props.createdAt, clock.now(), policy.consistencyWindowMs)) {
                    throw notVisibleYet(`Agent Identity ${props.displayName ?? id}`, props.createdAt, policy.consistencyWindowMs, answer);
                }
                return {};
            }
            if (!answered(answer, 200)) throw refused(call, "GET", path, answer, P.read);
            const identity = agentIdentityOf(jsonOf(answer));
            if (!identity) {
                throw graphRequestError(
                    `GET ${graphEndpoint}${path} answered 200 with a body that is not an agentIdentity; the Agent Identity stays in state. ` +
                        "If this id is another kind of service principal, it is not an Agent Identity; otherwise check for a proxy between you and Graph.",
                    200,
                    undefined,
                );
            }
            const sponsors = await readSponsors(call, agentIdGraphPaths.agentIdentitySponsors(id), P.changeSponsors);
            const previous = props?.sponsorIds ?? declaredSponsorIds({ userIds: props?.sponsorUserIds, groupIds: props?.sponsorGroupIds });
            const inputs: AgentIdentityInputs = {
                graphEndpoint,
                blueprintAppId: identity.blueprintAppId,
                displayName: identity.displayName,
                ...(props?.sponsorUserIds !== undefined ? { sponsorUserIds: props.sponsorUserIds } : {}),
                ...(props?.sponsorGroupIds !== undefined ? { sponsorGroupIds: props.sponsorGroupIds } : {}),
                // An Agent Identity's tags include its Blueprint's, so its own tag is not read back from Graph.
                creationTag: props?.creationTag ?? "",
            };
            return { id: identity.id, props: outputsOf(inputs, identity, { ids: sponsors.ids ?? previous, checked: sponsors.checked }, props?.createdAt) };
        },

        async update(id, olds: AgentIdentityOutputs, news: AgentIdentityInputs) {
            const call = begin(news.graphEndpoint);
            if (olds.displayName !== news.displayName) await rename(call, id, news.displayName, olds.createdAt);
            const desired = declaredSponsorIds({ userIds: news.sponsorUserIds, groupIds: news.sponsorGroupIds });
            const current = olds.sponsorIds ? [...olds.sponsorIds] : declaredSponsorIds({ userIds: olds.sponsorUserIds, groupIds: olds.sponsorGroupIds });
            if (!sameIdSet(current, desired)) {
                await reconcileSponsors(
                    call,
                    agentIdGraphPaths.agentIdentitySponsors(id),
                    (sponsorId) => agentIdGraphPaths.agentIdentitySponsorRef(id, sponsorId),
                    current,
                    desired,
                    P.changeSponsors,
                );
            }
            const outs: AgentIdentityOutputs = {
                ...news,
                blueprintAppId: olds.blueprintAppId,
                objectId: olds.objectId,
                clientId: olds.clientId,
                sponsorIds: desired,
                sponsorsChecked: sameIdSet(current, desired) ? olds.sponsorsChecked : false,
                accountEnabled: olds.accountEnabled,
                ...(olds.createdAt ? { createdAt: olds.createdAt } : {}),
            };
            return { outs };
        },

        async delete(id, props: AgentIdentityOutputs) {
            const call = begin(props.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT);
            const path = agentIdGraphPaths.agentIdentity(id);
            const answer = await sendIdempotent(call, "DELETE", path);
            if (answered(answer, 200, 204, 404)) return;
            throw refused(call, "DELETE", path, answer, P.delete);
        },
    };
}
