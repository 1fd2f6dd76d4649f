/**
 * A Pulumi dynamic provider for an Entra Agent ID Blueprint: an `agentIdentityBlueprint` application, through Graph
 * v1.0 (https://learn.microsoft.com/graph/api/resources/agentidentityblueprint?view=graph-rest-1.0).
 *
 * Lifecycle:
 *  - create: `POST /v1.0/applications/microsoft.graph.agentIdentityBlueprint` with displayName, description, sponsors
 *    (`sponsors@odata.bind`, required: "You must specify the displayName property and sponsors relationship") and
 *    this stack's creation tag; then, if identifier URIs are declared, a separate PATCH of `identifierUris`. Two calls,
 *    not one, because each needs its own least-privileged permission (AgentIdentityBlueprint.Create; then
 *    AgentIdentityBlueprint.UpdateAuthProperties.All, which Learn's "Create an agent identity blueprint" names for
 *    identifier URIs). Idempotent: the Blueprint is first looked up by its creation tag (graph-client's
 *    createIdempotently), so a create an earlier run committed is adopted, not duplicated. Graph's own upsert
 *    (`PATCH /applications(uniqueName='…')` with `Prefer: create-if-missing`) was not used: it needs
 *    AgentIdentityBlueprint.ReadWrite.All (its only listed permission) and its page documents no sponsors, which a
 *    create requires.
 *  - read (refresh, import by object id): `GET /v1.0/applications/{id}/microsoft.graph.agentIdentityBlueprint` and its
 *    sponsors. A Blueprint this provider created inside the consistency window stays in state when Graph does not show
 *    it yet; a 200 that is not a Blueprint is an error, never "gone".
 *  - update in place: displayName and description (AgentIdentityBlueprint.UpdateBranding.All), identifierUris
 *    (AgentIdentityBlueprint.UpdateAuthProperties.All), sponsors (`$ref` calls: Application.ReadWrite.All, which the
 *    stack does not hold by default; see AGENT_ID_GRAPH_CALLS). Nothing replaces a Blueprint: its appId is what every
 *    FIC, sidecar and Agent Identity names, and a new one would orphan them all.
 *  - delete: `DELETE …/microsoft.graph.agentIdentityBlueprint`, a soft delete: "moved to a temporary container and can
 *    be restored within 30 days" (Graph "Delete agentIdentityBlueprint"). It does not purge: restoring from deleted
 *    items gives back the same appId, which the stack's contracts and the clouds' conditions still name; a purge
 *    would make the mistake permanent. Deleting a Blueprint also soft-deletes its Agent Identities, asynchronously
 *    (Learn, "Agent identity deletion"); Pulumi deletes the stack's own Agent Identities first (they depend on it).
 *
 * Pulumi serializes this provider's closure into the state file: it imports only types, the pure contracts and the
 * shared Graph client, keeps no module-level state, and loads `@azure/identity` at call time.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    AGENT_ID_GRAPH_PERMISSIONS,
    agentIdDescriptionProblem,
    agentIdDisplayNameProblem,
    agentIdGraphPaths,
    creationTagProblem,
    identifierUrisProblem,
    issuerProblem,
    sponsorBinds,
    sponsorsProblem,
} from "../contracts";
import { creationTagOf, declaredSponsorIds, notVisibleYet, readSponsors, reconcileSponsors, refusal, refused, stillReplicating } from "./agent-id-common";
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

/** The inputs of one Blueprint. */
export interface AgentIdentityBlueprintInputs {
    /** Graph root, e.g. https://graph.microsoft.com. */
    readonly graphEndpoint: string;
    readonly displayName: string;
    readonly description?: string;
    /** Object ids of the users accountable for the Blueprint (sponsors). At least one sponsor in all. */
    readonly sponsorUserIds?: readonly string[];
    /** Object ids of the groups accountable for it (Microsoft 365 or dynamic-membership groups; at most 5). */
    readonly sponsorGroupIds?: readonly string[];
    /** App ID URIs, e.g. the Option 2 cloud-federation audience `api://<tenantId>/<name>`. */
    readonly identifierUris?: readonly string[];
    /** This stack's tag on the Blueprint, the alternate key of an idempotent create (agentIdCreationTag). */
    readonly creationTag: string;
}

/** What the provider stores in state. */
export interface AgentIdentityBlueprintOutputs extends AgentIdentityBlueprintInputs {
    /** The Blueprint's object id (the Pulumi id): what `/applications/{id}` paths and FICs name. */
    readonly objectId: string;
    /** The Blueprint's appId (client id): what the sidecar, Agent Identities and the Blueprint principal name. */
    readonly appId: string;
    /** The sponsors Graph lists, lower-case and sorted, when `sponsorsChecked`; else the declared ones. */
    readonly sponsorIds: readonly string[];
    /** Whether `sponsorIds` was read back from Graph by the last read (false: not readable with this identity's permissions). */
    readonly sponsorsChecked: boolean;
    /** ISO time of the create; read keeps a Blueprint this young in state even if Graph does not show it yet. */
    readonly createdAt?: string;
}

/** A Blueprint as Graph returns it. */
interface GraphBlueprint {
    readonly id: string;
    readonly appId: string;
    readonly displayName: string;
    readonly description: string | undefined;
    readonly identifierUris: string[];
    readonly tags: string[];
}

/** The Blueprint in a Graph body (bare, or wrapped in `value` as the get example shows), or undefined. */
function blueprintOf(json: Record<string, unknown> | undefined): GraphBlueprint | undefined {
    const e = entityOf(json);
    if (!e) return undefined;
    const type = e["@odata.type"];
    if (type !== undefined && type !== "#microsoft.graph.agentIdentityBlueprint") return undefined;
    const { id, appId, displayName, description } = e;
    if (typeof id !== "string" || id === "" || typeof appId !== "string" || appId === "" || typeof displayName !== "string") return undefined;
    return {
        id,
        appId,
        displayName,
        description: typeof description === "string" && description !== "" ? description : undefined,
        identifierUris: stringList(e.identifierUris) ?? [],
        tags: stringList(e.tags) ?? [],
    };
}

/** Whether two optional texts are the same, "" and absent alike. */
const sameText = (a: string | undefined, b: string | undefined) => (a ?? "") === (b ?? "");

/** The sponsors an old state stands for: read back when checked, else the declared ones. */
function stateSponsors(olds: Partial<AgentIdentityBlueprintOutputs>): string[] {
    return olds.sponsorIds ? [...olds.sponsorIds] : declaredSponsorIds({ userIds: olds.sponsorUserIds, groupIds: olds.sponsorGroupIds });
}

/** What the next create does about an attempt whose outcome stayed unknown. */
const CREATE_RETRY_HINT =
    "Run pulumi up again: the next create first looks the Blueprint up by this stack's creation tag, so a Blueprint Graph created is adopted, not duplicated.";

/**
 * Builds the provider. Tests pass a token source, a clock and a short retry policy, and point `graphEndpoint` at a
 * loopback server standing in for Graph.
 */
export function agentIdentityBlueprintProvider(
    getToken: GraphTokenSource = appOnlyGraphTokenSource("manage Agent ID Blueprints", Object.values(AGENT_ID_GRAPH_PERMISSIONS.blueprint)),
    options: GraphProviderOptions = {},
): pulumi.dynamic.ResourceProvider {
    const clock = options.clock ?? systemClock();
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    // Set by configure() in the provider process: the stack's Graph endpoint, for reads that carry none (import).
    const settings: { graphEndpoint: string | undefined } = { graphEndpoint: undefined };
    const begin = (graphEndpoint: string): Call => beginCall(getToken, clock, policy, graphEndpoint);
    const P = AGENT_ID_GRAPH_PERMISSIONS.blueprint;

    /** The Blueprint carrying this stack's creation tag; an error when two do (the stack would not know which is its). */
    async function findByTag(call: Call, tag: string): Promise<GraphBlueprint | undefined> {
        const path = agentIdGraphPaths.blueprintsTagged(tag);
        const found = ((await listAll(call, path, P.read)) ?? []).flatMap((entry) => {
            const blueprint = blueprintOf(entry);
            return blueprint && blueprint.tags.includes(tag) ? [blueprint] : [];
        });
        if (found.length > 1) {
            throw graphRequestError(
                `Blueprints ${found.map((b) => b.id).join(", ")} all carry this stack's creation tag ${tag}: the stack cannot tell which is its own. ` +
                    "Delete the extra ones (they are soft-deleted, restorable for 30 days), or import the right one by its object id.",
                409,
                undefined,
            );
        }
        return found[0];
    }

    /** PATCHes `body` onto the Blueprint; a 404 right after its create is retried (replication lag). */
    async function patch(call: Call, objectId: string, body: Record<string, unknown>, permission: string, createdAt?: string): Promise<void> {
        const path = agentIdGraphPaths.blueprint(objectId);
        const answer = await sendAfterCreate(call, "PATCH", path, createdAt, body);
        if (answered(answer, 200, 204)) return;
        if (answered(answer, 404)) {
            throw graphRequestError(
                `Blueprint ${objectId} no longer exists at ${call.graphEndpoint}: it was deleted outside Pulumi (it can be restored from deleted items ` +
                    "for 30 days). Restore it, or run pulumi refresh to drop it from state and pulumi up to create a new one (with a new appId).",
                404,
                graphError(answer).code,
            );
        }
        throw graphRequestError(patchRefusal(call, path, answer, permission), statusOf(answer), graphError(answer).code);
    }

    function patchRefusal(call: Call, path: string, answer: Answer, permission: string): string {
        const text = refusal(call, "PATCH", path, answer, permission);
        const { message, code } = graphError(answer);
        if (/identifierUris/i.test(message) && /already exists/i.test(message))
            return `${text}\nAnother application already holds one of these identifier URIs (they are unique across the tenant): choose another, e.g. api://<tenantId>/<name>.`;
        if (/identifierUri|identifier uri/i.test(message))
            return `${text}\nThe tenant's identifier URI policy may refuse this form: api://<tenantId>/<name> is accepted under the default policy (Learn, "Restrictions on identifier URIs").`;
        if (code === "AgentBlueprint_IncompatibleProperty") return `${text}\nA Blueprint does not accept one of these properties.`;
        return text;
    }

    function outputsOf(
        inputs: AgentIdentityBlueprintInputs,
        blueprint: GraphBlueprint,
        sponsors: { ids: readonly string[]; checked: boolean },
        createdAt: string | undefined,
    ): AgentIdentityBlueprintOutputs {
        return {
            graphEndpoint: inputs.graphEndpoint,
            displayName: blueprint.displayName,
            ...(blueprint.description !== undefined ? { description: blueprint.description } : {}),
            ...(inputs.sponsorUserIds !== undefined ? { sponsorUserIds: inputs.sponsorUserIds } : {}),
            ...(inputs.sponsorGroupIds !== undefined ? { sponsorGroupIds: inputs.sponsorGroupIds } : {}),
            identifierUris: blueprint.identifierUris,
            creationTag: inputs.creationTag,
            objectId: blueprint.id,
            appId: blueprint.appId,
            sponsorIds: [...sponsors.ids],
            sponsorsChecked: sponsors.checked,
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
            const known = (v: unknown) => !isUnknownInput(v);
            const rules: [string, unknown, (v: unknown) => string | undefined][] = [
                ["graphEndpoint", news.graphEndpoint, issuerProblem],
                ["displayName", news.displayName, agentIdDisplayNameProblem],
                ["description", news.description, agentIdDescriptionProblem],
                ["identifierUris", news.identifierUris, identifierUrisProblem],
                ["creationTag", news.creationTag, creationTagProblem],
            ];
            for (const [property, value, rule] of rules) {
                const reason = known(value) ? rule(value) : undefined;
                if (reason) failures.push({ property, reason: `${property} ${reason}` });
            }
            if (known(news.sponsorUserIds) && known(news.sponsorGroupIds)) {
                const reason = sponsorsProblem({ userIds: news.sponsorUserIds as string[], groupIds: news.sponsorGroupIds as string[] });
                if (reason) failures.push({ property: "sponsorUserIds", reason: `sponsors ${reason}` });
            }
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id, olds: AgentIdentityBlueprintOutputs, news: AgentIdentityBlueprintInputs) {
            const changed: string[] = [];
            if ((olds.graphEndpoint ?? "") !== news.graphEndpoint) changed.push("graphEndpoint");
            if (olds.displayName !== news.displayName) changed.push("displayName");
            if (!sameText(olds.description, news.description)) changed.push("description");
            if (isUnknownInput(news.identifierUris) || !sameIdSet(olds.identifierUris ?? [], news.identifierUris ?? [])) changed.push("identifierUris");
            const sponsorsUnknown = isUnknownInput(news.sponsorUserIds) || isUnknownInput(news.sponsorGroupIds);
            if (sponsorsUnknown || !sameIdSet(stateSponsors(olds), declaredSponsorIds({ userIds: news.sponsorUserIds, groupIds: news.sponsorGroupIds })))
                changed.push("sponsors");
            // The creation tag only keys a create; a changed tag (a renamed stack) changes nothing Graph holds.
            return Promise.resolve({ changes: changed.length > 0, replaces: [], deleteBeforeReplace: false });
        },

        async create(inputs: AgentIdentityBlueprintInputs) {
            const call = begin(inputs.graphEndpoint);
            const path = agentIdGraphPaths.blueprints();
            const body = {
                displayName: inputs.displayName,
                ...(inputs.description ? { description: inputs.description } : {}),
                "sponsors@odata.bind": sponsorBinds(inputs.graphEndpoint, { userIds: inputs.sponsorUserIds, groupIds: inputs.sponsorGroupIds }),
                tags: [inputs.creationTag],
            };
            const { object, adopted } = await createIdempotently(call, {
                path,
                body,
                parse: blueprintOf,
                lookup: (c) => findByTag(c, inputs.creationTag),
                // A sponsor object Entra does not show yet: Graph's 404 "does not exist or one of its queried
                // reference-property objects are not present" (the same answer as for a FIC's new subject).
                notYetVisible: (a) => answered(a, 404),
                exists: () => false,
                explain: (a) => createRefusal(call, path, a),
                stillInvisible: (a) =>
                    `${refusal(call, "POST", path, a, P.create)}\nEntra still does not show an object this Blueprint references after ` +
                    `${Math.round((clock.now() - call.startedAt) / 1000)} s: check that every sponsor (sponsorUserIds, sponsorGroupIds) is a user or group of this tenant.`,
                retryHint: CREATE_RETRY_HINT,
            });
            const createdAt = new Date(clock.now()).toISOString();
            const declared = declaredSponsorIds({ userIds: inputs.sponsorUserIds, groupIds: inputs.sponsorGroupIds });
            let current = object;
            try {
                const branding: Record<string, unknown> = {};
                if (adopted && current.displayName !== inputs.displayName) branding.displayName = inputs.displayName;
                if (adopted && !sameText(current.description, inputs.description)) branding.description = inputs.description || null;
                if (Object.keys(branding).length > 0) {
                    await patch(call, current.id, branding, P.updateBranding, createdAt);
                    current = { ...current, displayName: inputs.displayName, description: inputs.description || undefined };
                }
                const uris = inputs.identifierUris ?? [];
                if (!sameIdSet(current.identifierUris, uris)) {
                    await patch(call, current.id, { identifierUris: uris }, P.updateAuthProperties, createdAt);
                    current = { ...current, identifierUris: [...uris] };
                }
            } catch (err) {
                // Created but not finished: Pulumi keeps it in state (with what it has), and the next pulumi up updates it.
                throw partiallyCreated(err, current.id, outputsOf(inputs, current, { ids: declared, checked: false }, createdAt));
            }
            return { id: current.id, outs: outputsOf(inputs, current, { ids: declared, checked: false }, createdAt) };
        },

        async read(id, props?: Partial<AgentIdentityBlueprintOutputs>) {
            const graphEndpoint = props?.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT;
            const call = begin(graphEndpoint);
            const path = agentIdGraphPaths.blueprint(id);
            const answer = await sendIdempotent(call, "GET", path);
            if (answered(answer, 404)) {
                if (props?.createdAt && stillReplicating(props.createdAt, clock.now(), policy.consistencyWindowMs)) {
                    throw notVisibleYet(`Blueprint ${props.displayName ?? id}`, props.createdAt, policy.consistencyWindowMs, answer);
                }
                // Gone from Graph (deleted, perhaps restorable for 30 days): an empty result tells Pulumi it no longer exists.
                return {};
            }
            if (!answered(answer, 200)) throw refused(call, "GET", path, answer, P.read);
            const blueprint = blueprintOf(jsonOf(answer));
            if (!blueprint) {
                throw graphRequestError(
                    `GET ${graphEndpoint}${path} answered 200 with a body that is not an agentIdentityBlueprint; the Blueprint stays in state. ` +
                        "If this id is a plain application, it is not a Blueprint; otherwise check for a proxy between you and Graph.",
                    200,
                    undefined,
                );
            }
            const sponsors = await readSponsors(call, agentIdGraphPaths.blueprintSponsors(id), P.read);
            const previous = stateSponsors(props ?? {});
            const inputs: AgentIdentityBlueprintInputs = {
                graphEndpoint,
                displayName: blueprint.displayName,
                ...(props?.sponsorUserIds !== undefined ? { sponsorUserIds: props.sponsorUserIds } : {}),
                ...(props?.sponsorGroupIds !== undefined ? { sponsorGroupIds: props.sponsorGroupIds } : {}),
                creationTag: creationTagOf(blueprint.tags, props?.creationTag) ?? props?.creationTag ?? "",
            };
            const outs = outputsOf(inputs, blueprint, { ids: sponsors.ids ?? previous, checked: sponsors.checked }, props?.createdAt);
            return { id: blueprint.id, props: outs };
        },

        async update(id, olds: AgentIdentityBlueprintOutputs, news: AgentIdentityBlueprintInputs) {
            const call = begin(news.graphEndpoint);
            const branding: Record<string, unknown> = {};
            if (olds.displayName !== news.displayName) branding.displayName = news.displayName;
            if (!sameText(olds.description, news.description)) branding.description = news.description || null;
            if (Object.keys(branding).length > 0) await patch(call, id, branding, P.updateBranding, olds.createdAt);
            const uris = news.identifierUris ?? [];
            if (!sameIdSet(olds.identifierUris ?? [], uris)) await patch(call, id, { identifierUris: uris }, P.updateAuthProperties, olds.createdAt);
            const desired = declaredSponsorIds({ userIds: news.sponsorUserIds, groupIds: news.sponsorGroupIds });
            const current = stateSponsors(olds);
            if (!sameIdSet(current, desired)) {
                await reconcileSponsors(
                    call,
                    agentIdGraphPaths.blueprintSponsors(id),
                    (sponsorId) => agentIdGraphPaths.blueprintSponsorRef(id, sponsorId),
                    current,
                    desired,
                    P.changeSponsors,
                );
            }
            const outs: AgentIdentityBlueprintOutputs = {
                ...news,
                identifierUris: [...uris],
                objectId: olds.objectId,
                appId: olds.appId,
                sponsorIds: desired,
                sponsorsChecked: sameIdSet(current, desired) ? olds.sponsorsChecked : false,
                ...(olds.createdAt ? { createdAt: olds.createdAt } : {}),
            };
            return { outs };
        },

        async delete(id, props: AgentIdentityBlueprintOutputs) {
            const call = begin(props.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT);
            const path = agentIdGraphPaths.blueprint(id);
            const answer = await sendIdempotent(call, "DELETE", path);
            // 404 is success: already gone (deleted out of band, or by a retried DELETE).
            if (answered(answer, 200, 204, 404)) return;
            throw refused(call, "DELETE", path, answer, P.delete);
        },
    };

    function createRefusal(call: Call, path: string, answer: Answer): string {
        const text = refusal(call, "POST", path, answer, P.create);
        if (answered(answer, 400) && /sponsor/i.test(graphError(answer).message))
            return `${text}\nEvery sponsor must be a user, or a Microsoft 365 or dynamic-membership group, of this tenant (not a service principal, not a role-assignable group).`;
        return text;
    }
}
