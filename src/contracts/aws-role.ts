import { entraV1Issuer, entraV2Issuer, TOKEN_EXCHANGE_APP_ID } from "./constants";
import { TrustContractError, WorkloadSubject } from "./workload-subject";

/**
 * How the workload's token gets an audience AWS will accept (Rais, "Entra Agent ID Across Clouds", Part 2, "Why the same token federates to one cloud
 * but not another"):
 *  - `workload`: the UAMI asks for a token for an intermediary app (`api://<tenantId>/<name>`, v1 tokens). aud is scoped to
 *    this workload, sub is the UAMI oid. The default.
 *  - `exchange`: the intermediary app trusts the UAMI through a FIC; a client-credentials exchange yields the app's
 *    own token, so sub is the intermediary service principal's oid.
 *  - `tenant`: the role pins the tenant-wide token-exchange GUID audience; any UAMI whose oid matched could use
 *    it. Allowed only with an explicit acknowledgement.
 */
export type AwsAudienceMode = "workload" | "exchange" | "tenant";

export const AWS_AUDIENCE_MODES: readonly AwsAudienceMode[] = ["workload", "exchange", "tenant"];

/** How a role's audience was chosen: one of the agent's modes, or GitHub Actions (`sts.amazonaws.com`). */
export type AwsRoleAudienceKind = AwsAudienceMode | "github-actions";

/** A role trusting one web-identity subject, as plain JSON. */
export interface AwsRoleContract {
    readonly kind: "aws-role";
    /** Role name. */
    readonly name: string;
    readonly mode: AwsRoleAudienceKind;
    readonly accountId: string;
    /** OIDC provider URL: equals the token's `iss`. */
    readonly providerUrl: string;
    readonly providerArn: string;
    readonly roleArn: string;
    /** The `aud` the role pins (and the provider's client id list holds). */
    readonly audience: string;
    /** The `sub` the role pins. */
    readonly subject: string;
    /** The condition keys AWS derives from the provider URL. */
    readonly conditionKeys: { readonly aud: string; readonly sub: string };
    /**
     * Further StringEquals pins, condition key -> value, on provider-specific claims AWS STS evaluates (for GitHub
     * `token.actions.githubusercontent.com:repository_id`). Absent when the role pins only aud and sub.
     */
    readonly claimPins?: Readonly<Record<string, string>>;
    /** The role's trust policy document. */
    readonly trustPolicy: TrustPolicy;
}

export interface TrustPolicy {
    readonly Version: "2012-10-17";
    readonly Statement: readonly {
        readonly Effect: "Allow";
        readonly Principal: { readonly Federated: string };
        readonly Action: "sts:AssumeRoleWithWebIdentity";
        readonly Condition: { readonly StringEquals: Readonly<Record<string, string>> };
    }[];
}

/**
 * The one place condition keys are derived: AWS names them after the provider URL without its scheme
 * (`https://sts.windows.net/<tenant>/` gives `sts.windows.net/<tenant>/:aud`).
 */
export function awsConditionKeys(providerUrl: string): { aud: string; sub: string } {
    if (!providerUrl.startsWith("https://")) throw new TrustContractError(`OIDC provider URL ${JSON.stringify(providerUrl)} must start with https://`);
    const prefix = providerUrl.slice("https://".length);
    return { aud: `${prefix}:aud`, sub: `${prefix}:sub` };
}

/** arn:aws:iam::<account>:oidc-provider/<url without scheme>. */
export function awsOidcProviderArn(accountId: string, providerUrl: string, partition = "aws"): string {
    return `arn:${partition}:iam::${accountId}:oidc-provider/${providerUrl.replace(/^https:\/\//, "")}`;
}

/** The OIDC provider URL for a mode: the issuer of the tokens AWS sees (v1 for the intermediary app, v2 for tenant). */
export function awsOidcProviderUrl(mode: AwsAudienceMode, tenantId: string): string {
    return mode === "tenant" ? entraV2Issuer(tenantId) : entraV1Issuer(tenantId);
}

/** The one audience the OIDC provider lists and every role pins, for a mode: known from config, before any create. */
export function awsAudience(mode: AwsAudienceMode, identifierUri: string): string {
    return mode === "tenant" ? TOKEN_EXCHANGE_APP_ID : identifierUri;
}

/**
 * The web-identity subject AWS sees, derived from the UAMI's own subject, never retyped.
 * `exchangeSubject` is the intermediary service principal's object id (mode `exchange` only).
 */
export function awsWebIdentitySubject(uami: WorkloadSubject, mode: AwsAudienceMode, identifierUri: string, exchangeSubject?: string): WorkloadSubject {
    const tenantId = uami.tenantId;
    if (uami.source !== "uami" || !tenantId) throw new TrustContractError("the AWS federation derives its subject from a UAMI workload subject");
    switch (mode) {
        case "workload":
            return { source: "uami", issuer: entraV1Issuer(tenantId), subject: uami.subject, audiences: [identifierUri], tenantId };
        case "exchange":
            if (!exchangeSubject) throw new TrustContractError("exchange mode needs the intermediary service principal's object id");
            return { source: "external", issuer: entraV1Issuer(tenantId), subject: exchangeSubject, audiences: [identifierUri], tenantId };
        case "tenant":
            return { source: "uami", issuer: entraV2Issuer(tenantId), subject: uami.subject, audiences: [TOKEN_EXCHANGE_APP_ID], tenantId };
    }
}

/**
 * Option 2 on AWS: the Agent Identity's app-only token for the stack's intermediary app (v1 tokens), so the
 * account's one OIDC provider for `https://sts.windows.net/<tenant>/` and its audience list stay unchanged as
 * agents are added. AWS offers no `oid` condition key for a generic OIDC provider, so the role pins the `sub` the
 * Agent Identity's tokens carry (`tokenSubject`; Microsoft's sample agent token shows a `sub` distinct from `oid`,
 * so it defaults to the object id only until a real token says otherwise).
 */
export function awsAgentIdentitySubject(agentIdentity: WorkloadSubject, identifierUri: string, tokenSubject: string = agentIdentity.subject): WorkloadSubject {
    const tenantId = agentIdentity.tenantId;
    if (agentIdentity.source !== "agent-identity" || !tenantId) throw new TrustContractError("expected an Agent Identity workload subject");
    return { source: "agent-identity", issuer: entraV1Issuer(tenantId), subject: tokenSubject, audiences: [identifierUri], tenantId };
}

/** Exactly one statement: AssumeRoleWithWebIdentity from the provider, StringEquals on aud and sub. No wildcard. */
export function awsTrustPolicy(
    providerArn: string,
    providerUrl: string,
    audience: string,
    subject: string,
    claimPins: Readonly<Record<string, string>> = {},
): TrustPolicy {
    for (const [what, value] of [["audience", audience], ["subject", subject], ...Object.entries(claimPins)] as const) {
        if (value === "" || /[*?]/.test(value) || value.trim() !== value)
            throw new TrustContractError(`trust policy ${what} ${JSON.stringify(value)} must be exact: no wildcard, no padding`);
    }
    const keys = awsConditionKeys(providerUrl);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { [keys.aud]: audience, [keys.sub]: subject, ...awsClaimPinKeys(providerUrl, claimPins) } },
            },
        ],
    };
}

/** Claim name -> value pins as condition keys derived from the provider URL (`<url without https://>:<claim>`). */
export function awsClaimPinKeys(providerUrl: string, claimPins: Readonly<Record<string, string>>): Record<string, string> {
    const prefix = awsConditionKeys(providerUrl).aud.replace(/:aud$/, "");
    return Object.fromEntries(
        Object.entries(claimPins).map(([claim, value]) => {
            if (!/^[a-z_]+$/.test(claim) || claim === "aud" || claim === "sub") throw new TrustContractError(`cannot pin claim ${JSON.stringify(claim)}`);
            return [`${prefix}:${claim}`, value];
        }),
    );
}

/** The role's whole contract for a web-identity subject. */
export function awsRoleContract(
    args: { accountId: string; roleName: string; mode: AwsRoleAudienceKind; partition?: string; claimPins?: Readonly<Record<string, string>> },
    subject: WorkloadSubject,
): AwsRoleContract {
    if (!/^\d{12}$/.test(args.accountId)) throw new TrustContractError(`AWS account id ${JSON.stringify(args.accountId)} is not 12 digits`);
    const [audience, ...more] = subject.audiences;
    if (!audience || more.length > 0) throw new TrustContractError(`an AWS role pins exactly one audience (got ${JSON.stringify(subject.audiences)})`);
    const partition = args.partition ?? "aws";
    const providerUrl = subject.issuer;
    const providerArn = awsOidcProviderArn(args.accountId, providerUrl, partition);
    return {
        kind: "aws-role",
        name: args.roleName,
        mode: args.mode,
        accountId: args.accountId,
        providerUrl,
        providerArn,
        roleArn: `arn:${partition}:iam::${args.accountId}:role/${args.roleName}`,
        audience,
        subject: subject.subject,
        conditionKeys: awsConditionKeys(providerUrl),
        ...(args.claimPins && Object.keys(args.claimPins).length > 0 ? { claimPins: awsClaimPinKeys(providerUrl, args.claimPins) } : {}),
        trustPolicy: awsTrustPolicy(providerArn, providerUrl, audience, subject.subject, args.claimPins),
    };
}

const BEDROCK_MODEL_ARN =
    /^arn:aws(-[a-z]+)*:bedrock:[a-z0-9-]+:(\d{12})?:(foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model)\/[A-Za-z0-9._:/-]+$/;

/** Problems with a Bedrock model ARN (no wildcard: the policy names models). */
export function bedrockModelArnProblem(arn: string): string | undefined {
    if (arn.includes("*")) return `contains a wildcard (${JSON.stringify(arn)}); name each model`;
    if (!BEDROCK_MODEL_ARN.test(arn))
        return `is not a Bedrock model ARN (got ${JSON.stringify(arn)}); e.g. arn:aws:bedrock:us-east-1::foundation-model/<model-id>`;
    return undefined;
}

/** Invoke (and stream) exactly the configured models. */
export function bedrockInvokePolicy(modelArns: readonly string[]): {
    Version: "2012-10-17";
    Statement: { Sid: string; Effect: "Allow"; Action: string[]; Resource: string[] }[];
} {
    const problems = modelArns.map(bedrockModelArnProblem).filter((p): p is string => p !== undefined);
    if (modelArns.length === 0 || problems.length > 0)
        throw new TrustContractError(`Bedrock policy needs well-formed model ARNs: ${problems.join("; ") || "none given"}`);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "InvokeConfiguredModels",
                Effect: "Allow",
                Action: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                Resource: [...modelArns],
            },
        ],
    };
}

/**
 * The intermediary app's identifier URI when `aws.identifierUri` is unset: `api://<tenantId>/<name>`, one of the
 * forms Entra accepts in tenants that enforce identifier-URI restrictions ("Restrictions on identifier URIs of
 * Microsoft Entra applications", learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions, and the
 * Graph identifierUriConfiguration resource: `uriAdditionWithoutUniqueTenantIdentifier` blocks URIs without the
 * tenant id, the appId or a verified domain). `api://<name>` alone is not among them.
 */
export function defaultIntermediaryIdentifierUri(tenantId: string, intermediaryAppName: string): string {
    return `api://${tenantId}/${intermediaryAppName}`;
}

const GUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Why an explicit intermediary identifier URI is not one of the forms Entra documents as accepted under the
 * identifier-URI restriction, or undefined. Checked offline: `api://<tenantId>/<string>` (this tenant's id), and the
 * domain forms `https://<domain>/...` and `api://<domain>/<string>` (whether the domain is verified in the tenant only
 * Entra can tell). `api://<appId>` forms need the app's own appId, which this stack only learns after creating it.
 */
export function intermediaryIdentifierUriProblem(uri: string, tenantId: string): string | undefined {
    const match = /^(api|https):\/\/([^/\s*]+)(\/[^\s*]*)?$/.exec(uri);
    if (!match) return `is not an api:// or https:// URI without wildcards or spaces (got ${JSON.stringify(uri)})`;
    const [, scheme, host, rest] = match as unknown as [string, string, string, string | undefined];
    const path = (rest ?? "").replace(/^\//, "");
    if (scheme === "api" && GUID_SEGMENT.test(host)) {
        if (host.toLowerCase() !== tenantId.toLowerCase())
            return `names the GUID ${host}, which is not agentfed:tenantId: api://<GUID>/... must carry this tenant's id`;
        if (path === "" || path.includes("/")) return `must be api://<tenantId>/<name>, one path segment (got ${JSON.stringify(uri)})`;
        return undefined;
    }
    if (host.includes(".")) return undefined;
    return (
        `is ${scheme}://${host}${rest ?? ""}, a form tenants that enforce identifier-URI restrictions refuse: it carries neither the tenant id nor a ` +
        "verified domain (Microsoft Entra docs, Restrictions on identifier URIs of Microsoft Entra applications)"
    );
}
