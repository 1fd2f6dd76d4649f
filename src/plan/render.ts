import { SECRET_OUTPUT_NAMES } from "../outputs";
import type { PlanResult } from "./run-plan";

/** Outputs as printed: secret ones (stored encrypted by Pulumi) are shown as `[secret]`, like `pulumi stack output`. */
function printableOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(outputs).map(([k, v]) => [k, (SECRET_OUTPUT_NAMES as readonly string[]).includes(k) && v !== null && v !== undefined ? "[secret]" : v]),
    );
}

/** The `--json` document: `{ stack, resources: [{type, name, parent, inputs, provider?}], outputs, trustContracts, placeholders }`. */
export function planJson(plan: PlanResult): Record<string, unknown> {
    return {
        stack: plan.stack,
        resources: plan.resources.map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            inputs: r.inputs,
            protect: r.protect,
            ...(r.secretInputs.length > 0 ? { secretInputs: r.secretInputs } : {}),
            ...(r.provider ? { provider: r.provider } : {}),
        })),
        outputs: printableOutputs(plan.outputs),
        trustContracts: plan.trustContracts,
        placeholders: plan.placeholders,
        warnings: plan.warnings,
    };
}

/** Human-readable plan: resources as a tree, then outputs and trust contracts; placeholders are marked inline. */
export function renderPlanText(plan: PlanResult): string {
    const mark = (text: string): string =>
        text.replace(/00000000-0000-0000-0000-[0-9a-f]{12}/g, (value) => (plan.placeholders[value] ? `${value} ⟨placeholder⟩` : value));
    const lines: string[] = [];
    lines.push(`Offline plan of stack "${plan.stack}" (project ${plan.project}): ${plan.resources.length} resources, run under Pulumi mocks.`);
    for (const warning of plan.warnings) lines.push(`WARNING: ${warning}`);
    lines.push("");
    const children = new Map<string | undefined, typeof plan.resources>();
    for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const walk = (parent: string | undefined, depth: number): void => {
        for (const r of children.get(parent) ?? []) {
            const pad = "  ".repeat(depth);
            lines.push(`${pad}+ ${r.type}  ${r.name}${r.protect ? "  [protected]" : ""}${r.provider ? `  [provider ${r.provider}]` : ""}`);
            for (const [k, v] of Object.entries(r.inputs)) {
                if (k === "__provider") continue;
                lines.push(`${pad}    ${k}: ${mark(JSON.stringify(v))}${r.secretInputs.includes(k) ? "  [secret]" : ""}`);
            }
            walk(`${r.type}::${r.name}`, depth + 1);
        }
    };
    walk(undefined, 0);
    lines.push("", "Outputs:");
    for (const [k, v] of Object.entries(printableOutputs(plan.outputs))) {
        if (k !== "trustContracts") lines.push(`  ${k}: ${mark(JSON.stringify(v))}`);
    }
    lines.push("", `Trust contracts (${plan.trustContracts.length}):`);
    for (const c of plan.trustContracts) lines.push(mark(JSON.stringify(c, null, 2)).replace(/^/gm, "  "));
    const placeholders = Object.entries(plan.placeholders);
    if (placeholders.length > 0) {
        lines.push("", "⟨placeholder⟩ values are known only after `pulumi up`:");
        for (const [value, meaning] of placeholders) lines.push(`  ${value}  ${meaning}`);
    }
    return `${lines.join("\n")}\n`;
}
