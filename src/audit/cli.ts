/**
 * Live trust audit: `npm run audit -- (--stack <name> | --outputs <file>) [--clouds entra,gcp,aws] [--json]
 * [--fail-on error|warning] [--summary-file <path>]`.
 *
 * Reads the declared contracts from the stack's outputs, reads what each cloud actually trusts through its own API
 * (read-only), and reports every difference. Exit 0 clean, 1 a finding at the failing severity, 2 could not audit
 * (unusable input, or a cloud part that could not be read). See docs/audit.md.
 */
import { execFile } from "node:child_process";
import { appendFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseCliArgs, UsageError } from "../cli-args";
import { CliIo, unreadableFileReason } from "../cli-io";
import { CredentialSet } from "../credentials";
import { parseStackOutputs, readStackOutputsFile, StackOutputsDocument, StackOutputsError } from "../outputs-file";
import type { AwsReaderOptions } from "./aws-reader";
import { AuditInputError, entraTargets } from "./entra";
import { azureTokenSource, graphTokenSource } from "./entra-reader";
import { AUDIT_EXIT, Cloud, CLOUDS, exitCodeOf, renderMarkdown, renderText } from "./findings";
import { gcpTokenSource } from "./gcp-reader";
import { apiRoot, HttpOptions } from "./http";
import { cloudsIn, runAudit } from "./run";

export const AUDIT_USAGE =
    "usage: npm run audit -- (--stack <name> | --outputs <pulumi stack output --json file>) [--clouds entra,gcp,aws] [--json] " +
    "[--fail-on error|warning] [--summary-file <path>]";

export interface AuditCliDependencies {
    readonly env: NodeJS.ProcessEnv;
    readonly now?: () => number;
    /** Runs `pulumi stack output --json --stack <name>` and returns its standard output. */
    readonly pulumiStackOutput?: (stack: string) => Promise<string>;
    readonly http?: HttpOptions;
    readonly aws?: AwsReaderOptions;
    /** Token sources, for tests; default: the environment variables, then each cloud's credential chain. */
    readonly graphToken?: () => Promise<string>;
    readonly armToken?: () => Promise<string>;
    readonly gcpToken?: () => Promise<string>;
}

const KIND_NAME: Record<Cloud, string> = { entra: "entra-fic", gcp: "gcp-provider", aws: "aws-role" };
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** The default runner: the Pulumi CLI on PATH, in the project directory, bounded in time and output. */
export function pulumiStackOutput(stack: string, env: NodeJS.ProcessEnv, cwd = PROJECT_DIR): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(
            "pulumi",
            ["stack", "output", "--json", "--stack", stack, "--non-interactive"],
            { cwd, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
            (err, stdout, stderr) => {
                if (!err) return resolve(stdout);
                const code = (err as NodeJS.ErrnoException).code;
                if (code === "ENOENT") {
                    return reject(new UsageError("--stack needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/); or pass --outputs <file>"));
                }
                const detail = (stderr || err.message).trim().split("\n").slice(0, 5).join("\n  ");
                reject(
                    new UsageError(
                        `pulumi stack output --json --stack ${stack} failed${err.killed ? " (timed out)" : ""}:\n  ${detail}\n` +
                            "Check the stack name (org/project/stack) and the login (pulumi login, PULUMI_ACCESS_TOKEN); or pass --outputs <file>.",
                    ),
                );
            },
        );
    });
}

function parseClouds(value: string | undefined, declared: readonly Cloud[], doc: StackOutputsDocument): Cloud[] {
    if (value === undefined) {
        if (declared.length === 0) {
            const kinds = [...new Set(doc.contracts.map((c) => c.kind))];
            throw new UsageError(
                `${doc.source} declares no Entra, GCP or AWS contract (only ${kinds.join(", ")}), so there is nothing to audit: ` +
                    `Pulumi Cloud OIDC policies are not read by the audit. Pass the outputs of a stack with cloud trust contracts`,
            );
        }
        return [...declared];
    }
    const names = value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    if (names.length === 0) throw new UsageError(`--clouds is empty; name one or more of ${CLOUDS.join(", ")}`);
    const unknown = names.filter((n) => !(CLOUDS as readonly string[]).includes(n));
    if (unknown.length > 0) throw new UsageError(`--clouds: unknown cloud ${unknown.map((u) => JSON.stringify(u)).join(", ")}; use ${CLOUDS.join(", ")}`);
    const selected = CLOUDS.filter((c) => names.includes(c));
    const empty = selected.filter((c) => !declared.includes(c));
    if (empty.length > 0) {
        throw new UsageError(
            `--clouds ${empty.join(",")}: ${doc.source} declares no ${empty.map((c) => KIND_NAME[c]).join(" or ")} contract, so there is nothing to audit there`,
        );
    }
    return selected;
}

/**
 * Runs the audit CLI; returns the exit code. Everything it writes (standard output, standard error, the summary file)
 * passes through the run's credential redaction first: the tokens of the environment and every token the run obtains.
 */
export async function runAuditCli(argv: readonly string[], rawIo: CliIo, deps: AuditCliDependencies): Promise<number> {
    const credentials = new CredentialSet(deps.env);
    const io: CliIo = { out: (text) => rawIo.out(credentials.redact(text)), err: (text) => rawIo.err(credentials.redact(text)) };
    try {
        return await audit(argv, io, deps, credentials);
    } catch (err) {
        if (err instanceof UsageError || err instanceof StackOutputsError || err instanceof AuditInputError) {
            io.err(`audit: ${err.message}\n${err instanceof UsageError ? `${AUDIT_USAGE}\n` : ""}`);
            return AUDIT_EXIT.couldNotAudit;
        }
        io.err(`audit: internal error, nothing was concluded: ${err instanceof Error ? err.message : String(err)}\n`);
        return AUDIT_EXIT.couldNotAudit;
    }
}

/**
 * Refuses a summary path that can never be appended to (a directory) before anything is read: a run whose report
 * cannot be written is a failed run, and finding out after the audit wastes its reads.
 */
function checkSummaryPath(file: string): void {
    let stats;
    try {
        stats = statSync(file);
    } catch {
        return; // created on write; a parent that does not exist fails there, and the run fails with it
    }
    if (stats.isDirectory())
        throw new UsageError(`--summary-file ${file} is a directory; pass a file to append the Markdown report to (e.g. "$GITHUB_STEP_SUMMARY")`);
}

async function audit(argv: readonly string[], io: CliIo, deps: AuditCliDependencies, credentials: CredentialSet): Promise<number> {
    const values = parseCliArgs(argv, {
        stack: { type: "string" },
        outputs: { type: "string" },
        clouds: { type: "string" },
        json: { type: "boolean" },
        "fail-on": { type: "string" },
        "summary-file": { type: "string" },
    });
    if (values === "help") {
        io.out(`${AUDIT_USAGE}\n`);
        return AUDIT_EXIT.clean;
    }
    if ((values.stack === undefined) === (values.outputs === undefined)) throw new UsageError("pass exactly one of --stack or --outputs");
    if (values["summary-file"] !== undefined) checkSummaryPath(values["summary-file"]);
    const failOn = values["fail-on"] ?? "error";
    if (failOn !== "error" && failOn !== "warning") throw new UsageError(`--fail-on ${JSON.stringify(failOn)}: use error or warning`);
    const env = deps.env;
    let graphEndpoint: string;
    let armEndpoint: string;
    let gcpEndpoint: string;
    try {
        graphEndpoint = apiRoot(env.AGENTFED_GRAPH_ENDPOINT, "https://graph.microsoft.com", "AGENTFED_GRAPH_ENDPOINT");
        armEndpoint = apiRoot(env.AGENTFED_ARM_ENDPOINT, "https://management.azure.com", "AGENTFED_ARM_ENDPOINT");
        gcpEndpoint = apiRoot(env.AGENTFED_GCP_IAM_ENDPOINT, "https://iam.googleapis.com", "AGENTFED_GCP_IAM_ENDPOINT");
    } catch (err) {
        throw new UsageError((err as Error).message);
    }

    let doc: StackOutputsDocument;
    if (values.stack !== undefined) {
        if (!STACK_NAME.test(values.stack))
            throw new UsageError(`--stack ${JSON.stringify(values.stack)} is not a stack name (e.g. prod, or my-org/agentfed/prod)`);
        const run = deps.pulumiStackOutput ?? ((stack: string) => pulumiStackOutput(stack, env));
        doc = parseStackOutputs(await run(values.stack), `pulumi stack output --stack ${values.stack}`);
    } else {
        doc = readStackOutputsFile(values.outputs!, "--outputs");
    }
    entraTargets(doc.contracts); // contracts that disagree about an application are refused before anything is read
    const clouds = parseClouds(values.clouds, cloudsIn(doc.contracts), doc);

    const now = deps.now ?? Date.now;
    const report = await runAudit(doc, clouds, {
        graphEndpoint,
        graphToken: deps.graphToken ?? graphTokenSource(graphEndpoint, env),
        armEndpoint,
        armToken: deps.armToken ?? azureTokenSource(armEndpoint, "AGENTFED_ARM_TOKEN", env, "Azure Resource Manager"),
        gcpEndpoint,
        gcpToken: deps.gcpToken ?? gcpTokenSource(env),
        ...(deps.aws ? { aws: deps.aws } : {}),
        env,
        ...(deps.http ? { http: deps.http } : {}),
        now,
        credentials,
    });
    const title = `Live trust audit of ${doc.source} (${clouds.join(", ")}), ${new Date(now()).toISOString()}`;
    if (values.json) io.out(`${JSON.stringify({ findings: report.findings, errors: report.errors }, null, 2)}\n`);
    else io.out(renderText(report, [title]));
    const code = exitCodeOf(report, failOn);
    if (values["summary-file"] !== undefined) {
        try {
            appendFileSync(values["summary-file"], credentials.redact(renderMarkdown(report, title)));
        } catch (err) {
            // The report asked for was not written: the run fails (a finding's exit 1 stands, a clean run becomes 2).
            io.err(
                `audit: could not write --summary-file ${values["summary-file"]} (${unreadableFileReason(err, "pass a file")}); ` +
                    `the run fails since its report is incomplete\n`,
            );
            return code === AUDIT_EXIT.clean ? AUDIT_EXIT.couldNotAudit : code;
        }
    }
    return code;
}
