/**
 * A Pulumi dynamic provider for Federated Identity Credentials on an Entra Agent ID Blueprint.
 *
 * No Pulumi provider covers Blueprints, so FICs are managed through the path Graph's beta federatedIdentityCredential
 * pages document for an agentIdentityBlueprint,
 * `/beta/applications/{objectId}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials`, with an
 * app-only token (`BLUEPRINT_FIC_GRAPH_PERMISSIONS` lists the permission each call needs). Azure CLI user tokens carry
 * `Directory.AccessAsUser.All` and are refused, so the default credential chain deliberately omits the CLI.
 *
 * Fault model, each rule tested against a loopback fault server (test/fake-graph.ts):
 *  - Transient answers are retried with bounded backoff (attempts and total time): 429, 5xx, request timeouts and
 *    connection resets. `Retry-After` is honoured in both forms RFC 9110 allows (seconds or an HTTP date), capped.
 *  - A create is idempotent: after a POST whose outcome is unknown (5xx, timeout, reset) the provider first looks the
 *    FIC up by name (its alternate key) and adopts it if it has the requested contract, instead of failing on the
 *    409 its own committed attempt causes. A 409 is resolved the same way, so a FIC committed by an earlier run whose
 *    answer was lost is adopted on the next `pulumi up`; a same-named FIC with another contract is refused.
 *  - Entra replicates new objects with a lag: a FIC subject (a UAMI created seconds earlier) may not be visible yet,
 *    and a GET right after a POST may 404. Create retries the not-yet-visible answers within a consistency window;
 *    read never drops a FIC it created inside that window from state.
 *  - A 200 whose body is not a federatedIdentityCredential is an error, never taken as "gone".
 *  - A PATCH on a FIC deleted out of band is reported as that (with `pulumi refresh`), not as a missing Blueprint.
 *  - A replace never leaves the Blueprint without its FIC: the new FIC is created before the old one is deleted,
 *    and a rename that keeps issuer and subject (which Entra allows on one FIC only) swaps the two inside create,
 *    restoring the old FIC if the new one cannot be created.
 *
 * The transport (token checks, redaction, no redirects, retries, Retry-After, paging) is the shared Graph client,
 * graph-client.ts, which every dynamic provider here uses. Pulumi serializes this provider's closure into the state
 * file, so the file imports only types, the pure validators and that client, keeps no module-level state, and loads
 * `@azure/identity` with `require` at call time.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    blueprintFicCollectionPath,
    BLUEPRINT_FIC_GRAPH_PERMISSIONS,
    ficAudiencesProblem,
    ficNameKey,
    ficNameProblem,
    guidProblem,
    issuerProblem,
    subjectProblem,
} from "../contracts";
import {
    Answer,
    appOnlyGraphTokenSource,
    backoffMs,
    beginCall,
    Call,
    configuredGraphEndpoint,
    DEFAULT_GRAPH_ENDPOINT,
    DEFAULT_RETRY_POLICY,
    describe,
    exhausted,
    GraphProviderOptions,
    graphError,
    graphRequestError,
    GraphRequestError,
    GraphTokenSource,
    isTransient,
    mayHaveCommitted,
    Method,
    RetryPolicy,
    sendIdempotent,
    sendOnce,
    systemClock,
    waitWithinBudget,
} from "./graph-client";

// The shared client's names, re-exported for the callers that knew them from here.
export { DEFAULT_RETRY_POLICY, retryAfterMs } from "./graph-client";
export type { GraphRequestError, GraphTokenSource, ProviderClock, RetryPolicy } from "./graph-client";

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
    /**
     * Set by `check` when a rename keeps the Blueprint: the name of the FIC this one replaces. Lets create swap the two
     * when they share issuer and subject (Entra allows that pair on one FIC only). Not a user input.
     */
    readonly replacesFicName?: string;
}

/** What the provider stores in state: the inputs, the id Graph assigned, and when this provider created it. */
export interface BlueprintFicOutputs extends BlueprintFicInputs {
    readonly credentialId: string;
    /** ISO time of the create; read keeps a FIC this young in state even if Graph does not show it yet. */
    readonly createdAt?: string;
}

/** Fields Graph lets us change in place (graphEndpoint only re-points the provider); everything else replaces. */
const UPDATABLE = ["graphEndpoint", "issuer", "subject", "audiences", "description"] as const;
/** Changing any of these means a different FIC: Graph's name is immutable and the parent cannot move. */
const REPLACE_ON = ["blueprintObjectId", "name"] as const;

/** The default token source: app-only credentials (graph-client's appOnlyGraphTokenSource), worded for Blueprint FICs. */
export const appOnlyGraphToken: GraphTokenSource = appOnlyGraphTokenSource("manage Blueprint FICs", Object.values(BLUEPRINT_FIC_GRAPH_PERMISSIONS).slice(0, 5));

type Verb = "list" | "get" | "create" | "update" | "delete";

/** What the next create does about an attempt whose outcome stayed unknown. */
const CREATE_RETRY_HINT = "Run pulumi up again: the next create first looks the FIC up by name, so an attempt Graph committed is adopted, not duplicated.";

/** The options tests pass: a fake clock and a shorter retry policy. */
export type BlueprintFicProviderOptions = GraphProviderOptions;

/** A FIC as Graph returns it. */
interface GraphFic {
    readonly id: string;
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: string[];
    readonly description?: string;
}

/** The message for a definitive (non-transient) Graph refusal, with what to do. */
function explain(call: Call, method: Method, path: string, verb: Verb, answer: Answer, inputs?: Pick<BlueprintFicInputs, "name">): string {
    const where = `${method} ${call.graphEndpoint}${path} answered ${describe(answer)}`;
    if (answer.kind !== "http") return `${where}\nCheck agentfed:blueprint.graphEndpoint and the network path to it.`;
    const { code, message } = graphError(answer);
    if (answer.status === 401 || answer.status === 403) {
        return (
            `${where}\nThis call needs an app-only Graph token with ${BLUEPRINT_FIC_GRAPH_PERMISSIONS[verb]} (admin-consented; ` +
            `${BLUEPRINT_FIC_GRAPH_PERMISSIONS.all} covers every call). Tokens carrying Directory.AccessAsUser.All (Azure CLI) or ` +
            "Directory.ReadWrite.All are refused by Agent ID writes."
        );
    }
    if (answer.status === 409) {
        // Graph answers 409 Request_MultipleObjectsWithSameKeyValue for a duplicate FIC name only (Azure/azure-dev#1482).
        return (
            `${where}\nA FIC named ${JSON.stringify(inputs?.name)} exists on the Blueprint but Graph does not list it yet. ` +
            `Run pulumi up again in a few minutes: a FIC with this name and this contract is adopted. To see it: GET ${call.graphEndpoint}${path}.`
        );
    }
    if (answer.status === 400 && isDuplicatePair(answer)) {
        // A second FIC with the same issuer+subject is a 400 InvalidFederatedIdentityCredentialValue, not a 409
        // (Azure/azure-workload-identity#434): "The combination of issuer and subject must be unique for the application".
        return (
            `${where}\nAnother FIC on the Blueprint already trusts this issuer and subject (Entra allows the pair once per application). ` +
            `List them with GET ${call.graphEndpoint}${path}: delete the other one, or import it instead of creating this one.`
        );
    }
    if (answer.status === 400 && /not supported on the API version/i.test(message)) {
        return `${where}\nThis endpoint must be Graph beta with the microsoft.graph.agentIdentityBlueprint cast.`;
    }
    if (answer.status === 400 && /limit|maximum/i.test(message)) {
        return `${where}\nAn application holds at most 20 FICs; remove unused ones from the Blueprint.`;
    }
    return code === "Request_ResourceNotFound" ? `${where}\nCheck agentfed:blueprint.objectId (the application's object id, not its appId).` : where;
}

/** The 400 Graph answers for a second FIC with the same issuer+subject. */
function isDuplicatePair(answer: Answer): boolean {
    return (
        answer.kind === "http" &&
        answer.status === 400 &&
        /combination of issuer and subject|issuer and subject must be unique/i.test(graphError(answer).message)
    );
}

/**
 * Answers meaning "an object this FIC references is not visible to Graph yet": a POST answering 404 while the
 * Blueprint itself is readable (Graph's 404 reads "does not exist or one of its queried reference-property objects are
 * not present", microsoftgraph/msgraph-bicep-types#271 for a FIC created right after its parent), or a 400 saying the
 * subject or a referenced object does not exist (assumed wording; the stand-in reproduces both).
 */
function isNotYetVisible(answer: Answer): boolean {
    if (answer.kind !== "http") return false;
    if (answer.status === 404) return true;
    return (
        answer.status === 400 && !isDuplicatePair(answer) && /(does not exist|not found|not present|not a valid reference)/i.test(graphError(answer).message)
    );
}

function ficPath(blueprintObjectId: string, credentialId?: string): string {
    return `${blueprintFicCollectionPath(blueprintObjectId)}${credentialId ? `/${encodeURIComponent(credentialId)}` : ""}`;
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

/**
 * The FIC in a 200 body, or undefined when the body is something else (an HTML error page, an empty object, a
 * collection). Graph's get example wraps the entity in `value`; both shapes are read.
 */
function ficFromBody(json: Record<string, unknown> | undefined): GraphFic | undefined {
    const candidate =
        json && typeof json.value === "object" && json.value !== null && !Array.isArray(json.value) ? (json.value as Record<string, unknown>) : json;
    if (!candidate) return undefined;
    const { id, name, issuer, subject, audiences, description } = candidate;
    if (typeof id !== "string" || id === "" || typeof name !== "string" || typeof issuer !== "string" || typeof subject !== "string") return undefined;
    if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === "string")) return undefined;
    return { id, name, issuer, subject, audiences, ...(typeof description === "string" && description !== "" ? { description } : {}) };
}

function matchesContract(fic: GraphFic, inputs: BlueprintFicInputs): boolean {
    return fic.issuer === inputs.issuer && fic.subject === inputs.subject && sameList(fic.audiences, inputs.audiences);
}

function outputsOf(base: Pick<BlueprintFicInputs, "graphEndpoint" | "blueprintObjectId">, fic: GraphFic, createdAt?: string): BlueprintFicOutputs {
    return {
        graphEndpoint: base.graphEndpoint,
        blueprintObjectId: base.blueprintObjectId,
        credentialId: fic.id,
        name: fic.name,
        issuer: fic.issuer,
        subject: fic.subject,
        audiences: fic.audiences,
        ...(fic.description ? { description: fic.description } : {}),
        ...(createdAt ? { createdAt } : {}),
    };
}

/** Every FIC on the Blueprint (at most 20, so one page), or "no-blueprint" when Graph does not know the Blueprint. */
async function listFics(call: Call, blueprintObjectId: string): Promise<GraphFic[] | "no-blueprint"> {
    const path = ficPath(blueprintObjectId);
    const answer = await sendIdempotent(call, "GET", path);
    if (answer.kind === "http" && answer.status === 404) return "no-blueprint";
    if (answer.kind !== "http" || answer.status !== 200 || !Array.isArray(answer.json?.value)) {
        throw graphRequestError(
            answer.kind === "http" && answer.status === 200
                ? `GET ${call.graphEndpoint}${path} answered 200 with a body that is not a FIC collection; nothing was changed. Run the command again; if it persists, check for a proxy between you and Graph.`
                : explain(call, "GET", path, "list", answer),
            answer.kind === "http" ? answer.status : 0,
            graphError(answer).code,
        );
    }
    return (answer.json.value as unknown[]).flatMap((entry) => {
        const fic = ficFromBody(entry as Record<string, unknown>);
        return fic ? [fic] : [];
    });
}

/** The FIC with this name, looked up by its alternate key (retrying within the consistency window when `mustExist`). */
async function findByName(call: Call, blueprintObjectId: string, name: string, mustExist: boolean): Promise<GraphFic | undefined> {
    for (let attempt = 1; ; attempt++) {
        const fics = await listFics(call, blueprintObjectId);
        // Without case, as the audit and the stack's uniqueness rule compare FIC names (ficNameKey).
        const found = fics === "no-blueprint" ? undefined : fics.find((f) => ficNameKey(f.name) === ficNameKey(name));
        if (found || !mustExist) return found;
        if (!(await waitWithinBudget(call, backoffMs(call, undefined, attempt), call.policy.consistencyWindowMs))) return undefined;
    }
}

function noBlueprint(call: Call, blueprintObjectId: string): GraphRequestError {
    return graphRequestError(
        `No Blueprint with object id ${blueprintObjectId} at ${call.graphEndpoint}: check agentfed:blueprint.objectId (the application's object id, not its appId) and agentfed:blueprint.graphEndpoint.`,
        404,
        "Request_ResourceNotFound",
    );
}

/**
 * Builds the provider. Tests pass a token source, a clock and a short retry policy, and point `graphEndpoint` at a
 * loopback server standing in for Graph.
 */
export function blueprintFicProvider(
    getToken: GraphTokenSource = appOnlyGraphToken,
    options: BlueprintFicProviderOptions = {},
): pulumi.dynamic.ResourceProvider {
    const clock = options.clock ?? systemClock();
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    // Set by configure() in the provider process: the stack's Graph endpoint, for reads that carry none (import).
    const settings: { graphEndpoint: string | undefined } = { graphEndpoint: undefined };
    const begin = (graphEndpoint: string): Call => beginCall(getToken, clock, policy, graphEndpoint);

    /**
     * POST the FIC; on an unknown outcome, look it up by name before trying again. `afterSwap`: the FIC that held this
     * issuer+subject was just deleted, and Graph may not see that yet, so a duplicate-pair answer is retried.
     */
    async function createFic(call: Call, inputs: BlueprintFicInputs, afterSwap = false): Promise<GraphFic> {
        const path = ficPath(inputs.blueprintObjectId);
        const body = { name: inputs.name, issuer: inputs.issuer, subject: inputs.subject, audiences: inputs.audiences, description: inputs.description ?? "" };
        let uncertain = false;
        for (let attempt = 1; ; attempt++) {
            if (uncertain) {
                const existing = await findByName(call, inputs.blueprintObjectId, inputs.name, false);
                if (existing) return adopt(call, existing, inputs);
            }
            const answer = await sendOnce(call, "POST", path, body);
            if (answer.kind === "http" && answer.status === 201) {
                const fic = ficFromBody(answer.json);
                if (fic && ficNameKey(fic.name) === ficNameKey(inputs.name)) return fic;
                // Created, but the answer does not say as what: read it back by name rather than guess.
                const readBack = await findByName(call, inputs.blueprintObjectId, inputs.name, true);
                if (readBack) return adopt(call, readBack, inputs);
                throw graphRequestError(
                    `POST ${call.graphEndpoint}${path} answered 201 without the created FIC, and a FIC named ${inputs.name} did not appear: run pulumi up again.`,
                    201,
                    undefined,
                );
            }
            if (isTransient(answer)) {
                uncertain ||= mayHaveCommitted(answer);
                if (attempt >= policy.maxAttempts || !(await waitWithinBudget(call, backoffMs(call, answer, attempt)))) {
                    throw exhausted(call, "POST", path, answer, attempt, CREATE_RETRY_HINT);
                }
                continue;
            }
            if (answer.kind === "http" && (answer.status === 409 || isDuplicatePair(answer))) {
                // A FIC with this name (409) exists, or with this pair, which after an unconfirmed attempt is most likely
                // that attempt's. The same name with the same contract is this create's FIC, committed by an attempt of
                // this run or of an earlier run whose answer was lost: adopt it rather than ask for a manual import.
                if (answer.status === 409 || uncertain) {
                    const existing = await findByName(call, inputs.blueprintObjectId, inputs.name, answer.status === 409 || uncertain);
                    if (existing) return adopt(call, existing, inputs);
                }
                if (isDuplicatePair(answer) && inputs.replacesFicName) return swap(call, inputs);
                if (isDuplicatePair(answer) && afterSwap && (await waitWithinBudget(call, backoffMs(call, undefined, attempt), policy.consistencyWindowMs)))
                    continue;
                throw graphRequestError(explain(call, "POST", path, "create", answer, inputs), answer.status, graphError(answer).code);
            }
            if (isNotYetVisible(answer)) {
                if (answer.kind === "http" && answer.status === 404 && (await listFics(call, inputs.blueprintObjectId)) === "no-blueprint") {
                    throw noBlueprint(call, inputs.blueprintObjectId);
                }
                if (await waitWithinBudget(call, backoffMs(call, undefined, attempt), policy.consistencyWindowMs)) continue;
                throw graphRequestError(
                    `${explain(call, "POST", path, "create", answer)}\nEntra still does not see the FIC's subject ${inputs.subject} after ` +
                        `${Math.round((clock.now() - call.startedAt) / 1000)} s. A managed identity created moments ago takes time to replicate: ` +
                        "run pulumi up again in a few minutes. If it persists, check that the subject exists in this tenant " +
                        "(az identity show --ids <uamiResourceId> --query principalId).",
                    answer.kind === "http" ? answer.status : 0,
                    graphError(answer).code,
                );
            }
            throw graphRequestError(explain(call, "POST", path, "create", answer, inputs), answer.kind === "http" ? answer.status : 0, graphError(answer).code);
        }
    }

    /**
     * An existing FIC with this name is this create's if it carries the requested contract (issuer, subject,
     * audiences): then adopting it changes nothing Entra trusts. Any other contract is someone else's FIC.
     */
    function adopt(call: Call, fic: GraphFic, inputs: BlueprintFicInputs): GraphFic {
        if (matchesContract(fic, inputs)) return fic;
        throw graphRequestError(
            `A FIC named ${inputs.name} exists on Blueprint ${inputs.blueprintObjectId} with another contract (issuer ${fic.issuer}, subject ${fic.subject}, ` +
                `audiences ${JSON.stringify(fic.audiences)}), so it is not this stack's. Delete it, choose another name, or adopt it with the resource option ` +
                `import: "${inputs.blueprintObjectId}/federatedIdentityCredentials/${fic.id}" and let pulumi up update it.`,
            409,
            "Request_MultipleObjectsWithSameKeyValue",
        );
    }

    /**
     * A rename that keeps issuer and subject: Entra holds the pair on one FIC only, so the old FIC (named
     * `replacesFicName`) goes first and comes back if the new one cannot be created. Pulumi then deletes the old
     * resource, which finds it gone (404 counts as deleted).
     */
    async function swap(call: Call, inputs: BlueprintFicInputs): Promise<GraphFic> {
        const old = await findByName(call, inputs.blueprintObjectId, inputs.replacesFicName!, false);
        if (!old || old.issuer !== inputs.issuer || old.subject !== inputs.subject) {
            throw graphRequestError(
                `Another FIC on Blueprint ${inputs.blueprintObjectId} trusts issuer ${inputs.issuer} and subject ${inputs.subject}, and it is not ${inputs.replacesFicName}, which this one replaces: delete or import it.`,
                400,
                "InvalidFederatedIdentityCredentialValue",
            );
        }
        const deleted = await sendIdempotent(call, "DELETE", ficPath(inputs.blueprintObjectId, old.id));
        if (deleted.kind !== "http" || (deleted.status !== 204 && deleted.status !== 200 && deleted.status !== 404)) {
            throw graphRequestError(
                explain(call, "DELETE", ficPath(inputs.blueprintObjectId, old.id), "delete", deleted),
                deleted.kind === "http" ? deleted.status : 0,
                graphError(deleted).code,
            );
        }
        try {
            return await createFic(call, { ...inputs, replacesFicName: undefined }, true);
        } catch (err) {
            const restore = { name: old.name, issuer: old.issuer, subject: old.subject, audiences: old.audiences, description: old.description ?? "" };
            try {
                await createFic(begin(call.graphEndpoint), { ...restore, graphEndpoint: call.graphEndpoint, blueprintObjectId: inputs.blueprintObjectId });
            } catch (restoreErr) {
                const holder = await listFics(begin(call.graphEndpoint), inputs.blueprintObjectId).catch(() => "no-blueprint" as const);
                const pairHolder = holder === "no-blueprint" ? undefined : holder.find((f) => f.issuer === old.issuer && f.subject === old.subject);
                if (pairHolder) {
                    throw graphRequestError(
                        `Renaming FIC ${old.name} to ${inputs.name} reported a failure (${(err as Error).message}), but FIC ${pairHolder.name} holds its issuer and subject, ` +
                            "so the workload keeps its trust. Run pulumi refresh, then pulumi up.",
                        0,
                        undefined,
                    );
                }
                throw graphRequestError(
                    `Renaming FIC ${old.name} to ${inputs.name} failed (${(err as Error).message}), and restoring ${old.name} failed too (${(restoreErr as Error).message}). ` +
                        `The Blueprint has no FIC for subject ${old.subject} now: run pulumi up again to create ${inputs.name}, or recreate it with ` +
                        `POST ${call.graphEndpoint}${ficPath(inputs.blueprintObjectId)} ${JSON.stringify(restore)}.`,
                    0,
                    undefined,
                );
            }
            throw graphRequestError(
                `Renaming FIC ${old.name} to ${inputs.name} failed; ${old.name} was restored, so the workload keeps its trust. Cause: ${(err as Error).message}`,
                typeof (err as Partial<GraphRequestError>).status === "number" ? (err as GraphRequestError).status : 0,
                (err as Partial<GraphRequestError>).code,
            );
        }
    }

    return {
        configure(req) {
            settings.graphEndpoint = configuredGraphEndpoint(req.config);
            return Promise.resolve();
        },

        check(olds, news) {
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
            const renamed = typeof olds?.name === "string" && olds.name !== news.name && olds.blueprintObjectId === news.blueprintObjectId;
            const { replacesFicName: _stale, ...rest } = news as BlueprintFicInputs;
            return Promise.resolve({ inputs: renamed ? { ...rest, replacesFicName: olds.name as string } : rest, failures });
        },

        diff(_id, olds: BlueprintFicOutputs, news: BlueprintFicInputs) {
            const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
            const updates = UPDATABLE.filter((k) => (k === "audiences" ? !sameList(olds.audiences, news.audiences) : (olds[k] ?? "") !== (news[k] ?? "")));
            return Promise.resolve({
                changes: replaces.length + updates.length > 0,
                replaces: [...replaces],
                // Create the new FIC before deleting the old one, so a failed create leaves the old trust in place. A
                // rename that keeps issuer+subject cannot hold both at once; create swaps them (see swap()).
                deleteBeforeReplace: false,
                stables: ["credentialId"],
            });
        },

        async create(inputs: BlueprintFicInputs) {
            const call = begin(inputs.graphEndpoint);
            const fic = await createFic(call, inputs);
            const createdAt = new Date(clock.now()).toISOString();
            const { replacesFicName: _done, ...recorded } = inputs;
            return { id: `${inputs.blueprintObjectId}/federatedIdentityCredentials/${fic.id}`, outs: { ...recorded, ...outputsOf(inputs, fic, createdAt) } };
        },

        async read(id, props?: BlueprintFicOutputs) {
            const { blueprintObjectId, credentialId } = parseBlueprintFicId(id);
            const graphEndpoint = props?.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT;
            const call = begin(graphEndpoint);
            const path = ficPath(blueprintObjectId, credentialId);
            const answer = await sendIdempotent(call, "GET", path);
            const base = { graphEndpoint, blueprintObjectId };
            if (answer.kind === "http" && answer.status === 200) {
                const fic = ficFromBody(answer.json);
                if (!fic) {
                    throw graphRequestError(
                        `GET ${graphEndpoint}${path} answered 200 with a body that is not a federatedIdentityCredential; the FIC stays in state. ` +
                            "Run pulumi refresh again; if it persists, check for a proxy between you and Graph.",
                        200,
                        undefined,
                    );
                }
                return { id, props: outputsOf(base, fic, props?.createdAt) };
            }
            if (answer.kind !== "http" || answer.status !== 404) {
                throw graphRequestError(explain(call, "GET", path, "get", answer), answer.kind === "http" ? answer.status : 0, graphError(answer).code);
            }
            // 404 by id: the same FIC may still be there under its name (recreated, or restored by a failed rename).
            const byName = props?.name ? await findByName(call, blueprintObjectId, props.name, false) : undefined;
            if (byName) return { id: `${blueprintObjectId}/federatedIdentityCredentials/${byName.id}`, props: outputsOf(base, byName, props?.createdAt) };
            const createdAt = props?.createdAt ? Date.parse(props.createdAt) : Number.NaN;
            if (!Number.isNaN(createdAt) && clock.now() - createdAt < policy.consistencyWindowMs) {
                throw graphRequestError(
                    `Graph does not show FIC ${props?.name ?? credentialId} yet; it was created at ${props?.createdAt}, and Entra takes a while to replicate a new object. ` +
                        `It stays in state: run pulumi refresh again after ${new Date(createdAt + policy.consistencyWindowMs).toISOString()}.`,
                    404,
                    graphError(answer).code,
                );
            }
            // Gone from Graph: an empty result tells Pulumi the resource no longer exists (refresh drops it).
            return {};
        },

        async update(id, olds: BlueprintFicOutputs, news: BlueprintFicInputs) {
            const { blueprintObjectId, credentialId } = parseBlueprintFicId(id);
            const call = begin(news.graphEndpoint);
            const path = ficPath(blueprintObjectId, credentialId);
            const patch = { issuer: news.issuer, subject: news.subject, audiences: news.audiences, description: news.description ?? "" };
            const answer = await sendIdempotent(call, "PATCH", path, patch);
            if (answer.kind === "http" && answer.status === 404) {
                if ((await listFics(call, blueprintObjectId)) === "no-blueprint") throw noBlueprint(call, blueprintObjectId);
                throw graphRequestError(
                    `FIC ${olds.name} (${credentialId}) no longer exists on Blueprint ${blueprintObjectId}: it was deleted outside Pulumi. ` +
                        "Run pulumi refresh to drop it from state, then pulumi up to create it again.",
                    404,
                    graphError(answer).code,
                );
            }
            if (answer.kind !== "http" || answer.status >= 300) {
                throw graphRequestError(
                    explain(call, "PATCH", path, "update", answer, news),
                    answer.kind === "http" ? answer.status : 0,
                    graphError(answer).code,
                );
            }
            const { replacesFicName: _none, ...recorded } = news;
            return {
                outs: { ...recorded, credentialId: olds.credentialId, ...(olds.createdAt ? { createdAt: olds.createdAt } : {}) } satisfies BlueprintFicOutputs,
            };
        },

        async delete(id, props: BlueprintFicOutputs) {
            const { blueprintObjectId, credentialId } = parseBlueprintFicId(id);
            const call = begin(props.graphEndpoint ?? settings.graphEndpoint ?? DEFAULT_GRAPH_ENDPOINT);
            const path = ficPath(blueprintObjectId, credentialId);
            const answer = await sendIdempotent(call, "DELETE", path);
            // 404 is success: the FIC is already gone (deleted out of band, by a rename's swap, or by a retried DELETE).
            if (answer.kind === "http" && (answer.status < 300 || answer.status === 404)) return;
            throw graphRequestError(explain(call, "DELETE", path, "delete", answer), answer.kind === "http" ? answer.status : 0, graphError(answer).code);
        },
    };
}
