/**
 * GCP: the workload identity pools and impersonated service accounts the stack's provider contracts name, what
 * the IAM API holds there, and the rules that turn the difference into findings. Pure: no I/O.
 *
 * Identity of a provider: its id within the pool (the last segment of its resource name). Identity of a grant: the
 * pair (role, member) on the service account's IAM policy. The stack declares exactly one grant per service
 * account and contract: `roles/iam.workloadIdentityUser` for the contract's `principal://…/subject/<sub>`.
 */
import { gcpAcceptedAudiences, GcpProviderContract, TrustContract } from "../contracts";
import type { Finding } from "./findings";

/** One pool and the providers the contracts declare in it. */
export interface GcpPool {
    readonly projectNumber: string;
    readonly poolId: string;
    readonly declared: readonly GcpProviderContract[];
}

/** One impersonated service account and the members the contracts bind to it. */
export interface GcpServiceAccount {
    readonly email: string;
    /** `principal://…/subject/<sub>` members the stack grants `roles/iam.workloadIdentityUser`. */
    readonly declaredMembers: readonly string[];
}

/** A provider as `providers.list` returns it (IAM v1 WorkloadIdentityPoolProvider). */
export interface LiveProvider {
    /** projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<id>. */
    readonly name: string;
    /** "ACTIVE" | "DELETED" | "STATE_UNSPECIFIED". */
    readonly state: string;
    readonly disabled: boolean;
    readonly attributeCondition: string;
    readonly attributeMapping: Readonly<Record<string, string>>;
    /** Absent for a non-OIDC provider. */
    readonly oidc?: { readonly issuerUri: string; readonly allowedAudiences: readonly string[]; readonly jwksJson?: string };
    /** The protocol when not OIDC: "aws", "saml" or "x509". */
    readonly otherProtocol?: string;
    readonly expireTime?: string;
}

/** One binding of an IAM policy (version 3: it may carry a condition). */
export interface LiveBinding {
    readonly role: string;
    readonly members: readonly string[];
    readonly condition?: { readonly expression?: string; readonly title?: string };
}

export const WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser";

export function gcpPools(contracts: readonly TrustContract[]): GcpPool[] {
    const pools = new Map<string, { projectNumber: string; poolId: string; declared: GcpProviderContract[] }>();
    for (const c of contracts) {
        if (c.kind !== "gcp-provider") continue;
        const key = `${c.projectNumber}/${c.poolId}`;
        const pool = pools.get(key) ?? { projectNumber: c.projectNumber, poolId: c.poolId, declared: [] };
        pool.declared.push(c);
        pools.set(key, pool);
    }
    return [...pools.values()];
}

export function gcpServiceAccounts(contracts: readonly TrustContract[]): GcpServiceAccount[] {
    const accounts = new Map<string, Set<string>>();
    for (const c of contracts) {
        if (c.kind !== "gcp-provider") continue;
        const members = accounts.get(c.serviceAccountEmail) ?? new Set<string>();
        members.add(c.principal);
        accounts.set(c.serviceAccountEmail, members);
    }
    return [...accounts].map(([email, members]) => ({ email, declaredMembers: [...members] }));
}

export function poolName(pool: Pick<GcpPool, "projectNumber" | "poolId">): string {
    return `projects/${pool.projectNumber}/locations/global/workloadIdentityPools/${pool.poolId}`;
}

export function serviceAccountResource(email: string): string {
    return `projects/-/serviceAccounts/${email}`;
}

/**
 * Audiences a provider accepts. GCP: "If this list is empty, the OIDC token audience must be equal to the full
 * canonical resource name of the WorkloadIdentityPoolProvider, with or without the HTTPS prefix."
 */
export function effectiveAudiences(provider: Pick<LiveProvider, "name" | "oidc">): string[] {
    return [...gcpAcceptedAudiences({ allowedAudiences: provider.oidc?.allowedAudiences ?? [], name: provider.name })];
}

/**
 * Why a condition admits more than one identity, for the message (the severity does not depend on it: any change
 * to a declared condition is an error). Undefined when it compares a subject claim.
 */
export function conditionWeakness(condition: string): string | undefined {
    if (condition.trim() === "") return "it is empty: every token the issuer signs for an allowed audience is accepted";
    if (!/\b(?:assertion\.(?:sub|oid)|google\.subject)\s*==/.test(condition)) {
        return "it compares no subject (no assertion.sub, assertion.oid or google.subject ==): a tid-only condition accepts every identity in the tenant";
    }
    if (/\|\|/.test(condition)) return "it has an || branch: each branch admits its own identities";
    return undefined;
}

function providerId(name: string): string {
    return name.slice(name.lastIndexOf("/") + 1);
}

function sameMapping(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => a[k] === b[k]);
}

/** How a live provider that is declared differs from its declaration, as [severity, text] pairs. */
export function providerDifferences(declared: GcpProviderContract, live: LiveProvider): ["error" | "warning", string][] {
    const out: ["error" | "warning", string][] = [];
    if (!live.oidc) {
        out.push([
            "error",
            `it is a non-OIDC provider (${live.otherProtocol ?? "unknown protocol"}), declared OIDC with issuer ${JSON.stringify(declared.issuer)}`,
        ]);
        return out;
    }
    if (live.oidc.issuerUri !== declared.issuer) {
        out.push([
            "error",
            `oidc.issuerUri is ${JSON.stringify(live.oidc.issuerUri)} (declared ${JSON.stringify(declared.issuer)}): tokens of another issuer are accepted`,
        ]);
    }
    if (live.oidc.jwksJson !== undefined && live.oidc.jwksJson !== "") {
        out.push([
            "error",
            "oidc.jwksJson is set: tokens are verified against uploaded keys instead of the issuer's published JWKS, so whoever holds the matching private key can mint any token",
        ]);
    }
    // Both sides as GCP applies them: an empty list accepts the provider's own resource name (the CI bootstrap's
    // GitHub provider declares it empty on purpose, as google-github-actions/auth asks for that audience).
    const accepted = effectiveAudiences(live);
    const declaredAccepted = gcpAcceptedAudiences(declared);
    const extra = accepted.filter((a) => !declaredAccepted.includes(a));
    const missing = declaredAccepted.filter((a) => !accepted.includes(a));
    if (extra.length > 0) {
        const why = (live.oidc.allowedAudiences ?? []).length === 0 ? " (the list is empty, so GCP accepts the provider's own resource name)" : "";
        out.push(["error", `it also accepts audiences ${JSON.stringify(extra)}${why}: tokens minted for another recipient buy credentials here`]);
    }
    if (missing.length > 0) out.push(["warning", `it no longer accepts audiences ${JSON.stringify(missing)}: tokens carrying them are refused`]);
    if (live.attributeCondition.trim() !== declared.attributeCondition.trim()) {
        const weakness = conditionWeakness(live.attributeCondition);
        out.push([
            "error",
            `attributeCondition is ${JSON.stringify(live.attributeCondition)} (declared ${JSON.stringify(declared.attributeCondition)})${weakness ? `; ${weakness}` : ""}`,
        ]);
    }
    if (!sameMapping(live.attributeMapping, declared.attributeMapping)) {
        out.push([
            "error",
            `attributeMapping is ${JSON.stringify(live.attributeMapping)} (declared ${JSON.stringify(declared.attributeMapping)}): google.subject decides which principal:// member a token becomes, so another identity can map onto the bound subject`,
        ]);
    }
    if (live.state === "DELETED") {
        out.push(["warning", `it is soft-deleted${live.expireTime ? ` (purged at ${live.expireTime})` : ""}: exchanges fail until it is undeleted`]);
    } else if (live.disabled) {
        out.push(["warning", "it is disabled: STS refuses new exchanges (tokens already issued keep working until they expire)"]);
    }
    return out;
}

function undeleteHint(pool: GcpPool, id: string): string {
    return `gcloud iam workload-identity-pools providers undelete ${id} --workload-identity-pool ${pool.poolId} --project ${pool.projectNumber} --location global`;
}

/** Findings for one pool, given every provider `providers.list` (with `showDeleted`) returned, or "not-found". */
export function diffGcpPool(pool: GcpPool, live: readonly LiveProvider[] | "not-found"): Finding[] {
    const findings: Finding[] = [];
    const add = (severity: Finding["severity"], resource: string, message: string) => findings.push({ severity, cloud: "gcp", resource, message });
    if (live === "not-found") {
        add(
            "error",
            poolName(pool),
            `the pool was not found (404), though the stack declares it: either it is gone (purged, or never created), and every provider ` +
                `declared in it with it, so the agents cannot exchange tokens, or the audit read the wrong place (AGENTFED_GCP_IAM_ENDPOINT, the ` +
                `project number in the outputs). No provider in it was audited. Undelete it within 30 days (gcloud iam workload-identity-pools ` +
                `undelete ${pool.poolId} --project ${pool.projectNumber} --location global) or redeploy.`,
        );
        return findings;
    }
    const declaredById = new Map(pool.declared.map((d) => [d.providerId, d]));
    const seen = new Set<string>();
    for (const provider of live) {
        const id = providerId(provider.name);
        const declared = declaredById.get(id);
        if (!declared) {
            const issuer = provider.oidc
                ? `issuer ${JSON.stringify(provider.oidc.issuerUri)}`
                : `a non-OIDC provider (${provider.otherProtocol ?? "unknown protocol"})`;
            const weakness = conditionWeakness(provider.attributeCondition);
            const listed = provider.oidc?.allowedAudiences ?? [];
            const audiences = listed.length > 0 ? `audiences ${JSON.stringify(listed)}` : "no audience listed (it accepts its own resource name)";
            const summary =
                `undeclared provider ${JSON.stringify(id)} (${issuer}, ${audiences}, mapping ${JSON.stringify(provider.attributeMapping)}, condition ` +
                `${JSON.stringify(provider.attributeCondition)}${weakness ? `: ${weakness}` : ""})`;
            const removal = `gcloud iam workload-identity-pools providers delete ${id} --workload-identity-pool ${pool.poolId} --project ${pool.projectNumber} --location global`;
            // A soft-deleted provider trusts nothing, and restoring it takes a pool administrator, who could as well create
            // one: no finding (one would keep the daily run red for the 30 days before the purge).
            if (provider.state === "DELETED") continue;
            if (provider.disabled) {
                add("warning", provider.name, `${summary} is disabled: re-enabling it restores a trust the stack did not declare. Delete it: ${removal}`);
            } else {
                add(
                    "error",
                    provider.name,
                    `${summary} is active in the pool: the tokens it accepts become principal:// identities of this pool, and its own attribute ` +
                        `mapping decides which, so it can turn them into the very subject bound to an agent's service account (or match a ` +
                        `principalSet). If nobody can account for it, delete it (${removal}) and check the Cloud Audit Logs for exchanges through it; ` +
                        `if it is legitimate, manage it in a stack.`,
                );
            }
            continue;
        }
        seen.add(id);
        const diffs = providerDifferences(declared, provider);
        if (diffs.length === 0) continue;
        const severity = diffs.some(([s]) => s === "error") ? "error" : "warning";
        const fix =
            provider.state === "DELETED"
                ? `Undelete it (${undeleteHint(pool, id)}), then run pulumi up.`
                : "Run pulumi up to restore the declared values (pulumi preview --refresh shows the drift), and find who changed it in the Cloud Audit Logs (UpdateWorkloadIdentityPoolProvider).";
        add(severity, provider.name, `provider ${JSON.stringify(id)} differs from its declaration: ${diffs.map(([, t]) => t).join("; ")}. ${fix}`);
    }
    for (const declared of pool.declared) {
        if (seen.has(declared.providerId)) continue;
        add(
            "error",
            declared.name,
            `declared provider ${JSON.stringify(declared.providerId)} is missing (purged, or never created): its agent cannot exchange tokens, and the ` +
                `provider the stack declares could not be audited. Run pulumi refresh, then pulumi up.`,
        );
    }
    return findings;
}

/** Findings for one service account's IAM policy, or "not-found". */
export function diffServiceAccount(account: GcpServiceAccount, live: readonly LiveBinding[] | "not-found"): Finding[] {
    const findings: Finding[] = [];
    const resource = serviceAccountResource(account.email);
    const add = (severity: Finding["severity"], message: string) => findings.push({ severity, cloud: "gcp", resource, message });
    if (live === "not-found") {
        add(
            "error",
            `the service account was not found (404), though the stack declares it: its agent cannot obtain Google credentials, and its IAM ` +
                `policy was not audited. Undelete it within 30 days, or run pulumi up; if it exists, check AGENTFED_GCP_IAM_ENDPOINT.`,
        );
        return findings;
    }
    const declared = new Set(account.declaredMembers);
    const granted = new Set<string>();
    const removal = (role: string, member: string, conditional = false) =>
        `gcloud iam service-accounts remove-iam-policy-binding ${account.email} --member='${member}' --role=${role}${conditional ? " --all" : ""}`;
    for (const binding of live) {
        for (const member of binding.members) {
            if (binding.role === WORKLOAD_IDENTITY_USER && declared.has(member)) {
                if (!binding.condition) granted.add(member);
                continue;
            }
            if (member.startsWith("deleted:")) {
                // IAM Policy reference, Binding.members: when a deleted principal is recovered (a service account can be
                // undeleted for 30 days), the member reverts to its live form and keeps the role. A grant to a
                // principal that was then deleted is a backdoor held in reserve, not housekeeping.
                add(
                    "error",
                    `binding ${binding.role} names ${member}, a deleted principal: if it is undeleted (service accounts can be, for 30 days) it ` +
                        `gets the role back, and whoever can undelete it can act as or through this service account. Remove it (${removal(binding.role, member)}).`,
                );
                continue;
            }
            const conditional = binding.condition ? ` (condition ${JSON.stringify(binding.condition.title ?? binding.condition.expression ?? "")})` : "";
            if (member.startsWith("principalSet://")) {
                add(
                    "error",
                    `${binding.role}${conditional} is granted to ${member}: a principalSet admits every identity of the pool (or every one with the ` +
                        `attribute), not the one subject the stack declares. Remove it (${removal(binding.role, member, Boolean(binding.condition))}).`,
                );
                continue;
            }
            add(
                "error",
                `${binding.role}${conditional} is granted to ${member}, which the stack did not declare (it grants ${WORKLOAD_IDENTITY_USER} to ` +
                    `${account.declaredMembers.join(", ")} only): that member can act as or through this service account. If nobody can account for ` +
                    `it, remove it (${removal(binding.role, member, Boolean(binding.condition))}).`,
            );
        }
    }
    for (const member of account.declaredMembers) {
        if (granted.has(member)) continue;
        add(
            "error",
            `the declared grant of ${WORKLOAD_IDENTITY_USER} to ${member} is missing (or only conditional): its agent gets ` +
                `"iam.serviceAccounts.getAccessToken denied". Run pulumi up, and find who removed it in the Cloud Audit Logs (SetIamPolicy).`,
        );
    }
    return findings;
}
