/**
 * Trust-chain doctor: `npm run doctor -- [--project <dir>] --stack <name> (--token <jwt> | --claims <file.json>) [--outputs <file>] [--at <time>] [--json]`.
 * Checks a token against every contract of a stack (from its offline plan, or from `pulumi stack output --json`),
 * and says which accept it and why the others do not. The token is decoded locally and never sent anywhere.
 * Exit 0 when the evaluation ran, whatever the verdicts; 2 on unusable input.
 */
import { parseCliArgs, UsageError } from "../cli-args";
import { CliIo, EXIT } from "../cli-io";
import { scopeAudience, TrustContract } from "../contracts";
import { evaluateAgentIdentities, evaluateContracts } from "./evaluate";
import { claimsFromFile, declaredIdentities, decodeToken, DoctorInputError, parseInstant, stackOutputsFromFile } from "./inputs";

/** Prefix of the sidecar entries the stack adds for cloud federation (Option 2): not downstream APIs. */
const CLOUD_FEDERATION_API = /^DownstreamApis__Agentfed/i;

/** The audiences of the downstream APIs the plan's sidecars request (`DownstreamApis__<api>__Scopes__<n>`), in any resource. */
function plannedApiAudiences(resources: readonly { inputs: Record<string, unknown> }[]): string[] {
    const found = new Set<string>();
    const visit = (value: unknown, key: string | undefined): void => {
        if (typeof value === "string") {
            if (key && /^DownstreamApis__.+__Scopes__\d+$/.test(key) && !CLOUD_FEDERATION_API.test(key)) found.add(scopeAudience(value));
        } else if (Array.isArray(value)) {
            for (const v of value) {
                const entry = v as { name?: unknown; value?: unknown };
                if (typeof entry?.name === "string") visit(entry.value, entry.name);
                else visit(v, undefined);
            }
        } else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) visit(v, k);
    };
    for (const r of resources) visit(r.inputs, undefined);
    return [...found];
}

export const DOCTOR_USAGE =
    "usage: npm run doctor -- [--project bootstrap] --stack <name> (--token <jwt> | --claims <file.json>) [--outputs <stack-output.json>] [--at <ISO time>] [--json]";

/** Runs the doctor; returns the exit code. `nowMs` is the clock when `--at` is not given. */
export async function runDoctor(argv: readonly string[], io: CliIo, nowMs: () => number = Date.now): Promise<number> {
    try {
        return await doctor(argv, io, nowMs);
    } catch (err) {
        if (err instanceof DoctorInputError) {
            io.err(`doctor: ${err.message}\n`);
            return EXIT.unusable;
        }
        if (err instanceof UsageError) {
            io.err(`doctor: ${err.message}\n${DOCTOR_USAGE}\n`);
            return EXIT.unusable;
        }
        // Not the user's input: say so plainly, still without a stack trace.
        io.err(`doctor: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
    }
}

async function doctor(argv: readonly string[], io: CliIo, nowMs: () => number): Promise<number> {
    const values = parseCliArgs(argv, {
        project: { type: "string" },
        stack: { type: "string" },
        token: { type: "string" },
        claims: { type: "string" },
        outputs: { type: "string" },
        at: { type: "string" },
        json: { type: "boolean" },
    });
    if (values === "help") {
        io.out(`${DOCTOR_USAGE}\n`);
        return EXIT.ok;
    }
    if (!values.stack) throw new DoctorInputError(`--stack is required\n${DOCTOR_USAGE}`);
    if (Boolean(values.token) === Boolean(values.claims)) throw new DoctorInputError(`pass exactly one of --token or --claims\n${DOCTOR_USAGE}`);
    const at = values.at === undefined ? nowMs() : parseInstant(values.at);
    const { claims, form } = values.token ? decodeToken(values.token) : { claims: claimsFromFile(values.claims!), form: undefined };

    let contracts: TrustContract[];
    let source: string;
    let outputs: Readonly<Record<string, unknown>>;
    // The APIs' audiences, which only the plan knows (a deployed stack's outputs do not carry them).
    let apiAudiences: string[] = [];
    if (values.outputs) {
        const deployed = stackOutputsFromFile(values.outputs);
        contracts = [...deployed.contracts];
        outputs = deployed.outputs;
        source = `deployed outputs ${values.outputs}`;
    } else {
        const { runPlan } = await import("../plan/run-plan.js");
        const project = values.project !== undefined ? { project: values.project } : {};
        const planOf = `offline plan of ${values.project ? `project ${values.project}, ` : ""}stack ${values.stack}`;
        // The plan fails only on what it was given (project, stack, configuration): unusable input, exit 2.
        const plan = await runPlan({ stack: values.stack, ...project }).catch((err: unknown) => {
            throw new DoctorInputError(`the ${planOf} failed: ${err instanceof Error ? err.message : String(err)}`);
        });
        contracts = plan.trustContracts;
        outputs = plan.outputs;
        apiAudiences = plannedApiAudiences(plan.resources);
        source = `${planOf} (cloud-assigned ids are placeholders: use --outputs for a deployed stack)`;
        if (contracts.length === 0) throw new DoctorInputError(`the ${planOf} declares no trust contract`);
    }
    const verdicts = evaluateContracts(contracts, claims, Math.floor(at / 1000), form);
    // The third leg: the token a downstream API receives, against the Agent Identities the stack declares.
    const declared = declaredIdentities(outputs);
    const { agentIdentities, diagnosis } = evaluateAgentIdentities(declared, claims, Math.floor(at / 1000), apiAudiences, form);
    const unread = declared.unread;

    if (values.json) {
        io.out(`${JSON.stringify({ verdicts, agentIdentities, ...(diagnosis ? { diagnosis } : {}), ...(unread.length > 0 ? { unread } : {}) }, null, 2)}\n`);
        return EXIT.ok;
    }
    const lines = [`Token iss=${JSON.stringify(claims.iss)} sub=${JSON.stringify(claims.sub)} aud=${JSON.stringify(claims.aud)}`, `Contracts: ${source}`, ""];
    for (const v of verdicts) {
        lines.push(`${v.accepted ? "ACCEPTED" : "REJECTED"}  [${v.kind}] ${v.contract}`);
        for (const r of v.reasons) lines.push(`    - ${r}`);
    }
    if (agentIdentities.length > 0) lines.push("", "Agent Identities (the token a downstream API receives):");
    for (const v of agentIdentities) {
        lines.push(`${v.accepted ? "ACCEPTED" : "REJECTED"}  [agent-identity] ${v.identity}`);
        for (const r of v.reasons) lines.push(`    - ${r}`);
    }
    if (diagnosis) lines.push("", `BLUEPRINT TOKEN: ${diagnosis}`);
    if (unread.length > 0) lines.push("", "NOT CHECKED (outputs the Agent Identity check cannot read):", ...unread.map((u) => `    - ${u}`));
    io.out(`${lines.join("\n")}\n`);
    return EXIT.ok;
}
