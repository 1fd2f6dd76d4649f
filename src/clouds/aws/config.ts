import {
    AWS_AUDIENCE_MODES,
    AwsAudienceMode,
    bedrockModelArnProblem,
    defaultIntermediaryIdentifierUri,
    intermediaryIdentifierUriProblem,
    isTokenExchangeAudience,
} from "../../contracts";
import { Json, JsonObject, Reader } from "../../config/reader";
import type { CloudConfig } from "../cloud";
import { AWS_AUDIENCE_MODE_TABLE } from "./audience-modes";
import { boolean, list, object, reuse, text } from "../../config/spec";

/** What every agent federating to AWS shares (`agentfed:aws`): the account, the audience mode and the intermediary app. */
export interface AwsSharedConfig {
    /** The 12-digit account the providers and roles live in; the AWS provider refuses any other. */
    readonly accountId: string;
    /** Region of the Bedrock models (and of the AWS provider). */
    readonly region: string;
    /** How the token gets an audience AWS accepts; see `AwsAudienceMode`. Default `workload`. */
    readonly audienceMode: AwsAudienceMode;
    /** Display name of the intermediary Entra app (modes workload and exchange). */
    readonly intermediaryAppName: string;
    /** The intermediary app's identifier URI: the audience AWS pins. Default `api://<tenantId>/<intermediaryAppName>`. */
    readonly identifierUri: string;
    /** Required (true) for `tenant` mode: the roles then trust a tenant-wide audience. */
    readonly acknowledgeTenantWideAudience: boolean;
}

/** One agent's AWS principal: the primary agent's (in `agentfed:aws`) or a class's (`agentClasses[i].aws`). */
export interface AwsAgentConfig {
    /** IAM role name. */
    readonly roleName: string;
    /** Bedrock model ARNs the role may invoke (never `*`). */
    readonly modelArns: readonly string[];
}

const REGION = /^[a-z]{2}-[a-z]+-\d$/;
/** Regions of other partitions (GovCloud, ISO, China): ARNs here are built for the `aws` partition only. */
const OTHER_PARTITION_REGION = /^([a-z]{2}-(gov|iso[a-z]*)-[a-z]+-\d|cn-[a-z]+-\d)$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const APP_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;

/**
 * The partition ARNs are built in. Regions of other partitions are refused (`aws.region`), so it is always `aws`;
 * a model ARN of another partition (arn:aws-us-gov:, arn:aws-cn:) would match nothing the role can call.
 */
export const AWS_PARTITION = "aws";

/** `aws.modelArns` (and an agent class's). */
export const MODEL_ARNS_KEY = list(
    {
        summary: "Bedrock model ARNs the role may invoke (and stream); nothing else.",
        required: true,
        rule: `at least one; each a Bedrock model ARN in the ${AWS_PARTITION} partition (the region's), with no wildcard`,
        example: ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"],
    },
    text({ summary: "One model ARN." }),
);

export const ROLE_NAME_RULE = "1-64 letters, digits and +=,.@_-";

/** `aws`. */
export const AWS_KEYS = object(
    {
        summary:
            "AWS federation for the agents' model (Bedrock): the account, audience mode and intermediary app every agent shares (one IAM OIDC provider for Entra), and the primary agent's role trusting exactly its UAMI. With only the shared keys, the primary agent gets no AWS role and agent classes still federate through the OIDC provider. Absent: no AWS resources.",
        section: "AWS federation",
        see: "aws-federation.md",
    },
    {
        accountId: text({
            summary: "The 12-digit account the provider and role live in.",
            scope: "shared",
            required: true,
            rule: "12 digits, quoted in YAML (account ids can start with 0)",
            example: "123456789012",
        }),
        region: text({
            summary: "Region of the Bedrock models and of the AWS provider.",
            scope: "shared",
            required: true,
            rule: "a commercial (aws partition) region; GovCloud, ISO and China regions are refused, since ARNs are built as arn:aws:",
            example: "us-east-1",
        }),
        audienceMode: text({
            summary: "How the token gets an audience AWS accepts.",
            scope: "shared",
            default: "workload",
            allowed: AWS_AUDIENCE_MODES,
            rule: "workload (an intermediary app's audience, v1 tokens), exchange (the intermediary app exchanges the UAMI's token) or tenant (the tenant-wide token-exchange audience, only with acknowledgeTenantWideAudience)",
            see: "aws-federation.md",
        }),
        intermediaryAppName: text({
            summary: "Display name of the intermediary Entra app (modes workload and exchange).",
            scope: "shared",
            required: "in modes workload and exchange",
            rule: "3-63 lowercase letters, digits or '-'",
            example: "agentfed-aws-prod",
        }),
        identifierUri: text({
            summary: "The intermediary app's identifier URI: the audience the role pins.",
            scope: "shared",
            defaultText: "api://<tenantId>/<intermediaryAppName>",
            rule: 'api://<tenantId>/<name> or a verified-domain https:// URI, no whitespace or wildcard: tenants that enforce identifier-URI restrictions refuse a bare api://<name> (Microsoft Entra, "Restrictions on identifier URIs"); never the token-exchange audience in any spelling (api://AzureADTokenExchange, its GUID, any case)',
            example: "api://11111111-1111-1111-1111-111111111111/agentfed-aws-prod",
        }),
        roleName: text({
            summary: "IAM role name.",
            required: "for the primary agent's AWS role (with modelArns)",
            scope: "agent",
            rule: ROLE_NAME_RULE,
            example: "agentfed-weather-agent-bedrock",
        }),
        modelArns: reuse(MODEL_ARNS_KEY, { required: "for the primary agent's AWS role (with roleName)", scope: "agent" }),
        acknowledgeTenantWideAudience: boolean({
            summary: "Accept tenant mode's trade-off: the role trusts the tenant-wide token-exchange audience.",
            scope: "shared",
            default: false,
            rule: "required (true) for audienceMode tenant",
        }),
    },
);
const K = AWS_KEYS.fields;

/** Bedrock model ARNs a role may invoke: at least one, each named (no wildcard), in the region's partition. */
export function parseModelArns(r: Reader, path: string, value: Json | undefined): string[] {
    const modelArns = Array.isArray(value) ? value.map((arn, i) => r.text(`${path}[${i}]`, arn) ?? "") : [];
    if (modelArns.length === 0)
        r.report(
            path,
            "must list at least one Bedrock model ARN",
            "e.g. [arn:aws:bedrock:us-east-1::foundation-model/<model-id>]; the role may invoke only these",
        );
    modelArns.forEach((arn, i) => {
        if (arn === "") return;
        const problem = bedrockModelArnProblem(arn);
        if (problem) r.report(`${path}[${i}]`, problem, "copy the ARN from: aws bedrock list-foundation-models --query 'modelSummaries[].modelArn'");
        else if (arn.split(":")[1] !== AWS_PARTITION)
            r.report(
                `${path}[${i}]`,
                `is in partition ${arn.split(":")[1]}, but ${r.key("aws.region")} is in ${AWS_PARTITION}: an ARN never matches across partitions, so the role could invoke nothing`,
                `use the model's arn:${AWS_PARTITION}: ARN in the configured region`,
            );
    });
    return modelArns;
}

/** An IAM role name, reported under `path`. */
export function parseRoleName(r: Reader, path: string, value: Json | undefined): string {
    return r.matching(path, value, ROLE_NAME, "an IAM role name", "use 1-64 letters, digits and +=,.@_-");
}

/** The keys of `agentfed:aws` that describe the primary agent's role; the others are shared. */
export const AWS_AGENT_KEYS = ["roleName", "modelArns"] as const;

/**
 * Parses `agentfed:aws`: the shared account, audience mode and intermediary app, and the primary agent's role when
 * any of its keys (`AWS_AGENT_KEYS`) is set; without them the primary agent has no AWS role. Returns the warnings a
 * reviewer must see. `tenantId` names the default audience.
 */
export function parseAwsConfig(r: Reader, tenantId: string): { aws: AwsSharedConfig | undefined; primary: AwsAgentConfig | undefined; warnings: string[] } {
    const key = "aws";
    const root = r.object(key, `set ${r.key(key)} to { accountId, region, roleName, modelArns }`, false);
    if (!root) return { aws: undefined, primary: undefined, warnings: [] };
    r.onlyKnownFields(key, root, Object.keys(K));

    const rawAccount = root.accountId;
    const accountId =
        typeof rawAccount === "number" && Number.isSafeInteger(rawAccount) ? String(rawAccount) : typeof rawAccount === "string" ? rawAccount : "";
    if (!/^\d{12}$/.test(accountId))
        r.report(
            `${key}.accountId`,
            `must be 12 digits (got ${JSON.stringify(root.accountId ?? null)})`,
            "aws sts get-caller-identity --query Account --output text; quote it in YAML to keep leading zeros",
        );
    // GovCloud, ISO and China regions match the region shape but live in partitions whose ARNs this stack does not build.
    const otherPartition = typeof root.region === "string" && OTHER_PARTITION_REGION.test(root.region);
    if (otherPartition) {
        r.report(
            `${key}.region`,
            `is in another AWS partition (got ${JSON.stringify(root.region)})`,
            "only the commercial aws partition is supported: ARNs are built as arn:aws:...",
        );
    }
    const region = otherPartition ? "" : r.matching(`${key}.region`, root.region, REGION, "an AWS region", "e.g. us-east-1");

    const mode = r.oneOf(
        `${key}.audienceMode`,
        root.audienceMode,
        K.audienceMode,
        "use workload unless the trade-offs in docs/aws-federation.md say otherwise",
    );
    const acknowledge = r.boolean(`${key}.acknowledgeTenantWideAudience`, root.acknowledgeTenantWideAudience, K.acknowledgeTenantWideAudience);
    const warnings: string[] = [];
    if (mode === "tenant") {
        if (!acknowledge) {
            r.report(
                `${key}.audienceMode`,
                "is tenant: the role would trust the tenant-wide token-exchange audience, so any identity in the tenant whose token carried this sub could assume it",
                `prefer workload; to accept the trade-off (Rais, 'Entra Agent ID Across Clouds', Part 2), also set ${r.key(`${key}.acknowledgeTenantWideAudience`)}: true`,
            );
        } else {
            warnings.push(
                `${r.key(`${key}.audienceMode`)} is tenant: the AWS role trusts the tenant-wide audience fb60f99c-7a34-4190-8149-302f77469936 (acknowledged). Prefer workload.`,
            );
        }
    }

    const intermediaryAppName = r.text(`${key}.intermediaryAppName`, root.intermediaryAppName) ?? "";
    if (mode !== "tenant" && !APP_NAME.test(intermediaryAppName)) {
        r.report(
            `${key}.intermediaryAppName`,
            `must be 3-63 lowercase letters, digits or '-' (got ${JSON.stringify(root.intermediaryAppName ?? null)})`,
            "e.g. agentfed-aws-prod; it names the intermediary Entra app and its api:// audience",
        );
    }
    const identifierUri = r.text(`${key}.identifierUri`, root.identifierUri) ?? defaultIntermediaryIdentifierUri(tenantId, intermediaryAppName);
    if (mode !== "tenant" && (!/^(api:\/\/|https:\/\/)[^\s*]+$/.test(identifierUri) || isTokenExchangeAudience(identifierUri))) {
        r.report(
            `${key}.identifierUri`,
            `is not a workload-scoped identifier URI (got ${JSON.stringify(identifierUri)})`,
            "use api://<tenantId>/<name> (the default) or a verified-domain https URI; never a wildcard or the token-exchange audience",
        );
    } else if (mode !== "tenant" && root.identifierUri !== undefined) {
        const uriProblem = intermediaryIdentifierUriProblem(identifierUri, tenantId);
        if (uriProblem)
            r.report(
                `${key}.identifierUri`,
                uriProblem,
                `remove the key to use api://<tenantId>/${intermediaryAppName || "<intermediaryAppName>"}, or use https://<verified domain>/<path>`,
            );
    }
    const agentKeySet = AWS_AGENT_KEYS.some((k) => root[k] !== undefined && root[k] !== null);
    const primary = agentKeySet ? parseAwsAgent(r, key, root) : undefined;

    return {
        aws: { accountId, region, audienceMode: mode as AwsAudienceMode, intermediaryAppName, identifierUri, acknowledgeTenantWideAudience: acknowledge },
        primary,
        warnings,
    };
}

/** `agentClasses[].aws`: one class's role, behind the stack's OIDC provider. */
export const AWS_CLASS_KEYS = object(
    {
        summary: "The class's AWS role, trusted through the stack's OIDC provider.",
        rule: "needs the stack's aws, in mode workload or tenant (exchange would give every class the same sub)",
    },
    {
        roleName: text({ summary: "IAM role name.", required: true, rule: ROLE_NAME_RULE, example: "agentfed-finance-bedrock" }),
        modelArns: MODEL_ARNS_KEY,
    },
);

/** One agent's role under `path` (`aws`, `agentClasses[i].aws`). */
export function parseAwsAgent(r: Reader, path: string, root: JsonObject): AwsAgentConfig {
    return { roleName: parseRoleName(r, `${path}.roleName`, root.roleName), modelArns: parseModelArns(r, `${path}.modelArns`, root.modelArns) };
}

/** AWS's configuration, as the stack's parser reads every cloud's. */
export const AWS_CONFIG: CloudConfig<AwsSharedConfig, AwsAgentConfig> = {
    keys: AWS_KEYS,
    classKeys: AWS_CLASS_KEYS,
    parse(r, tenantId) {
        const { aws, primary, warnings } = parseAwsConfig(r, tenantId);
        return { shared: aws, primary, warnings };
    },
    parseClass(r, path, value, shared) {
        r.onlyKnownFields(path, value, Object.keys(AWS_CLASS_KEYS.fields));
        if (!shared)
            r.report(
                path,
                `needs ${r.key("aws")}: classes share its account, OIDC provider and audience`,
                `configure ${r.key("aws")}, or remove ${r.key(path)}`,
            );
        else if (!AWS_AUDIENCE_MODE_TABLE[shared.audienceMode].subjectPerAgent)
            r.report(
                path,
                `cannot be used with aws.audienceMode ${shared.audienceMode}: the token AWS sees is the intermediary app's own, so every class would present the same sub`,
                `use ${r.key("aws.audienceMode")}: workload (the default)`,
            );
        return parseAwsAgent(r, path, value);
    },
    uniqueValues: (agent) => [{ field: "roleName", value: agent.roleName, what: "AWS role name" }],
    option2Problem: (r, shared) =>
        AWS_AUDIENCE_MODE_TABLE[shared.audienceMode].option2
            ? undefined
            : {
                  problem: `is agentIdentity, which on AWS needs the intermediary audience, but aws.audienceMode is ${shared.audienceMode}`,
                  fix: `use ${r.key("aws.audienceMode")}: workload, whose intermediary app is the Agent Identity's AWS audience`,
              },
    // AWS offers no `oid` condition key for a generic OIDC provider: the role pins the Agent Identity's token `sub`.
    pinsTokenSubject: true,
    option2Audience: (shared) =>
        AWS_AUDIENCE_MODE_TABLE[shared.audienceMode].intermediaryApp
            ? {
                  key: "aws.identifierUri",
                  uri: shared.identifierUri,
                  label: "AWS",
                  fix: "give the intermediary app its own identifier URI, used only to feed AWS STS",
              }
            : undefined,
    primaryKeysHint: "roleName and modelArns",
};
