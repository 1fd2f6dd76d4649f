/**
 * Numbers in hand-written pages that the code decides: each is a block between `<!-- generated:<name> -->` and
 * `<!-- /generated:<name> -->`, computed here from the offline plan, so a page cannot say 110 resources when the
 * plan has 114. `npm run docs` rewrites the blocks; `npm run docs -- --check` fails when one differs.
 *
 * Times and memory are not generated: they depend on the machine. `npm run bench` measures them.
 */
import { longestDependencyChain } from "../src/plan/dependency-chain";
import { runPlan } from "../src/plan/run-plan";
import { manyAgentClasses } from "../test/fixtures/agent-classes";

/** One generated block: the page it lives in, its name in the markers, and how to compute its text. */
export interface DocBlock {
    readonly file: string;
    readonly name: string;
    render(): Promise<string>;
}

/** The sizes docs/scale.md reports, the same as `npm run bench` measures by default. */
export const SCALE_SIZES: readonly number[] = [1, 10, 50, 100];

interface ScaleRow {
    readonly classes: number;
    readonly resources: number;
    readonly chainLength: number;
    readonly chain: readonly string[];
}

let scaleRows: Promise<ScaleRow[]> | undefined;

/** Plans the prod stack at each size, one after another (Pulumi's runtime state is per process); computed once. */
function scale(): Promise<ScaleRow[]> {
    scaleRows ??= (async () => {
        const rows: ScaleRow[] = [];
        for (const classes of SCALE_SIZES) {
            const plan = await runPlan({ stack: "prod", config: { agentClasses: manyAgentClasses(classes) }, recordGraph: true });
            const { length, chain } = longestDependencyChain(plan.graph);
            rows.push({ classes, resources: plan.resources.filter((r) => r.custom).length, chainLength: length, chain });
        }
        return rows;
    })();
    return scaleRows;
}

function scaleTable(rows: readonly ScaleRow[]): string {
    return [
        "| classes | custom resources | per class | longest chain |",
        "|---:|---:|---:|---:|",
        ...rows.map((r) => `| ${r.classes} | ${r.resources} | ${(r.resources / Math.max(1, r.classes)).toFixed(1)} | ${r.chainLength} |`),
    ].join("\n");
}

function scaleGrowth(rows: readonly ScaleRow[]): string {
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    const perClass = (last.resources - first.resources) / (last.classes - first.classes);
    const linear = rows.every((r) => r.resources === first.resources + perClass * (r.classes - first.classes));
    const base = first.resources - perClass * first.classes;
    return linear
        ? `Growth is linear: ${perClass} custom resources per class, on top of the ${base} of the stack without classes (the primary agent and what every agent shares).`
        : `Growth is not linear: from ${first.resources} at ${first.classes} class(es) to ${last.resources} at ${last.classes}.`;
}

function scaleChain(rows: readonly ScaleRow[]): string {
    const lengths = new Set(rows.map((r) => r.chainLength));
    const last = rows[rows.length - 1]!;
    const where = lengths.size === 1 ? `At every size it is ${last.chainLength} steps` : `At ${last.classes} classes it is ${last.chainLength} steps`;
    return [`${where}; at ${last.classes} classes:`, "", ...last.chain.map((step, i) => `${i + 1}. \`${step}\``)].join("\n");
}

async function bootstrapCounts(): Promise<string> {
    const plan = await runPlan({ project: "bootstrap", stack: "github" });
    const custom = plan.resources.filter((r) => r.custom).length;
    return `${plan.resources.length} resources, ${custom} of them custom (what a cloud creates), ${plan.trustContracts.length} trust contracts`;
}

/** Every generated block in the hand-written pages. */
export const DOC_BLOCKS: readonly DocBlock[] = [
    { file: "docs/scale.md", name: "scale-table", render: async () => scaleTable(await scale()) },
    { file: "docs/scale.md", name: "scale-growth", render: async () => scaleGrowth(await scale()) },
    { file: "docs/scale.md", name: "scale-chain", render: async () => scaleChain(await scale()) },
    { file: "docs/ci-bootstrap.md", name: "bootstrap-plan-counts", render: bootstrapCounts },
];

export class DocBlockError extends Error {}

/** The markers of a block; a block's text starts on the line after the opening marker, or right after it inline. */
function markers(name: string): { open: string; close: string } {
    return { open: `<!-- generated:${name} -->`, close: `<!-- /generated:${name} -->` };
}

/**
 * `text` with each named block's content replaced. A block whose content holds a newline is written on its own lines
 * between the markers; a one-line block stays inline. Throws when a marker is missing or repeated.
 */
export function fillBlocks(file: string, text: string, contents: ReadonlyMap<string, string>): string {
    let out = text;
    for (const [name, content] of contents) {
        const { open, close } = markers(name);
        const start = out.indexOf(open);
        const end = out.indexOf(close);
        if (start < 0 || end < start || out.indexOf(open, start + 1) >= 0)
            throw new DocBlockError(`${file}: needs exactly one ${open} … ${close} block (npm run docs fills it in)`);
        const body = content.includes("\n") ? `\n${content}\n` : content;
        out = out.slice(0, start + open.length) + body + out.slice(end);
    }
    return out;
}

/** Each page with blocks, as it would be written: `read` gives a page's current text (undefined when missing). */
export async function pagesWithBlocks(
    read: (file: string) => string | undefined,
    blocks: readonly DocBlock[] = DOC_BLOCKS,
): Promise<{ file: string; content: string }[]> {
    const byFile = new Map<string, Map<string, string>>();
    for (const block of blocks) {
        const contents = byFile.get(block.file) ?? new Map<string, string>();
        contents.set(block.name, await block.render());
        byFile.set(block.file, contents);
    }
    return [...byFile].map(([file, contents]) => {
        const text = read(file);
        if (text === undefined) throw new DocBlockError(`${file}: missing; it holds generated blocks`);
        return { file, content: fillBlocks(file, text, contents) };
    });
}
