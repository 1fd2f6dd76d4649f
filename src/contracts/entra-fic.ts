import { MAX_FIC_NAME_LENGTH, MAX_FICS_PER_APPLICATION, TOKEN_EXCHANGE_AUDIENCE, TOKEN_EXCHANGE_AUDIENCE_ALIASES } from "./constants";
import { audiencesOf, JwtClaims, lifetimeProblems, Verdict } from "./claims";
import { guidProblem, issuerProblem, subjectProblem, textProblem } from "./validation";
import { TrustContractError, WorkloadSubject } from "./workload-subject";

/**
 * Which Entra object carries the FIC. An Entra Agent ID Blueprint is reached only through Graph beta; a classic app
 * registration through `azuread.ApplicationFederatedIdentityCredential`.
 */
export type BlueprintKind = "agentIdentityBlueprint" | "application";

/** The application (Blueprint or classic app registration) a FIC is attached to. */
export interface BlueprintTarget {
    readonly kind: BlueprintKind;
    /** The application (client) id: what the sidecar sends as `client_id` (AzureAd__ClientId). */
    readonly appId: string;
    /** The application object id: what Graph paths address. */
    readonly objectId: string;
}

/** A Federated Identity Credential as Entra stores and matches it. Plain JSON: it is exported as a stack output. */
export interface EntraFicContract {
    readonly kind: "entra-fic";
    /** Immutable FIC name, unique on the application. */
    readonly name: string;
    readonly target: BlueprintTarget;
    readonly issuer: string;
    readonly subject: string;
    /** Always exactly `["api://AzureADTokenExchange"]`. */
    readonly audiences: readonly string[];
}

const FIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Problems with a FIC name (Graph: unique, URL-friendly, at most 120 characters, immutable). */
export function ficNameProblem(name: unknown): string | undefined {
    if (typeof name !== "string" || name.length === 0) return textProblem(name);
    if (name.length < 3 || name.length > MAX_FIC_NAME_LENGTH) {
        return `must be 3 to ${MAX_FIC_NAME_LENGTH} characters (got ${name.length})`;
    }
    if (!FIC_NAME.test(name)) {
        return `must start with a letter or digit and contain only letters, digits, '-' and '_' (got ${JSON.stringify(name)})`;
    }
    return undefined;
}

/** Problems with a FIC audience list: exactly one value, the URI form (the GUID form is refused, AADSTS700214). */
/**
 * The key a FIC's name is compared by: without case. Graph makes `name` the FIC's alternate key; this project treats
 * two names that differ only in case as one FIC everywhere (the stack's uniqueness rule, `ficSetProblems`; the live
 * trust audit; the Blueprint FIC provider's lookups), the conservative reading: a live FIC whose name differs from
 * the declared one only in case is that FIC, never a second one to create beside it.
 */
export function ficNameKey(name: string): string {
    return name.toLowerCase();
}

export function ficAudiencesProblem(audiences: unknown): string | undefined {
    if (!Array.isArray(audiences) || audiences.length !== 1 || audiences[0] !== TOKEN_EXCHANGE_AUDIENCE) {
        return `must be exactly [${JSON.stringify(TOKEN_EXCHANGE_AUDIENCE)}] (got ${JSON.stringify(audiences)}); Entra refuses any other FIC audience (AADSTS700214)`;
    }
    return undefined;
}

/**
 * The FIC that lets `subject` authenticate as `target` without a secret. The audience is always the URI form;
 * the subject must be a token minted for token exchange (either spelling), or no FIC could ever accept it.
 */
export function entraFicContract(name: string, target: BlueprintTarget, subject: WorkloadSubject): EntraFicContract {
    const problems = [
        ["FIC name", ficNameProblem(name)],
        ["Blueprint appId", guidProblem(target.appId)],
        ["Blueprint objectId", guidProblem(target.objectId)],
        ["FIC issuer", issuerProblem(subject.issuer)],
        ["FIC subject", subjectProblem(subject.subject)],
    ].filter((p): p is [string, string] => p[1] !== undefined);
    if (problems.length > 0) throw new TrustContractError(problems.map(([what, p]) => `${what} ${p}`).join("; "));
    if (!subject.audiences.some((a) => TOKEN_EXCHANGE_AUDIENCE_ALIASES.includes(a))) {
        throw new TrustContractError(
            `FIC ${name}: the workload's token carries aud ${JSON.stringify(subject.audiences)}, but a FIC only accepts ` +
                `${TOKEN_EXCHANGE_AUDIENCE} (or its appId GUID); request the token for ${TOKEN_EXCHANGE_AUDIENCE}`,
        );
    }
    return {
        kind: "entra-fic",
        name,
        target: { kind: target.kind, appId: target.appId, objectId: target.objectId },
        issuer: subject.issuer,
        subject: subject.subject,
        audiences: [TOKEN_EXCHANGE_AUDIENCE],
    };
}

/** A FIC as declared for one application, before any is created: what the set rules below check. */
export interface DeclaredFic {
    readonly name: string;
    readonly issuer: string;
    /** Undefined while the subject is only known after deployment (a UAMI oid): it cannot collide by value yet. */
    readonly subject: string | undefined;
}

/** Problems with the whole set of FICs on one application: at most 20, unique names, unique issuer+subject pairs. */
export function ficSetProblems(fics: readonly DeclaredFic[]): string[] {
    const problems: string[] = [];
    if (fics.length > MAX_FICS_PER_APPLICATION) {
        problems.push(
            `declares ${fics.length} federated identity credentials; Entra allows at most ${MAX_FICS_PER_APPLICATION} per application. ` +
                "Remove some, or split the workloads across Blueprints",
        );
    }
    const names = new Map<string, number>();
    const pairs = new Map<string, string>();
    for (const fic of fics) {
        const key = ficNameKey(fic.name);
        names.set(key, (names.get(key) ?? 0) + 1);
        if (fic.subject === undefined) continue;
        const pair = `${fic.issuer}\u0000${fic.subject}`;
        const first = pairs.get(pair);
        if (first !== undefined) {
            problems.push(
                `FICs ${JSON.stringify(first)} and ${JSON.stringify(fic.name)} both trust issuer ${JSON.stringify(fic.issuer)} ` +
                    `with subject ${JSON.stringify(fic.subject)}; Entra requires issuer+subject to be unique per application. Keep one`,
            );
        } else {
            pairs.set(pair, fic.name);
        }
    }
    for (const [name, count] of names) {
        if (count > 1) problems.push(`FIC name ${JSON.stringify(name)} is used ${count} times; names must be unique per application`);
    }
    return problems;
}

/**
 * Entra's FIC check, as Rais, "Entra Agent ID Across Clouds", Part 2, and Microsoft's
 * "Workload identity federation" (Microsoft Entra docs) describe it: issuer and subject match exactly (case- and
 * whitespace-sensitive), and the token's audience is the token-exchange audience in either spelling.
 * `now` (seconds) enables the lifetime check (AADSTS700024).
 */
export function evaluateEntraFic(contract: EntraFicContract, claims: JwtClaims, now?: number): Verdict {
    const reasons: string[] = [];
    const noMatch = "AADSTS70021: No matching federated identity record found for presented assertion";
    if (claims.iss !== contract.issuer) {
        reasons.push(`${noMatch} issuer ${JSON.stringify(claims.iss)} (the FIC trusts ${JSON.stringify(contract.issuer)})`);
    }
    if (claims.sub !== contract.subject) {
        reasons.push(`${noMatch} subject ${JSON.stringify(claims.sub)} (the FIC trusts ${JSON.stringify(contract.subject)})`);
    }
    const accepted = new Set(contract.audiences.flatMap((a) => (TOKEN_EXCHANGE_AUDIENCE_ALIASES.includes(a) ? TOKEN_EXCHANGE_AUDIENCE_ALIASES : [a])));
    const auds = audiencesOf(claims);
    if (!auds.some((a) => accepted.has(a))) {
        reasons.push(`${noMatch} audience ${JSON.stringify(claims.aud)} (the FIC accepts ${TOKEN_EXCHANGE_AUDIENCE})`);
    }
    if (now !== undefined) reasons.push(...lifetimeProblems(claims, now, 300, "AADSTS700024: Client assertion is not within its valid time range"));
    return { accepted: reasons.length === 0, reasons };
}
