/**
 * Reads what AWS IAM holds for the stack's OIDC providers, with the official SDK (`@aws-sdk/client-iam`, IAM Query
 * API 2010-05-08, region-independent endpoint), read-only:
 *  - `sts:GetCallerIdentity` first (needs no permission): the credentials must belong to the contracts' account,
 *    or every declared object would look "missing" instead of the audit failing;
 *  - `GetOpenIDConnectProvider` per provider (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOpenIDConnectProvider.html),
 *    permission `iam:GetOpenIDConnectProvider`;
 *  - `ListRoles` through the SDK's paginator (`Marker`/`IsTruncated`), whose `AssumeRolePolicyDocument` is
 *    "URL-encoded compliant with RFC 3986" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html),
 *    permission `iam:ListRoles`.
 * Credentials: the SDK's default chain (environment, SSO/profile, web identity as in CI, instance roles). The
 * endpoint honours `AWS_ENDPOINT_URL_IAM` / `AWS_ENDPOINT_URL_STS` (the SDK's own service-specific endpoint variables).
 */
import { GetOpenIDConnectProviderCommand, IAMClient, IAMClientConfig, paginateListRoles } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { AwsProvider, LiveOidcProvider, LiveRole } from "./aws";
import type { AuditError } from "./findings";

export interface AwsReaderOptions {
    /** Overrides for tests; production uses the default credential chain and endpoints. */
    readonly credentials?: IAMClientConfig["credentials"];
    readonly iamEndpoint?: string;
    readonly stsEndpoint?: string;
    /** Signing region. Default AWS_REGION, else us-east-1 (IAM's global endpoint signs there). */
    readonly region?: string;
    /** SDK attempts per call (its standard retry mode backs off on throttling and 5xx). Default 5. */
    readonly maxAttempts?: number;
    /** Per-request timeout. Default 20 s. */
    readonly requestTimeoutMs?: number;
    /** Bound on ListRoles pages. Default 1000 (100 roles a page). */
    readonly maxPages?: number;
}

export interface AwsLive {
    readonly providers: ReadonlyMap<string, LiveOidcProvider | "not-found">;
    readonly roles?: readonly LiveRole[];
    readonly errors: readonly AuditError[];
}

interface SdkError {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
}

/** Why an AWS call failed, in the words a user acts on. */
export function explainAwsError(err: unknown, action: string, resource: string): string {
    const e = (err ?? {}) as SdkError;
    const name = e.name ?? "Error";
    const message = `${action} on ${resource}: ${name}: ${(e.message ?? String(err)).split("\n")[0]}`;
    if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
        return `${message}\nNo AWS credentials: in CI use aws-actions/configure-aws-credentials; locally set AWS_PROFILE (aws sso login) or the AWS_* variables.`;
    }
    if (["InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException"].includes(name)) {
        return `${message}\nThe AWS credentials were refused (expired or invalid): log in again.`;
    }
    if (name === "AccessDenied" || name === "AccessDeniedException" || e.$metadata?.httpStatusCode === 403) {
        return `${message}\nMissing permission: the audit's identity needs ${action} (read-only).`;
    }
    if (name === "UnreadableAnswer") return `${message}\nCheck AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS and any proxy between the audit and AWS.`;
    if (name === "Throttling" || name === "ThrottlingException") return `${message}\nIAM kept throttling after the SDK's retries: rerun later.`;
    const code = e.code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || name === "TimeoutError" || name === "RequestTimeout") {
        return `${message}\nAWS IAM could not be reached: check AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS and the network.`;
    }
    return message;
}

/** The trust policy of a listed role: decoded from RFC 3986 URL encoding (unless an SDK already decoded it) and parsed. */
export function decodeTrustPolicy(document: string | undefined): { trustPolicy?: unknown; parseError?: string; policyText: string } {
    if (document === undefined) return { parseError: "ListRoles returned no AssumeRolePolicyDocument", policyText: "" };
    let text = document;
    if (!document.trimStart().startsWith("{")) {
        try {
            text = decodeURIComponent(document);
        } catch {
            return { parseError: "the document is not valid RFC 3986 URL encoding", policyText: document };
        }
    }
    try {
        return { trustPolicy: JSON.parse(text) as unknown, policyText: text };
    } catch (err) {
        return { parseError: `not JSON (${(err as Error).message})`, policyText: text };
    }
}

/** Reads the account's side of every provider: the caller's account, each provider, and every role. */
export async function readAwsAccount(
    providers: readonly AwsProvider[],
    options: AwsReaderOptions = {},
    env: NodeJS.ProcessEnv = process.env,
): Promise<AwsLive> {
    const errors: AuditError[] = [];
    const live = new Map<string, LiveOidcProvider | "not-found">();
    if (providers.length === 0) return { providers: live, errors };
    const common = {
        region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
        maxAttempts: options.maxAttempts ?? 5,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: options.requestTimeoutMs ?? 20_000, throwOnRequestTimeout: true },
        ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    const iam = new IAMClient({ ...common, ...(options.iamEndpoint ? { endpoint: options.iamEndpoint } : {}) });
    const sts = new STSClient({ ...common, ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}) });
    try {
        const accounts = [...new Set(providers.map((p) => p.accountId))];
        try {
            const who = await sts.send(new GetCallerIdentityCommand({}));
            // A 200 that is not STS's XML (a proxy's sign-in page) parses to nothing: without the account, reading on
            // could make every declared object look missing, or pass in silence.
            if (typeof who.Account !== "string" || !/^\d{12}$/.test(who.Account)) {
                errors.push({
                    cloud: "aws",
                    resource: "sts:GetCallerIdentity",
                    message:
                        `sts:GetCallerIdentity answered ${who.$metadata.httpStatusCode ?? "?"} without an account id (not STS's answer; a proxy or ` +
                        `a wrong AWS_ENDPOINT_URL_STS?): nothing was read.`,
                });
                return { providers: live, errors };
            }
            if (!accounts.includes(who.Account)) {
                errors.push({
                    cloud: "aws",
                    resource: `account ${accounts.join(", ")}`,
                    message: `the AWS credentials are for account ${who.Account} (${who.Arn ?? "?"}), but the contracts are in ${accounts.join(", ")}: nothing was read. Use credentials for the contracts' account.`,
                });
                return { providers: live, errors };
            }
        } catch (err) {
            errors.push({ cloud: "aws", resource: "sts:GetCallerIdentity", message: explainAwsError(err, "sts:GetCallerIdentity", "the caller") });
            return { providers: live, errors };
        }
        for (const provider of providers) {
            try {
                const out = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: provider.providerArn }));
                if (typeof out.Url !== "string" || out.Url === "") {
                    throw Object.assign(new Error(`answered ${out.$metadata.httpStatusCode ?? "?"} without the provider's Url (not IAM's answer)`), {
                        name: "UnreadableAnswer",
                    });
                }
                live.set(provider.providerArn, { url: out.Url, clientIds: out.ClientIDList ?? [] });
            } catch (err) {
                if ((err as SdkError).name === "NoSuchEntity" || (err as SdkError).name === "NoSuchEntityException")
                    live.set(provider.providerArn, "not-found");
                else
                    errors.push({
                        cloud: "aws",
                        resource: provider.providerArn,
                        message: explainAwsError(err, "iam:GetOpenIDConnectProvider", provider.providerArn),
                    });
            }
        }
        try {
            const roles: LiveRole[] = [];
            let pages = 0;
            for await (const page of paginateListRoles({ client: iam, pageSize: 100 }, {})) {
                if (++pages > (options.maxPages ?? 1000)) throw new Error(`more than ${options.maxPages ?? 1000} pages of roles: stopped`);
                // IAM always lists Roles (an empty element for none); a page without it, or a role without its ARN and
                // name, is not IAM's answer, and reading it as "no roles" would report every declared role missing
                // and hide every undeclared one.
                if (!Array.isArray(page.Roles)) {
                    throw Object.assign(new Error(`answered ${page.$metadata.httpStatusCode ?? "?"} without a Roles list (not IAM's answer)`), {
                        name: "UnreadableAnswer",
                    });
                }
                for (const role of page.Roles) {
                    if (!role.Arn || !role.RoleName) throw Object.assign(new Error("listed a role without Arn or RoleName"), { name: "UnreadableAnswer" });
                    roles.push({ arn: role.Arn, name: role.RoleName, ...decodeTrustPolicy(role.AssumeRolePolicyDocument) });
                }
            }
            return { providers: live, roles, errors };
        } catch (err) {
            errors.push({
                cloud: "aws",
                resource: `roles of account ${accounts.join(", ")}`,
                message: explainAwsError(err, "iam:ListRoles", "the account's roles"),
            });
            return { providers: live, errors };
        }
    } finally {
        iam.destroy();
        sts.destroy();
    }
}
