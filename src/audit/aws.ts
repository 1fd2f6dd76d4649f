/**
 * AWS: the IAM OIDC provider the stack's role contracts trust, every role in the account whose trust policy
 * admits that provider, and the rules that turn the difference into findings. Pure: no I/O.
 *
 * The rules, defined here once:
 * - A statement *admits the provider* when it is an Allow whose principal covers the provider's ARN (the exact
 *   ARN, a wildcard matching it, `"*"`, `{"AWS": "*"}`, or a NotPrincipal) and whose actions cover
 *   `sts:AssumeRoleWithWebIdentity` (exactly, by wildcard, or through NotAction).
 * - A key (`<provider>/:aud`, `<provider>/:sub`; IAM compares condition keys without case) is *pinned* when a plain
 *   `StringEquals` names exactly the declared value. Anything else is *loosened*: no entry for the key, StringLike,
 *   a set operator (ForAnyValue/ForAllValues), an ...IfExists operator, extra values, or another value.
 * - A declared role is *loosened* when any admitting statement has a loosened pin, a principal other than exactly
 *   the provider, or an action beside `sts:AssumeRoleWithWebIdentity`; any other Allow statement in its policy is
 *   an extra trust.
 */
import { AwsRoleContract, TrustContract } from "../contracts";
import type { Finding } from "./findings";

export const WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity";

/** One OIDC provider and the roles (and so audiences) the contracts declare on it. */
export interface AwsProvider {
    readonly providerArn: string;
    readonly providerUrl: string;
    readonly accountId: string;
    readonly conditionKeys: { readonly aud: string; readonly sub: string };
    /** Every audience a declared role pins: the provider's client id list must hold exactly these. */
    readonly audiences: readonly string[];
    readonly roles: readonly AwsRoleContract[];
}

/** `GetOpenIDConnectProvider`. */
export interface LiveOidcProvider {
    readonly url: string;
    readonly clientIds: readonly string[];
}

/** A role from `ListRoles`, its trust policy decoded from RFC 3986 URL encoding and parsed (or why it could not be). */
export interface LiveRole {
    readonly arn: string;
    readonly name: string;
    readonly trustPolicy?: unknown;
    readonly parseError?: string;
    /** The decoded policy text, kept to recognise the provider in a policy that could not be parsed. */
    readonly policyText: string;
}

export interface ConditionEntry {
    /** As written, e.g. `StringEquals`, `ForAnyValue:StringLike`, `StringEqualsIfExists`. */
    readonly operator: string;
    readonly key: string;
    readonly values: readonly string[];
}

export interface NormalizedStatement {
    readonly sid: string | undefined;
    readonly effect: string;
    /** `"*"`, or principal type -> values. Undefined with NotPrincipal (or neither). */
    readonly principal: "*" | Readonly<Record<string, readonly string[]>> | undefined;
    readonly notPrincipal: boolean;
    /** Undefined when the statement uses NotAction. */
    readonly actions: readonly string[] | undefined;
    readonly notActions: readonly string[] | undefined;
    readonly conditions: readonly ConditionEntry[];
}

export function awsProviders(contracts: readonly TrustContract[]): AwsProvider[] {
    const providers = new Map<string, { c: AwsRoleContract; audiences: Set<string>; roles: AwsRoleContract[] }>();
    for (const c of contracts) {
        if (c.kind !== "aws-role") continue;
        const p = providers.get(c.providerArn) ?? { c, audiences: new Set<string>(), roles: [] };
        p.audiences.add(c.audience);
        p.roles.push(c);
        providers.set(c.providerArn, p);
    }
    return [...providers.values()].map(({ c, audiences, roles }) => ({
        providerArn: c.providerArn,
        providerUrl: c.providerUrl,
        accountId: c.accountId,
        conditionKeys: c.conditionKeys,
        audiences: [...audiences],
        roles,
    }));
}

/** A scalar policy value as text (IAM accepts numbers and booleans in conditions); anything else as its JSON. */
const text = (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x));
const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(text) : [text(v)]);

/** IAM wildcard matching: `*` any run of characters, `?` one character. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
    const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/** The statements of a policy document, normalised; a string when the document is not a policy. */
export function statementsOf(policy: unknown): NormalizedStatement[] | string {
    if (policy === null || typeof policy !== "object" || Array.isArray(policy)) return "the document is not a JSON object";
    const raw = (policy as { Statement?: unknown }).Statement;
    const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const out: NormalizedStatement[] = [];
    for (const s of statements) {
        if (s === null || typeof s !== "object" || Array.isArray(s)) return "a statement is not a JSON object";
        const st = s as Record<string, unknown>;
        let principal: NormalizedStatement["principal"];
        if (st.Principal === "*") principal = "*";
        else if (st.Principal && typeof st.Principal === "object" && !Array.isArray(st.Principal)) {
            principal = Object.fromEntries(Object.entries(st.Principal as Record<string, unknown>).map(([k, v]) => [k, list(v)]));
        }
        const conditions: ConditionEntry[] = [];
        if (st.Condition && typeof st.Condition === "object") {
            for (const [operator, block] of Object.entries(st.Condition as Record<string, unknown>)) {
                if (!block || typeof block !== "object") continue;
                for (const [key, values] of Object.entries(block as Record<string, unknown>)) conditions.push({ operator, key, values: list(values) });
            }
        }
        out.push({
            sid: typeof st.Sid === "string" ? st.Sid : undefined,
            effect: typeof st.Effect === "string" ? st.Effect : "",
            principal,
            notPrincipal: st.NotPrincipal !== undefined,
            actions: st.NotAction !== undefined ? undefined : list(st.Action),
            notActions: st.NotAction !== undefined ? list(st.NotAction) : undefined,
            conditions,
        });
    }
    return out;
}

function principalCovers(st: NormalizedStatement, providerArn: string): boolean {
    if (st.notPrincipal) return true;
    if (st.principal === "*") return true;
    if (!st.principal) return false;
    if ((st.principal.AWS ?? []).includes("*")) return true;
    return (st.principal.Federated ?? []).some((p) => globMatches(p, providerArn));
}

function actionCovers(st: NormalizedStatement, action: string): boolean {
    if (st.notActions) return !st.notActions.some((a) => globMatches(a, action, true));
    return (st.actions ?? []).some((a) => globMatches(a, action, true));
}

/** Whether a statement lets the provider's tokens assume the role (see the rules above). */
export function admitsProvider(st: NormalizedStatement, providerArn: string): boolean {
    return st.effect === "Allow" && principalCovers(st, providerArn) && actionCovers(st, WEB_IDENTITY_ACTION);
}

/** Why a key is not pinned to `expected`, or undefined when it is (see the rules above). */
export function pinProblem(conditions: readonly ConditionEntry[], key: string, expected: string, label: string): string | undefined {
    const entries = conditions.filter((c) => c.key.toLowerCase() === key.toLowerCase());
    const exact = entries.filter((c) => c.operator.toLowerCase() === "stringequals");
    if (exact.some((c) => c.values.length === 1 && c.values[0] === expected)) return undefined;
    if (exact.length > 0) {
        const values = [...new Set(exact.flatMap((c) => c.values))];
        if (values.includes(expected)) return `${label} pin also accepts ${JSON.stringify(values.filter((v) => v !== expected))}`;
        return `${label} is pinned to ${JSON.stringify(values)} instead of ${JSON.stringify(expected)}`;
    }
    if (entries.length > 0) {
        return `${label} is matched with ${entries.map((e) => `${e.operator} ${JSON.stringify(e.values)}`).join(" and ")} instead of StringEquals ${JSON.stringify(expected)}`;
    }
    return `${label} is not pinned at all`;
}

/** How a statement that admits the provider is looser than the declared one; empty when it is as tight. */
export function statementLoosenings(
    st: NormalizedStatement,
    provider: Pick<AwsProvider, "providerArn" | "conditionKeys">,
    role: Pick<AwsRoleContract, "audience" | "subject" | "claimPins">,
): string[] {
    const out: string[] = [];
    if (st.notPrincipal) out.push("it uses NotPrincipal, admitting every principal it does not list");
    else if (st.principal === "*") out.push('its Principal is "*"');
    else if (st.principal) {
        const others = Object.entries(st.principal).flatMap(([type, values]) =>
            values.filter((v) => !(type === "Federated" && v === provider.providerArn)).map((v) => `${type} ${v}`),
        );
        if (others.length > 0) out.push(`its Principal also names ${others.join(", ")}`);
    }
    if (st.notActions) out.push(`it uses NotAction ${JSON.stringify(st.notActions)}, allowing every other action`);
    else {
        const others = (st.actions ?? []).filter((a) => a.toLowerCase() !== WEB_IDENTITY_ACTION.toLowerCase());
        if (others.length > 0) out.push(`its Action also allows ${JSON.stringify(others)}`);
    }
    const aud = pinProblem(st.conditions, provider.conditionKeys.aud, role.audience, provider.conditionKeys.aud);
    if (aud) out.push(aud);
    const sub = pinProblem(st.conditions, provider.conditionKeys.sub, role.subject, provider.conditionKeys.sub);
    if (sub) out.push(sub);
    // Further pins the contract declares (the CI bootstrap's repository_id): each held exactly like aud and sub, or a
    // token from a re-created repository of the same name gets in.
    for (const [key, value] of Object.entries(role.claimPins ?? {})) {
        const problem = pinProblem(st.conditions, key, value, key);
        if (problem) out.push(problem);
    }
    return out;
}

/** What an undeclared statement pins, for the message. */
function pinsSummary(st: NormalizedStatement, provider: AwsProvider): string {
    const describe = (key: string, label: string) => {
        const entries = st.conditions.filter((c) => c.key.toLowerCase() === key.toLowerCase());
        return entries.length === 0 ? `${label} not pinned` : entries.map((e) => `${label} ${e.operator} ${JSON.stringify(e.values)}`).join(", ");
    };
    return `${describe(provider.conditionKeys.sub, "sub")}; ${describe(provider.conditionKeys.aud, "aud")}`;
}

function describePrincipal(st: NormalizedStatement): string {
    if (st.notPrincipal) return "NotPrincipal";
    if (st.principal === "*") return '"*"';
    if (!st.principal) return "no principal";
    return Object.entries(st.principal)
        .map(([type, values]) => `${type} ${values.join(", ")}`)
        .join("; ");
}

function describeActions(st: NormalizedStatement): string {
    return st.notActions ? `every action but ${st.notActions.join(", ")}` : (st.actions ?? []).join(", ");
}

/** Findings for one provider: its client ids, and every role of the account that admits it (or should). */
export function diffAwsProvider(provider: AwsProvider, live: LiveOidcProvider | "not-found", roles: readonly LiveRole[] | undefined): Finding[] {
    const findings: Finding[] = [];
    const add = (severity: Finding["severity"], resource: string, message: string) => findings.push({ severity, cloud: "aws", resource, message });

    if (live === "not-found") {
        add(
            "error",
            provider.providerArn,
            `the OIDC provider was not found (NoSuchEntity), though the stack declares it: every declared role fails with "InvalidIdentityToken: ` +
                `No OpenIDConnect provider found", and its client ids were not audited. Run pulumi refresh, then pulumi up; if it exists, the ` +
                `credentials or AWS_ENDPOINT_URL_IAM point at another account.`,
        );
    } else {
        const extra = live.clientIds.filter((id) => !provider.audiences.includes(id));
        const missing = provider.audiences.filter((id) => !live.clientIds.includes(id));
        if (extra.length > 0) {
            add(
                "error",
                provider.providerArn,
                `the provider also accepts client ids (audiences) ${JSON.stringify(extra)}, which no declared role pins: tokens minted for them pass the ` +
                    `provider, and any role without an exact aud pin accepts them. Remove them (aws iam remove-client-id-from-open-id-connect-provider ` +
                    `--open-id-connect-provider-arn ${provider.providerArn} --client-id <id>) or declare them.`,
            );
        }
        if (missing.length > 0) {
            add(
                "warning",
                provider.providerArn,
                `the provider no longer lists client ids ${JSON.stringify(missing)}: roles pinning them fail with "InvalidIdentityToken: Incorrect token audience". Run pulumi up.`,
            );
        }
    }
    if (roles === undefined) return findings;

    const declared = new Map(provider.roles.map((r) => [r.roleArn.toLowerCase(), r]));
    const found = new Set<string>();
    const hostPath = provider.providerUrl.replace(/^https:\/\//, "");
    for (const role of roles) {
        const contract = declared.get(role.arn.toLowerCase());
        if (contract) found.add(role.arn.toLowerCase());
        const statements = role.parseError === undefined ? statementsOf(role.trustPolicy) : role.parseError;
        if (typeof statements === "string") {
            if (contract || role.policyText.includes(hostPath)) {
                add(
                    "error",
                    role.arn,
                    `its trust policy could not be read (${statements}) and it names the provider: inspect it (aws iam get-role --role-name ${role.name}).`,
                );
            }
            continue;
        }
        const admitting = statements.filter((st) => admitsProvider(st, provider.providerArn));
        if (!contract) {
            if (admitting.length === 0) continue;
            add(
                "error",
                role.arn,
                `undeclared role ${role.name} trusts the provider (${admitting.map((st) => pinsSummary(st, provider)).join(" | ")}): tokens it accepts assume ` +
                    `it, whatever it is allowed to do. If nobody can account for it, remove the statement or delete the role; if it is legitimate, ` +
                    `declare it in a stack (its own audience keeps it apart from this agent's).`,
            );
            continue;
        }
        const problems: string[] = [];
        for (const st of admitting) {
            const loose = statementLoosenings(st, provider, contract);
            if (loose.length > 0) problems.push(`statement ${st.sid ? JSON.stringify(st.sid) : `#${statements.indexOf(st) + 1}`}: ${loose.join("; ")}`);
        }
        const extras = statements.filter((st) => st.effect === "Allow" && !admitting.includes(st));
        for (const st of extras) {
            problems.push(`an extra Allow statement${st.sid ? ` ${JSON.stringify(st.sid)}` : ""} trusts ${describePrincipal(st)} to ${describeActions(st)}`);
        }
        if (problems.length > 0) {
            add(
                "error",
                role.arn,
                `the trust policy of ${role.name} is looser than declared (exactly one statement: ${WEB_IDENTITY_ACTION} from ${provider.providerArn} with ` +
                    `StringEquals on aud ${JSON.stringify(contract.audience)} and sub ${JSON.stringify(contract.subject)}): ${problems.join("; ")}. Run pulumi up ` +
                    `to restore it (pulumi preview --refresh shows the drift), and find who changed it in CloudTrail (UpdateAssumeRolePolicy).`,
            );
        }
        if (admitting.length === 0) {
            add(
                "warning",
                role.arn,
                `the trust policy of ${role.name} no longer admits the provider: the agent's AssumeRoleWithWebIdentity fails with AccessDenied. Run pulumi up.`,
            );
        }
    }
    for (const contract of provider.roles) {
        if (found.has(contract.roleArn.toLowerCase())) continue;
        add(
            "error",
            contract.roleArn,
            `declared role ${contract.name} is not in the account's roles: its agent cannot get AWS credentials, and its trust policy was not ` +
                `audited. Run pulumi refresh, then pulumi up.`,
        );
    }
    return findings;
}
