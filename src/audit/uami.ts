/**
 * The agents' user-assigned managed identities. Every contract trusts a UAMI's tokens, so a federated identity
 * credential added *on the UAMI itself* (Azure lets a UAMI trust external issuers, as an app registration does)
 * would let an outside workload become the UAMI and pass every contract at once: the Blueprint FIC, the GCP
 * provider and the AWS role. The stack never creates one, so every FIC found on an agent's UAMI is undeclared.
 * Pure: no I/O.
 */
import type { Finding } from "./findings";

/** A UAMI the stack declares: its ARM id and the object id its contracts pin. */
export interface DeclaredUami {
    /** Who it belongs to, for messages: "the primary agent", "agent class finance". */
    readonly owner: string;
    readonly resourceId: string;
    readonly oid: string | undefined;
}

/** What ARM holds for one UAMI; a part left undefined was not read. */
export interface UamiLive {
    /** The identity itself (its current object id), or "not-found". */
    readonly identity?: { readonly principalId: string } | "not-found";
    readonly fics?:
        readonly { readonly name: string; readonly issuer: string; readonly subject: string; readonly audiences: readonly string[] }[] | "not-found";
}

const UAMI_ID =
    /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[-\w]{3,128}$/i;

/**
 * The UAMIs in the outputs: `uamiResourceId`/`uamiOid` for the primary agent and each entry of `agentClasses`.
 * Returns the problems instead for outputs without them (produced by an older version, or hand-edited).
 */
export function declaredUamis(outputs: Readonly<Record<string, unknown>>): { uamis: DeclaredUami[]; problems: string[] } {
    const uamis: DeclaredUami[] = [];
    const problems: string[] = [];
    const take = (owner: string, path: string, source: Readonly<Record<string, unknown>>) => {
        const id = source.uamiResourceId;
        if (typeof id !== "string" || !UAMI_ID.test(id)) {
            problems.push(
                `${path}.uamiResourceId is ${JSON.stringify(id)}, not a user-assigned identity's ARM id: the FICs on ${owner}'s UAMI were not audited`,
            );
            return;
        }
        uamis.push({ owner, resourceId: id, oid: typeof source.uamiOid === "string" ? source.uamiOid : undefined });
    };
    // The CI bootstrap's outputs declare no UAMI at all (its identities are apps, service accounts and roles): nothing
    // to read then. An agent stack always exports both keys.
    if ("uamiResourceId" in outputs || "uamiOid" in outputs) take("the primary agent", "outputs", outputs);
    const classes = outputs.agentClasses;
    const secret = (v: unknown) => (v === "[secret]" ? " (a secret output: run pulumi stack output --json --show-secrets)" : "");
    if (classes === undefined) return { uamis, problems };
    if (classes === null || typeof classes !== "object" || Array.isArray(classes)) {
        problems.push(
            `outputs.agentClasses is ${JSON.stringify(classes)}, not an object of agent classes${secret(classes)}: no agent class's UAMI was audited`,
        );
        return { uamis, problems };
    }
    for (const [name, value] of Object.entries(classes as Record<string, unknown>)) {
        if (value && typeof value === "object" && !Array.isArray(value))
            take(`agent class ${name}`, `outputs.agentClasses.${name}`, value as Record<string, unknown>);
        else
            problems.push(
                `outputs.agentClasses.${name} is ${JSON.stringify(value)}, not an object${secret(value)}: the FICs on agent class ${name}'s UAMI were not audited`,
            );
    }
    return { uamis, problems };
}

/** Findings for one UAMI. */
export function diffUami(uami: DeclaredUami, live: UamiLive): Finding[] {
    const findings: Finding[] = [];
    const add = (severity: Finding["severity"], resource: string, message: string) => findings.push({ severity, cloud: "entra", resource, message });
    // Declared but not found: an error finding (deleted, or the audit read the wrong place; it cannot tell which), and
    // whatever part did answer is still judged: a FIC list that answers beside a 404 is not hidden by it.
    const wrongPlace = "If it exists, the audit read the wrong place: check AGENTFED_ARM_ENDPOINT and uamiResourceId in the stack's outputs.";
    if (live.identity === "not-found") {
        add(
            "error",
            uami.resourceId,
            `${uami.owner}'s UAMI was not found (404), though the stack declares it: its agent has no identity and every contract pinning it is ` +
                `dead, and its object id could not be checked. Run pulumi up. ${wrongPlace}`,
        );
    }
    if (live.fics === "not-found") {
        add(
            "error",
            `${uami.resourceId}/federatedIdentityCredentials`,
            `the FIC collection of ${uami.owner}'s UAMI was not found (404): no FIC on it was audited. ${wrongPlace}`,
        );
    }
    const principalId = live.identity !== "not-found" ? live.identity?.principalId : undefined;
    if (principalId !== undefined && uami.oid !== undefined && principalId.toLowerCase() !== uami.oid.toLowerCase()) {
        add(
            "warning",
            uami.resourceId,
            `${uami.owner}'s UAMI now has object id ${principalId}, but the contracts pin ${uami.oid}: it was recreated, so every contract ` +
                `still trusts the old, deleted identity and the agent is refused everywhere. Run pulumi up to re-pin them.`,
        );
    }
    const [, , , resourceGroup = "<rg>", , , , name = "<uami>"] = uami.resourceId.split("/").slice(1);
    for (const fic of live.fics === "not-found" ? [] : (live.fics ?? [])) {
        add(
            "error",
            `${uami.resourceId}/federatedIdentityCredentials/${fic.name}`,
            `undeclared FIC ${JSON.stringify(fic.name)} on ${uami.owner}'s UAMI trusts issuer ${JSON.stringify(fic.issuer)}, subject ` +
                `${JSON.stringify(fic.subject)}, audiences ${JSON.stringify(fic.audiences)}: that workload can obtain the UAMI's own tokens and so ` +
                `passes every contract that trusts the UAMI (the Blueprint FIC, GCP, AWS). The stack declares no FIC on a UAMI. If nobody can ` +
                `account for it, delete it (az identity federated-credential delete --identity-name ${name} --resource-group ${resourceGroup} ` +
                `--name ${fic.name}) and review the UAMI's sign-in logs.`,
        );
    }
    return findings;
}
