import { AWS_AUDIENCE_MODES, AwsAudienceMode, bedrockModelArnProblem, defaultIntermediaryIdentifierUri, intermediaryIdentifierUriProblem } from "../contracts";
import { bool, Json, Reader, str } from "./reader";

/** AWS federation for the agent's model calls (`agentfed:aws`). Absent: no AWS resources. */
export interface AwsConfig {
    /** The 12-digit account the provider and role live in; the AWS provider refuses any other. */
    readonly accountId: string;
    /** Region of the Bedrock models (and of the AWS provider). */
    readonly region: string;
    /** How the token gets an audience AWS accepts; see `AwsAudienceMode`. Default `workload`. */
    readonly audienceMode: AwsAudienceMode;
    /** Display name of the intermediary Entra app (modes workload and exchange). */
    readonly intermediaryAppName: string;
    /** The intermediary app's identifier URI: the audience AWS pins. Default `api://<tenantId>/<intermediaryAppName>`. */
    readonly identifierUri: string;
    /** IAM role name. */
    readonly roleName: string;
    /** Bedrock model ARNs the role may invoke (never `*`). */
    readonly modelArns: readonly string[];
    /** Required (true) for `tenant` mode: the role then trusts a tenant-wide audience. */
    readonly acknowledgeTenantWideAudience: boolean;
}

const REGION = /^[a-z]{2}-[a-z]+-\d$/;
/** Regions of other partitions (GovCloud, ISO, China): ARNs here are built for the `aws` partition only. */
const OTHER_PARTITION_REGION = /^([a-z]{2}-(gov|iso[a-z]*)-[a-z]+-\d|cn-[a-z]+-\d)$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const APP_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;

/** Bedrock model ARNs a role may invoke: at least one, each named (no wildcard). */
export function parseModelArns(r: Reader, path: string, value: Json | undefined): string[] {
    const modelArns = Array.isArray(value) ? value.map(String) : [];
    if (modelArns.length === 0)
        r.report(
            path,
            "must list at least one Bedrock model ARN",
            "e.g. [arn:aws:bedrock:us-east-1::foundation-model/<model-id>]; the role may invoke only these",
        );
    modelArns.forEach((arn, i) => {
        const problem = bedrockModelArnProblem(arn);
        if (problem) r.report(`${path}[${i}]`, problem, "copy the ARN from: aws bedrock list-foundation-models --query 'modelSummaries[].modelArn'");
    });
    return modelArns;
}

/** An IAM role name, reported under `path`. */
export function parseRoleName(r: Reader, path: string, value: Json | undefined): string {
    return r.matching(path, value, ROLE_NAME, "an IAM role name", "use 1-64 letters, digits and +=,.@_-");
}

/** Parses `agentfed:aws`; returns the config and any warnings a reviewer must see. `tenantId` names the default audience. */
export function parseAwsConfig(r: Reader, tenantId: string): { aws: AwsConfig | undefined; warnings: string[] } {
    const key = "aws";
    const root = r.object(key, `set ${r.key(key)} to { accountId, region, roleName, modelArns }`, false);
    if (!root) return { aws: undefined, warnings: [] };
    r.onlyKnownFields(key, root, [
        "accountId",
        "region",
        "audienceMode",
        "intermediaryAppName",
        "identifierUri",
        "roleName",
        "modelArns",
        "acknowledgeTenantWideAudience",
    ]);

    const accountId = typeof root.accountId === "number" ? String(root.accountId) : (str(root.accountId) ?? "");
    if (!/^\d{12}$/.test(accountId))
        r.report(
            `${key}.accountId`,
            `must be 12 digits (got ${JSON.stringify(root.accountId ?? null)})`,
            "aws sts get-caller-identity --query Account --output text; quote it in YAML to keep leading zeros",
        );
    // GovCloud, ISO and China regions match the region shape but live in partitions whose ARNs this stack does not build.
    const otherPartition = OTHER_PARTITION_REGION.test(str(root.region) ?? "");
    if (otherPartition) {
        r.report(
            `${key}.region`,
            `is in another AWS partition (got ${JSON.stringify(root.region)})`,
            "only the commercial aws partition is supported: ARNs are built as arn:aws:...",
        );
    }
    const region = otherPartition ? "" : r.matching(`${key}.region`, root.region, REGION, "an AWS region", "e.g. us-east-1");

    const mode = (str(root.audienceMode) ?? "workload") as AwsAudienceMode;
    if (!AWS_AUDIENCE_MODES.includes(mode))
        r.report(
            `${key}.audienceMode`,
            `must be one of ${AWS_AUDIENCE_MODES.join(", ")} (got ${JSON.stringify(root.audienceMode)})`,
            "use workload unless the trade-offs in docs/aws-federation.md say otherwise",
        );
    const acknowledge = bool(r, `${key}.acknowledgeTenantWideAudience`, root.acknowledgeTenantWideAudience, false);
    const warnings: string[] = [];
    if (mode === "tenant") {
        if (!acknowledge) {
            r.report(
                `${key}.audienceMode`,
                "is tenant: the role would trust the tenant-wide token-exchange audience, so any identity in the tenant whose token carried this sub could assume it",
                `prefer workload; to accept the trade-off (seed 000), also set ${r.key(`${key}.acknowledgeTenantWideAudience`)}: true`,
            );
        } else {
            warnings.push(
                `${r.key(`${key}.audienceMode`)} is tenant: the AWS role trusts the tenant-wide audience fb60f99c-7a34-4190-8149-302f77469936 (acknowledged). Prefer workload.`,
            );
        }
    }

    const intermediaryAppName = str(root.intermediaryAppName) ?? "";
    if (mode !== "tenant" && !APP_NAME.test(intermediaryAppName)) {
        r.report(
            `${key}.intermediaryAppName`,
            `must be 3-63 lowercase letters, digits or '-' (got ${JSON.stringify(root.intermediaryAppName ?? null)})`,
            "e.g. agentfed-aws-prod; it names the intermediary Entra app and its api:// audience",
        );
    }
    const identifierUri = str(root.identifierUri) ?? defaultIntermediaryIdentifierUri(tenantId, intermediaryAppName);
    if (mode !== "tenant" && (!/^(api:\/\/|https:\/\/)[^\s*]+$/.test(identifierUri) || identifierUri === "api://AzureADTokenExchange")) {
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
    const roleName = parseRoleName(r, `${key}.roleName`, root.roleName);

    const modelArns = parseModelArns(r, `${key}.modelArns`, root.modelArns);

    return {
        aws: { accountId, region, audienceMode: mode, intermediaryAppName, identifierUri, roleName, modelArns, acknowledgeTenantWideAudience: acknowledge },
        warnings,
    };
}
