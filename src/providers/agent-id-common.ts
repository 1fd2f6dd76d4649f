/**
 * What the three Agent ID object providers (Blueprint, Blueprint principal, Agent Identity) share on top of the Graph
 * client: the wording of a refusal, sponsors read back and reconciled, and "not visible yet" after a create. Serialized
 * into Pulumi state with the providers, so: types and pure helpers only, no module-level state.
 */
import { AgentIdSponsors, sponsorReference } from "../contracts";
import { answered, Answer, Call, graphError, graphRequestError, GraphRequestError, listAll, Method, refusal, sendIdempotent, statusOf } from "./graph-client";

export { refusal } from "./graph-client";

/** A GraphRequestError for a definitive refusal. */
export function refused(call: Call, method: Method, path: string, answer: Answer, permission: string): GraphRequestError {
    return graphRequestError(refusal(call, method, path, answer, permission), statusOf(answer), graphError(answer).code);
}

/** The object ids of a sponsor declaration, lower-case, sorted, each once. */
export function declaredSponsorIds(sponsors: AgentIdSponsors): string[] {
    return [...new Set([...(sponsors.userIds ?? []), ...(sponsors.groupIds ?? [])].map((id) => id.toLowerCase()))].sort();
}

/** Sponsors as Graph lists them, or unchecked when the caller may not list them (or Graph does not show them yet). */
export interface SponsorsRead {
    /** Lower-case, sorted object ids; undefined when not read. */
    readonly ids: string[] | undefined;
    /** Whether `ids` came from Graph on this read. */
    readonly checked: boolean;
}

/**
 * Reads an object's sponsors (`GET …/sponsors`). A 401 or 403 is not an error: listing an Agent Identity's sponsors
 * needs AgentIdentity.ReadWrite.All, which a least-privileged deploy identity does not hold; the read then says the
 * sponsors were not checked (`checked: false`) rather than reporting them unchanged.
 */
export async function readSponsors(call: Call, path: string, permission: string): Promise<SponsorsRead> {
    try {
        const entries = await listAll(call, path, permission);
        if (entries === undefined) return { ids: undefined, checked: false };
        const ids = entries.flatMap((e) => (typeof e.id === "string" ? [e.id.toLowerCase()] : []));
        return { ids: [...new Set(ids)].sort(), checked: true };
    } catch (err) {
        const status = (err as Partial<GraphRequestError>).status;
        if (status === 401 || status === 403) return { ids: undefined, checked: false };
        throw err;
    }
}

/**
 * Makes an object's sponsors the declared set with `$ref` calls: every missing one added first, then every extra one
 * removed, so the object never has fewer sponsors than it needs between two calls. An add Graph answers "already
 * exist" and a remove it answers 404 count as done (a retried call). `permission` words a refusal.
 */
export async function reconcileSponsors(
    call: Call,
    listPath: string,
    refPath: (sponsorId: string) => string,
    current: readonly string[],
    desired: readonly string[],
    permission: string,
): Promise<void> {
    const have = new Set(current.map((id) => id.toLowerCase()));
    const want = new Set(desired.map((id) => id.toLowerCase()));
    for (const id of want) {
        if (have.has(id)) continue;
        const path = `${listPath}/$ref`;
        const answer = await sendIdempotent(call, "POST", path, sponsorReference(call.graphEndpoint, id));
        if (answered(answer, 200, 201, 204)) continue;
        if (answered(answer, 400) && /already exist/i.test(graphError(answer).message)) continue;
        throw graphRequestError(
            `${refusal(call, "POST", path, answer, permission)}\nSponsor ${id} was not added; nothing was removed.`,
            statusOf(answer),
            graphError(answer).code,
        );
    }
    for (const id of have) {
        if (want.has(id)) continue;
        const path = refPath(id);
        const answer = await sendIdempotent(call, "DELETE", path);
        if (answered(answer, 200, 204, 404)) continue;
        throw refused(call, "DELETE", path, answer, permission);
    }
}

/** Whether a read inside the consistency window after `createdAt` may still miss the object. */
export function stillReplicating(createdAt: string | undefined, now: number, windowMs: number): boolean {
    const created = createdAt ? Date.parse(createdAt) : Number.NaN;
    return !Number.isNaN(created) && now - created < windowMs;
}

/** The error of a read that does not find an object created moments ago: it stays in state. */
export function notVisibleYet(what: string, createdAt: string, windowMs: number, answer: Answer): GraphRequestError {
    return graphRequestError(
        `Graph does not show ${what} yet; it was created at ${createdAt}, and Entra takes a while to replicate a new object. ` +
            `It stays in state: run pulumi refresh again after ${new Date(Date.parse(createdAt) + windowMs).toISOString()}.`,
        404,
        graphError(answer).code,
    );
}

/** The creation tag among an object's tags (an Agent Identity's tags include its Blueprint's: the first `agentfed:` tag that is `own`). */
export function creationTagOf(tags: readonly string[] | undefined, own: string | undefined): string | undefined {
    if (!tags) return undefined;
    if (own !== undefined && tags.includes(own)) return own;
    return tags.find((t) => /^agentfed:[0-9a-f]{32}$/.test(t));
}
