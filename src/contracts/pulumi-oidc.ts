import { audiencesOf, JwtClaims, lifetimeProblems, Verdict } from "./claims";
import { issuerProblem } from "./validation";
import { TrustContractError, WorkloadSubject } from "./workload-subject";

/**
 * Pulumi Cloud's OIDC issuer registration and one of its authorization policies, as Pulumi documents them
 * (pulumi/docs, content/docs/administration/concepts/oidc-issuers.md): a policy names a decision, a token type
 * (and the team it acts as), and rules on the incoming token's claims. Rule values support wildcards: `*` (zero or
 * more characters), `?` (zero or one character) and `.` (exactly one character); deny always wins over allow.
 */

/** The Pulumi access token a policy issues. `team` acts with one team's stack permissions; `organization` as the org. */
export type PulumiTokenType = "team" | "organization";

export const PULUMI_TOKEN_TYPES: readonly PulumiTokenType[] = ["team", "organization"];

/** One allow policy on a Pulumi Cloud OIDC issuer, as plain JSON. */
export interface PulumiOidcPolicyContract {
    readonly kind: "pulumi-oidc-policy";
    readonly organization: string;
    /** The registered issuer URL: equals the token's `iss`. */
    readonly issuer: string;
    readonly decision: "allow";
    readonly tokenType: PulumiTokenType;
    /** The team the issued token acts as (token type `team`). */
    readonly teamName?: string;
    /** The exact `sub` the policy pins (also among `rules`), for reports. */
    readonly subject: string;
    /** Claim name -> value the token must carry. Values are exact: no wildcard character is ever written. */
    readonly rules: Readonly<Record<string, string>>;
}

const TEAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// Pulumi organisation logins follow GitHub's rules (letters, digits, single inner hyphens); '_' and '.' are refused
// because the audience is matched with Pulumi's wildcard rules.
const ORGANIZATION = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,39}$/;

/** Problems with a Pulumi organisation name. */
export function pulumiOrganizationProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    if (!ORGANIZATION.test(value)) return `is not a Pulumi organisation name (got ${JSON.stringify(value)}; letters, digits and single inner hyphens)`;
    return undefined;
}

/** Problems with a Pulumi team name (a team scope is matched with wildcards too: '.', '*' and '?' are refused). */
export function pulumiTeamNameProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    if (!TEAM_NAME.test(value)) return `is not a safe Pulumi team name (got ${JSON.stringify(value)}; letters, digits, '-' and '_', at most 64)`;
    return undefined;
}

/** Pulumi's rule wildcards, so a value that carries one can be refused before it is registered. */
export const PULUMI_RULE_WILDCARDS = /[*?.]/;

/**
 * The allow policy that lets exactly one GitHub Actions subject exchange its token for a Pulumi access token:
 * rules on `aud`, `sub` and, for a GitHub subject, the immutable `repository_id` and `repository_owner_id`
 * (Pulumi Cloud can match any claim, so it sees the ids whatever the subject format). A `.` in the subject (a
 * repository name may hold one) is a one-character wildcard in Pulumi's matcher; the id rules keep that inside the
 * one repository.
 */
export function pulumiOidcPolicyContract(
    args: { organization: string; tokenType: PulumiTokenType; teamName?: string },
    subject: WorkloadSubject,
): PulumiOidcPolicyContract {
    const problems: string[] = [];
    const orgProblem = pulumiOrganizationProblem(args.organization);
    if (orgProblem) problems.push(`Pulumi organisation ${orgProblem}`);
    const issProblem = issuerProblem(subject.issuer);
    if (issProblem) problems.push(`issuer ${issProblem}`);
    if (args.tokenType === "team") {
        const teamProblem = pulumiTeamNameProblem(args.teamName);
        if (teamProblem) problems.push(`team ${teamProblem}`);
    } else if (args.teamName !== undefined) problems.push("an organization token names no team");
    const [audience, ...more] = subject.audiences;
    if (!audience || more.length > 0) problems.push(`a policy pins exactly one audience (got ${JSON.stringify(subject.audiences)})`);
    if (/[*?]/.test(subject.subject) || subject.subject === "") problems.push(`subject ${JSON.stringify(subject.subject)} must be exact`);
    if (problems.length > 0) throw new TrustContractError(`Pulumi Cloud OIDC policy: ${problems.join("; ")}`);
    const rules: Record<string, string> = { aud: audience!, sub: subject.subject };
    if (subject.github) {
        rules.repository_id = subject.github.repositoryId;
        rules.repository_owner_id = subject.github.repositoryOwnerId;
    }
    return {
        kind: "pulumi-oidc-policy",
        organization: args.organization,
        issuer: subject.issuer,
        decision: "allow",
        tokenType: args.tokenType,
        ...(args.tokenType === "team" ? { teamName: args.teamName } : {}),
        subject: subject.subject,
        rules,
    };
}

/** Pulumi's rule matcher: `*` any run, `?` zero or one character, `.` exactly one character, the rest literal. */
export function pulumiRuleMatches(pattern: string, value: string): boolean {
    const source = [...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? ".?" : c === "." ? "." : c.replace(/[\\^$+()[\]{}|/]/g, "\\$&"))).join("");
    return new RegExp(`^${source}$`, "su").test(value);
}

/**
 * Pulumi Cloud's token exchange as documented: the token's issuer must be the registered one, it must be within
 * its lifetime, and every rule of an allow policy for the requested token type (and team) must match a claim.
 * The workflow requests exactly the policy's token type and team (`PULUMI_TEAM`), so only the rules decide.
 * Signature and JWKS checks are not modelled.
 */
export function evaluatePulumiOidcPolicy(contract: PulumiOidcPolicyContract, claims: JwtClaims, now?: number): Verdict {
    const reasons: string[] = [];
    if (claims.iss !== contract.issuer) {
        reasons.push(`invalid_request: no OIDC issuer registered in organization ${contract.organization} for ${JSON.stringify(claims.iss)}`);
    }
    if (now !== undefined) reasons.push(...lifetimeProblems(claims, now, 0, "invalid_request: the subject token"));
    for (const [claim, pattern] of Object.entries(contract.rules)) {
        const value = claims[claim];
        const values = claim === "aud" ? audiencesOf(claims) : typeof value === "string" ? [value] : [];
        if (!values.some((v) => pulumiRuleMatches(pattern, v))) {
            reasons.push(
                `unauthorized_client: no authorization policy allows this token: claim ${claim} ${JSON.stringify(claims[claim] ?? null)} does not match ${JSON.stringify(pattern)}`,
            );
        }
    }
    return { accepted: reasons.length === 0, reasons };
}
