/**
 * The audit: declared contracts in, per-cloud live state read, findings out. The clouds are read concurrently,
 * each with its own reader; every part that cannot be read becomes an audit error, never a silent pass. Every token
 * the run obtains joins its credential set, and every finding and error passes through that set's redaction before
 * it leaves: a service or an SDK that repeats a token in its error text cannot put it in the report.
 */
import type { TrustContract } from "../contracts";
import { CredentialSet } from "../credentials";
import type { StackOutputsDocument } from "../outputs-file";
import { awsProviders, diffAwsProvider } from "./aws";
import { AwsReaderOptions, readAwsAccount } from "./aws-reader";
import { diffEntraTarget, entraTargets } from "./entra";
import { readEntraTarget, tokenTenant } from "./entra-reader";
import { readUami } from "./arm-reader";
import { declaredUamis, diffUami } from "./uami";
import { AuditError, AuditReport, Cloud, Finding, sortErrors, sortFindings } from "./findings";
import { diffGcpPool, diffServiceAccount, gcpPools, gcpServiceAccounts } from "./gcp";
import { readGcpPool, readServiceAccountPolicy } from "./gcp-reader";
import type { HttpOptions } from "./http";

export interface AuditDependencies {
    /** Graph root (validated). */
    readonly graphEndpoint: string;
    readonly graphToken: () => Promise<string>;
    /** Azure Resource Manager root (validated), for the UAMIs' own FICs. */
    readonly armEndpoint: string;
    readonly armToken: () => Promise<string>;
    /** GCP IAM root (validated). */
    readonly gcpEndpoint: string;
    readonly gcpToken: () => Promise<string>;
    readonly aws?: AwsReaderOptions;
    readonly env?: NodeJS.ProcessEnv;
    readonly http?: HttpOptions;
    readonly now: () => number;
    /** The run's credentials, to redact from the report; every token obtained is added. Default: the environment's. */
    readonly credentials?: CredentialSet;
}

const KIND_OF: Record<Cloud, TrustContract["kind"]> = { entra: "entra-fic", gcp: "gcp-provider", aws: "aws-role" };

/** The clouds the contracts declare anything in, in report order. */
export function cloudsIn(contracts: readonly TrustContract[]): Cloud[] {
    return (["entra", "gcp", "aws"] as const).filter((cloud) => contracts.some((c) => c.kind === KIND_OF[cloud]));
}

type CloudResult = { findings: Finding[]; errors: AuditError[] };
/** The dependencies within one run: its credential set is settled. */
type RunDependencies = AuditDependencies & { readonly credentials: CredentialSet };

/** A token from its source, or the audit error saying why there is none (the source's message names the fix). */
async function tokenFrom(
    source: () => Promise<string>,
    cloud: Cloud,
    resource: string,
    credentials: CredentialSet,
): Promise<{ token: string } | { error: AuditError }> {
    try {
        const token = await source();
        credentials.add(token);
        return { token };
    } catch (err) {
        return { error: { cloud, resource, message: err instanceof Error ? err.message : String(err) } };
    }
}

/**
 * An Entra token (Graph or ARM) for the stack's tenant. A token of another tenant makes every object look missing:
 * it is refused instead.
 */
async function entraToken(
    source: () => Promise<string>,
    resource: string,
    doc: StackOutputsDocument,
    what: string,
    credentials: CredentialSet,
): Promise<{ token: string } | { error: AuditError }> {
    const got = await tokenFrom(source, "entra", resource, credentials);
    if ("error" in got) return got;
    const wrong = wrongTenant(got.token, doc, what);
    return wrong ? { error: wrong } : got;
}

function wrongTenant(token: string, doc: StackOutputsDocument, what: string): AuditError | undefined {
    const tenantId = typeof doc.outputs.tenantId === "string" ? doc.outputs.tenantId : undefined;
    const tid = tokenTenant(token);
    if (!tenantId || !tid || tid.toLowerCase() === tenantId.toLowerCase()) return undefined;
    return {
        cloud: "entra",
        resource: `tenant ${tenantId}`,
        message: `the ${what} token is for tenant ${tid}, but the stack's tenant is ${tenantId}: nothing was read. Use credentials of the stack's tenant.`,
    };
}

async function auditBlueprints(doc: StackOutputsDocument, deps: RunDependencies): Promise<CloudResult> {
    const findings: Finding[] = [];
    const errors: AuditError[] = [];
    const got = await entraToken(deps.graphToken, "Microsoft Graph token", doc, "Graph", deps.credentials);
    if ("error" in got) return { findings, errors: [got.error] };
    const { token } = got;
    for (const target of entraTargets(doc.contracts)) {
        const { live, errors: readErrors } = await readEntraTarget(target, {
            endpoint: deps.graphEndpoint,
            token: () => Promise.resolve(token),
            ...(deps.http ? { http: deps.http } : {}),
        });
        errors.push(...readErrors);
        findings.push(...diffEntraTarget(target, live, deps.now()));
    }
    return { findings, errors };
}

async function auditUamis(doc: StackOutputsDocument, deps: RunDependencies): Promise<CloudResult> {
    const findings: Finding[] = [];
    const { uamis, problems } = declaredUamis(doc.outputs);
    const errors: AuditError[] = problems.map((message) => ({ cloud: "entra", resource: "outputs.uamiResourceId", message }));
    if (uamis.length === 0) return { findings, errors };
    const got = await entraToken(deps.armToken, "Azure Resource Manager token", doc, "Resource Manager", deps.credentials);
    if ("error" in got) return { findings, errors: [...errors, got.error] };
    const { token } = got;
    for (const uami of uamis) {
        const { live, errors: readErrors } = await readUami(uami, {
            endpoint: deps.armEndpoint,
            token: () => Promise.resolve(token),
            ...(deps.http ? { http: deps.http } : {}),
        });
        errors.push(...readErrors);
        findings.push(...diffUami(uami, live));
    }
    return { findings, errors };
}

/** Entra: the FICs (and secrets) of every application the contracts target, and the FICs on the agents' UAMIs. */
async function auditEntra(doc: StackOutputsDocument, deps: RunDependencies): Promise<CloudResult> {
    const [apps, uamis] = await Promise.all([auditBlueprints(doc, deps), auditUamis(doc, deps)]);
    return { findings: [...apps.findings, ...uamis.findings], errors: [...apps.errors, ...uamis.errors] };
}

async function auditGcp(doc: StackOutputsDocument, deps: RunDependencies): Promise<CloudResult> {
    const findings: Finding[] = [];
    const errors: AuditError[] = [];
    const got = await tokenFrom(deps.gcpToken, "gcp", "Google access token", deps.credentials);
    if ("error" in got) return { findings, errors: [got.error] };
    const { token } = got;
    const options = { endpoint: deps.gcpEndpoint, token: () => Promise.resolve(token), ...(deps.http ? { http: deps.http } : {}) };
    for (const pool of gcpPools(doc.contracts)) {
        const { live, errors: readErrors } = await readGcpPool(pool, options);
        errors.push(...readErrors);
        if (live !== undefined) findings.push(...diffGcpPool(pool, live));
    }
    for (const account of gcpServiceAccounts(doc.contracts)) {
        const { live, errors: readErrors } = await readServiceAccountPolicy(account, options);
        errors.push(...readErrors);
        if (live !== undefined) findings.push(...diffServiceAccount(account, live));
    }
    return { findings, errors };
}

async function auditAws(doc: StackOutputsDocument, deps: RunDependencies): Promise<CloudResult> {
    const providers = awsProviders(doc.contracts);
    const live = await readAwsAccount(providers, deps.aws, deps.env);
    const findings: Finding[] = [];
    for (const provider of providers) {
        const state = live.providers.get(provider.providerArn);
        if (state === undefined && live.roles === undefined) continue;
        // A provider that could not be read (its audit error is reported) is compared as declared: no client-id finding.
        findings.push(...diffAwsProvider(provider, state ?? { url: provider.providerUrl, clientIds: provider.audiences }, live.roles));
    }
    return { findings, errors: [...live.errors] };
}

/** Audits the selected clouds of a stack's contracts. */
export async function runAudit(doc: StackOutputsDocument, clouds: readonly Cloud[], deps: AuditDependencies): Promise<AuditReport> {
    const credentials = deps.credentials ?? new CredentialSet(deps.env ?? process.env);
    const run: RunDependencies = { ...deps, credentials };
    const runs: Record<Cloud, (d: StackOutputsDocument, deps: RunDependencies) => Promise<CloudResult>> = {
        entra: auditEntra,
        gcp: auditGcp,
        aws: auditAws,
    };
    const results = await Promise.all(
        clouds.map((cloud) =>
            runs[cloud](doc, run).catch((err: unknown) => ({
                findings: [] as Finding[],
                errors: [{ cloud, resource: cloud, message: `could not audit: ${err instanceof Error ? err.message : String(err)}` }],
            })),
        ),
    );
    const clean = (text: string) => credentials.redact(text);
    return {
        findings: sortFindings(results.flatMap((r) => r.findings).map((f) => ({ ...f, resource: clean(f.resource), message: clean(f.message) }))),
        errors: sortErrors(results.flatMap((r) => r.errors).map((e) => ({ ...e, resource: clean(e.resource), message: clean(e.message) }))),
    };
}
