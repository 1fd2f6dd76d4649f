/**
 * What the live trust audit reports. A *finding* is a difference between what the stack declared (its
 * `trustContracts` output) and what a cloud holds; an *audit error* is a part of a cloud the audit could not read,
 * so nothing may be concluded about it. Pure: no I/O.
 */

export type Cloud = "entra" | "gcp" | "aws";

export const CLOUDS: readonly Cloud[] = ["entra", "gcp", "aws"];

/**
 * `error`: the cloud trusts more than the stack declared (someone else can obtain credentials, or the audit read
 * the wrong object), or an object the stack declares is missing (an application, a FIC, a UAMI, a pool, a provider,
 * a service account or its grant, an OIDC provider, a role): the audit cannot tell a deleted object from one it
 * looked for in the wrong place, and nothing under it was audited, so it never passes. `warning`: a declared object
 * exists but trusts less or differently in a way that breaks or weakens the agent without widening who gets in (a
 * disabled provider, an audience or client id dropped, a recreated UAMI, an expired secret).
 */
export type Severity = "error" | "warning";

export interface Finding {
    readonly severity: Severity;
    readonly cloud: Cloud;
    /** The cloud resource the finding is about, as the cloud names it (a Graph path, a GCP resource name, an ARN). */
    readonly resource: string;
    /** What differs and what to do about it. */
    readonly message: string;
}

/** A part of a cloud that could not be read (unreachable, throttled past the retries, permission missing). */
export interface AuditError {
    readonly cloud: Cloud;
    /** What was being read. */
    readonly resource: string;
    /** Why, and what to fix (the permission, the endpoint, the credential). */
    readonly message: string;
}

/** The whole result: `--json` prints exactly this. */
export interface AuditReport {
    readonly findings: readonly Finding[];
    readonly errors: readonly AuditError[];
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1 };
const CLOUD_ORDER: Record<Cloud, number> = { entra: 0, gcp: 1, aws: 2 };

function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Errors first, then by cloud (entra, gcp, aws), resource and message: the same state always prints the same report. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
    return [...findings].sort(
        (a, b) =>
            SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
            CLOUD_ORDER[a.cloud] - CLOUD_ORDER[b.cloud] ||
            compareText(a.resource, b.resource) ||
            compareText(a.message, b.message),
    );
}

export function sortErrors(errors: readonly AuditError[]): AuditError[] {
    return [...errors].sort((a, b) => CLOUD_ORDER[a.cloud] - CLOUD_ORDER[b.cloud] || compareText(a.resource, b.resource) || compareText(a.message, b.message));
}

/** Exit codes, documented in docs/audit.md. */
export const AUDIT_EXIT = {
    /** Every selected cloud was read and nothing at the failing severity was found. */
    clean: 0,
    /** A finding at or above the failing severity (default: an error finding). */
    findings: 1,
    /** Unusable input, or some part of a cloud could not be read and no error finding was made. */
    couldNotAudit: 2,
} as const;

/**
 * The exit code of a report. An error finding wins over an incomplete audit (a backdoor found in the part that was
 * read is the more urgent news); an incomplete audit wins over warnings, so a partial read is never "clean".
 */
export function exitCodeOf(report: AuditReport, failOn: Severity = "error"): number {
    if (report.findings.some((f) => f.severity === "error")) return AUDIT_EXIT.findings;
    if (report.errors.length > 0) return AUDIT_EXIT.couldNotAudit;
    if (failOn === "warning" && report.findings.length > 0) return AUDIT_EXIT.findings;
    return AUDIT_EXIT.clean;
}

function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split("\n")) {
        let line = "";
        for (const word of paragraph.split(" ")) {
            if (line !== "" && line.length + 1 + word.length > width) {
                lines.push(line);
                line = word;
            } else {
                line = line === "" ? word : `${line} ${word}`;
            }
        }
        lines.push(line);
    }
    return lines;
}

function counts(report: AuditReport): string {
    const errors = report.findings.filter((f) => f.severity === "error").length;
    const warnings = report.findings.length - errors;
    const parts = [`${errors} error${errors === 1 ? "" : "s"}`, `${warnings} warning${warnings === 1 ? "" : "s"}`];
    if (report.errors.length > 0) parts.push(`${report.errors.length} part${report.errors.length === 1 ? "" : "s"} not audited`);
    return parts.join(", ");
}

/**
 * The plain-text table: SEVERITY, CLOUD and RESOURCE columns, the message wrapped beneath each row, then the parts
 * that could not be audited and a one-line summary.
 */
export function renderText(report: AuditReport, header: readonly string[] = []): string {
    const lines = [...header];
    if (header.length > 0) lines.push("");
    if (report.findings.length === 0) {
        lines.push(
            report.errors.length === 0 ? "No findings: the clouds hold exactly the trusts the stack declares." : "No findings in the parts that were read.",
        );
    } else {
        const sevWidth = "SEVERITY".length;
        const cloudWidth = "CLOUD".length;
        lines.push(`${"SEVERITY".padEnd(sevWidth)}  ${"CLOUD".padEnd(cloudWidth)}  RESOURCE`);
        for (const f of report.findings) {
            lines.push(`${f.severity.padEnd(sevWidth)}  ${f.cloud.padEnd(cloudWidth)}  ${f.resource}`);
            for (const l of wrap(f.message, 110)) lines.push(`${" ".repeat(sevWidth + cloudWidth + 4)}${l}`);
        }
    }
    if (report.errors.length > 0) {
        lines.push("", "NOT AUDITED (nothing is concluded about these; fix and rerun):");
        for (const e of report.errors) {
            lines.push(`  ${e.cloud}  ${e.resource}`);
            for (const l of wrap(e.message, 110)) lines.push(`        ${l}`);
        }
    }
    lines.push("", `Summary: ${counts(report)}.`);
    return `${lines.join("\n")}\n`;
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** A Markdown report for `$GITHUB_STEP_SUMMARY`. */
export function renderMarkdown(report: AuditReport, title: string): string {
    const lines = [`### ${cell(title)}`, "", `**${counts(report)}**`, ""];
    if (report.findings.length > 0) {
        lines.push("| Severity | Cloud | Resource | Message |", "|---|---|---|---|");
        for (const f of report.findings) lines.push(`| ${f.severity} | ${f.cloud} | \`${cell(f.resource)}\` | ${cell(f.message)} |`);
        lines.push("");
    } else if (report.errors.length === 0) {
        lines.push("No findings: the clouds hold exactly the trusts the stack declares.", "");
    }
    if (report.errors.length > 0) {
        lines.push("Not audited:", "", "| Cloud | Resource | Why |", "|---|---|---|");
        for (const e of report.errors) lines.push(`| ${e.cloud} | \`${cell(e.resource)}\` | ${cell(e.message)} |`);
        lines.push("");
    }
    return `${lines.join("\n")}\n`;
}
