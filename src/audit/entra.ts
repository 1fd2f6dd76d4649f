/**
 * Entra: what the stack declared on each application (Blueprint or classic app registration) its FIC contracts
 * target, what Graph holds there, and the rules that turn the difference into findings. Pure: no I/O.
 *
 * Identity of a FIC: its `name` (Graph: "unique ... alternate key", immutable), compared without case as the
 * stack's own uniqueness rule does (`ficSetProblems`). A FIC is loosened or tampered with when its issuer, subject
 * or audiences differ from the declaration, or when it matches claims through a `claimsMatchingExpression`
 * ("flexible FIC", Graph beta) instead of one exact subject.
 */
import { blueprintFicCollectionPath, BlueprintKind, EntraFicContract, ficNameKey, TrustContract } from "../contracts";
import type { Finding } from "./findings";

/** One application the contracts put FICs on, with every FIC they declare there. */
export interface EntraTarget {
    readonly kind: BlueprintKind;
    readonly appId: string;
    readonly objectId: string;
    readonly declared: readonly EntraFicContract[];
}

/** A FIC as Graph returns it (federatedIdentityCredential resource, beta and v1.0). */
export interface LiveFic {
    readonly id: string;
    readonly name: string;
    readonly issuer: string;
    /** Null when the FIC matches a claims expression instead. */
    readonly subject: string | null;
    readonly audiences: readonly string[];
    /** Flexible FIC: `{ value, languageVersion }`, null otherwise. */
    readonly claimsMatchingExpression: { readonly value: string; readonly languageVersion?: number } | null;
}

/** A client secret (passwordCredential); Graph never returns the secret itself. */
export interface LivePasswordCredential {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly endDateTime: string | null;
}

/** A certificate or public key (keyCredential). `usage: "Verify"` is a client credential. */
export interface LiveKeyCredential {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly type: string;
    readonly usage: string;
    readonly endDateTime: string | null;
}

/** The application object itself (only what the audit reads: `$select=id,appId,passwordCredentials,keyCredentials`). */
export interface LiveApplication {
    readonly appId: string;
    readonly passwordCredentials: readonly LivePasswordCredential[];
    readonly keyCredentials: readonly LiveKeyCredential[];
}

/** What could be read for one target; a part left undefined was not read (the reader reports why). */
export interface EntraLive {
    readonly application?: LiveApplication | "not-found";
    readonly fics?: readonly LiveFic[] | "not-found";
}

/** Contracts that disagree with each other: the audit refuses them rather than guess. */
export class AuditInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AuditInputError";
    }
}

/** Groups the FIC contracts by the application they target (object id, case-insensitive), in first-seen order. */
export function entraTargets(contracts: readonly TrustContract[]): EntraTarget[] {
    const byObject = new Map<string, { kind: BlueprintKind; appId: string; objectId: string; declared: EntraFicContract[] }>();
    for (const c of contracts) {
        if (c.kind !== "entra-fic") continue;
        const key = c.target.objectId.toLowerCase();
        const seen = byObject.get(key);
        if (!seen) {
            byObject.set(key, { kind: c.target.kind, appId: c.target.appId, objectId: c.target.objectId, declared: [c] });
            continue;
        }
        if (seen.kind !== c.target.kind || seen.appId.toLowerCase() !== c.target.appId.toLowerCase()) {
            throw new AuditInputError(
                `trustContracts disagree about application ${c.target.objectId}: FIC ${JSON.stringify(seen.declared[0]!.name)} says ${seen.kind} ${seen.appId}, ` +
                    `FIC ${JSON.stringify(c.name)} says ${c.target.kind} ${c.target.appId}; regenerate the outputs from the deployed stack`,
            );
        }
        seen.declared.push(c);
    }
    return [...byObject.values()];
}

/** The Graph collection path of a target's FICs: the Blueprint cast on beta, the plain v1.0 path for a classic app. */
export function ficCollectionPath(target: Pick<EntraTarget, "kind" | "objectId">): string {
    return target.kind === "agentIdentityBlueprint"
        ? blueprintFicCollectionPath(target.objectId)
        : `/v1.0/applications/${target.objectId}/federatedIdentityCredentials`;
}

/** The Graph path of the application object itself. */
export function applicationPath(target: Pick<EntraTarget, "kind" | "objectId">): string {
    return target.kind === "agentIdentityBlueprint"
        ? `/beta/applications/${target.objectId}/microsoft.graph.agentIdentityBlueprint`
        : `/v1.0/applications/${target.objectId}`;
}

function what(target: EntraTarget): string {
    return target.kind === "agentIdentityBlueprint" ? `Blueprint ${target.appId}` : `application ${target.appId}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000");
}

function describeFic(fic: LiveFic): string {
    const who = fic.claimsMatchingExpression
        ? `claims matching expression ${JSON.stringify(fic.claimsMatchingExpression.value)} (a flexible FIC: more than one subject)`
        : `subject ${JSON.stringify(fic.subject)}`;
    return `issuer ${JSON.stringify(fic.issuer)}, ${who}, audiences ${JSON.stringify(fic.audiences)}`;
}

/** How a live FIC differs from its declaration; empty when it is exactly the declared FIC. */
export function ficDifferences(declared: EntraFicContract, live: LiveFic): string[] {
    const diffs: string[] = [];
    if (live.issuer !== declared.issuer) diffs.push(`issuer is ${JSON.stringify(live.issuer)} (declared ${JSON.stringify(declared.issuer)})`);
    if (live.claimsMatchingExpression) {
        diffs.push(
            `it matches claims expression ${JSON.stringify(live.claimsMatchingExpression.value)} instead of one subject (declared subject ${JSON.stringify(declared.subject)})`,
        );
    } else if (live.subject !== declared.subject) {
        diffs.push(`subject is ${JSON.stringify(live.subject)} (declared ${JSON.stringify(declared.subject)})`);
    }
    if (!sameSet(live.audiences, declared.audiences))
        diffs.push(`audiences are ${JSON.stringify(live.audiences)} (declared ${JSON.stringify(declared.audiences)})`);
    return diffs;
}

function expired(endDateTime: string | null, nowMs: number): boolean {
    if (endDateTime === null) return false;
    const end = Date.parse(endDateTime);
    return !Number.isNaN(end) && end <= nowMs;
}

/** Findings for one target. `nowMs` decides whether a stray secret or certificate is still usable. */
export function diffEntraTarget(target: EntraTarget, live: EntraLive, nowMs: number): Finding[] {
    const findings: Finding[] = [];
    const collection = ficCollectionPath(target);
    const app = applicationPath(target);
    const add = (severity: Finding["severity"], resource: string, message: string) => findings.push({ severity, cloud: "entra", resource, message });

    // A declared object that answers 404 is an error finding: the audit cannot tell a deleted object from one it looked
    // for in the wrong place (another endpoint, another object id), and either way nothing under it was audited.
    // Whatever part did answer is still judged below: a FIC list that answers beside a 404 is not hidden by it.
    const wrongPlace =
        "If it was deleted, restore it from Entra's deleted items within 30 days or run pulumi up; if it exists, the audit read the wrong " +
        "place: check AGENTFED_GRAPH_ENDPOINT and the object id in the stack's outputs.";
    if (live.application === "not-found") {
        add(
            "error",
            app,
            `${what(target)} (object ${target.objectId}) was not found (404), though the stack declares it: either it is gone, and every FIC ` +
                `declared there with it (the agent cannot sign in, AADSTS700016), or the audit is not reading the object the agent signs in as. ` +
                `Its secrets and certificates were not audited. ${wrongPlace}`,
        );
    }
    if (live.fics === "not-found") {
        add(
            "error",
            collection,
            `the FIC collection of ${what(target)} (object ${target.objectId}) was not found (404), though the stack declares ` +
                `${target.declared.length} FIC(s) there: no FIC on it was audited. ${wrongPlace}`,
        );
    }

    if (live.application && live.application !== "not-found") {
        if (live.application.appId.toLowerCase() !== target.appId.toLowerCase()) {
            add(
                "error",
                app,
                `object ${target.objectId} is application ${live.application.appId}, but the contracts say ${target.appId}: the audit read an object the agent ` +
                    `does not sign in as, so the real one was not audited. Correct blueprint.objectId / appId in the stack config and redeploy.`,
            );
        }
        for (const secret of live.application.passwordCredentials) {
            const label = `client secret ${JSON.stringify(secret.displayName ?? "")} (keyId ${secret.keyId}, expires ${secret.endDateTime ?? "never"})`;
            if (expired(secret.endDateTime, nowMs)) {
                add(
                    "warning",
                    `${app}/passwordCredentials/${secret.keyId}`,
                    `${label} has expired and can no longer be used; remove it so it cannot be mistaken for a live one.`,
                );
            } else {
                add(
                    "error",
                    `${app}/passwordCredentials/${secret.keyId}`,
                    `${label} is on the ${what(target)}: whoever holds it signs in as the ${what(target)} with no federation at all. The stack is secretless ` +
                        `and declares no secret. Remove it (Graph removePassword on ${app}) and review the app's sign-in logs for its use.`,
                );
            }
        }
        for (const key of live.application.keyCredentials) {
            if (key.usage !== "Verify") continue; // Sign/Encrypt keys sign or decrypt tokens; they are not sign-in credentials
            const label = `certificate credential ${JSON.stringify(key.displayName ?? "")} (keyId ${key.keyId}, ${key.type}, expires ${key.endDateTime ?? "never"})`;
            if (expired(key.endDateTime, nowMs)) {
                add("warning", `${app}/keyCredentials/${key.keyId}`, `${label} has expired and can no longer be used; remove it.`);
            } else {
                add(
                    "error",
                    `${app}/keyCredentials/${key.keyId}`,
                    `${label} is on the ${what(target)}: whoever holds its private key signs in as the ${what(target)}. The stack declares no certificate. ` +
                        `Remove it (Entra admin center > App registrations > Certificates & secrets) and review the app's sign-in logs.`,
                );
            }
        }
    }

    if (live.fics === undefined || live.fics === "not-found") return findings;
    const declaredByName = new Map(target.declared.map((d) => [ficNameKey(d.name), d]));
    const seen = new Set<string>();
    for (const fic of live.fics) {
        const key = ficNameKey(fic.name);
        const declared = declaredByName.get(key);
        const resource = `${collection}/${fic.name}`;
        if (!declared) {
            add(
                "error",
                resource,
                `undeclared FIC ${JSON.stringify(fic.name)} (id ${fic.id}) trusts ${describeFic(fic)}: any workload holding such a token signs in as the ` +
                    `${what(target)}. The stack declares ${target.declared.length} FIC(s) here (${target.declared.map((d) => d.name).join(", ")}). If nobody can ` +
                    `account for it, delete it (DELETE ${collection}/${fic.id}) and review the app's sign-in logs; if it is legitimate, declare it ` +
                    `(agentfed:blueprint.additionalFederatedCredentials) and run pulumi up.`,
            );
            continue;
        }
        seen.add(key);
        const diffs = ficDifferences(declared, fic);
        if (diffs.length > 0) {
            add(
                "error",
                resource,
                `FIC ${JSON.stringify(fic.name)} was changed outside the stack: ${diffs.join("; ")}. It now trusts a workload the stack did not declare, and ` +
                    `the declared one gets AADSTS70021. Run pulumi up to restore the declared values (pulumi preview --refresh shows the drift), and find ` +
                    `who changed it in the Entra audit log (category ApplicationManagement).`,
            );
        }
    }
    for (const declared of target.declared) {
        if (seen.has(ficNameKey(declared.name))) continue;
        add(
            "error",
            `${collection}/${declared.name}`,
            `declared FIC ${JSON.stringify(declared.name)} is missing: the workload it trusts (issuer ${JSON.stringify(declared.issuer)}, subject ` +
                `${JSON.stringify(declared.subject)}) can no longer sign in (AADSTS70021). Run pulumi refresh, then pulumi up to recreate it, and find ` +
                `who deleted it in the Entra audit log.`,
        );
    }
    return findings;
}
