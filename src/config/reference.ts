/**
 * Renders a configuration reference from key specs (src/config/spec.ts): one table per section, one row per key,
 * every row from the description the parser itself consumes. `npm run docs` writes docs/configuration.md with it;
 * test/config-reference.test.ts fails when the committed file differs from what this renders.
 */
import * as yaml from "js-yaml";
import { Fields, ObjectSpec, Spec } from "./spec";

export interface ReferenceOptions {
    /** The page's title (`# ...`). */
    readonly title: string;
    /** The "After reading this you will ..." line every docs page starts with. */
    readonly intro: string;
    /** The config namespace keys are written under (`agentfed`). */
    readonly namespace: string;
    /** Markdown paragraphs between the intro and the sections: how keys are written, what is refused everywhere. */
    readonly preamble: readonly string[];
    /** The top-level keys; each names its `section`, sections appear in the order their first key does. */
    readonly root: ObjectSpec;
    /** Where the generator lives, for the "generated" notice. */
    readonly generatedBy: string;
    /** Where the key descriptions live, for the "generated" notice. Default: the main project's (`src/config/*.ts`). */
    readonly sources?: string;
    /** The test that fails when the page is stale, for the "generated" notice. Default: test/config-reference.test.ts. */
    readonly freshnessTest?: string;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (text: string): string => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);

/** A value as a user writes it in YAML (flow style, one line). */
function yamlText(value: unknown): string {
    return yaml.dump(value, { flowLevel: 0, lineWidth: -1 }).trim();
}

/** GitHub's heading anchor for a section title (the same rule test/docs.test.ts checks links against). */
export function anchor(title: string): string {
    return title
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

function typeOf(spec: Spec): string {
    switch (spec.kind) {
        case "value":
            return spec.type;
        case "object":
            return "object";
        case "list":
            return spec.items.kind === "value" ? `list of ${spec.items.type}` : spec.items.kind === "object" ? "list of objects" : "list";
        case "map":
            return `map of ${spec.values.type}`;
    }
}

function requirement(spec: Spec): string {
    if (spec.required === true) return "required";
    if (typeof spec.required === "string") return `required ${spec.required}`;
    const constant = spec.kind === "value" ? spec.default : undefined;
    if (constant !== undefined) return `default ${code(String(constant))}`;
    if (spec.defaultText !== undefined) return `default: ${spec.defaultText}`;
    return "optional";
}

/** What `KeyDoc.scope` says, in the reference's words. */
const SCOPES: Record<NonNullable<Spec["scope"]>, string> = {
    shared: "**Shared** by every agent of the stack.",
    agent: "**Per agent**: the primary agent's; each agent class sets its own under `agentClasses[]`.",
};

function ruleOf(spec: Spec, sharedWith: string | undefined): string {
    const parts = spec.scope !== undefined ? [SCOPES[spec.scope], spec.summary] : [spec.summary];
    if (spec.kind === "value" && spec.allowed !== undefined && spec.allowed.length > 0)
        parts.push(`One of ${spec.allowed.map((a) => code(String(a))).join(", ")}.`);
    if (spec.kind === "value" && spec.type === "integer" && spec.min !== undefined && spec.max !== undefined && spec.allowed === undefined)
        parts.push(`A whole number from ${spec.min} to ${spec.max}.`);
    if (spec.rule !== undefined) parts.push(`Rule: ${spec.rule}.`);
    if (sharedWith !== undefined) parts.push(`Its keys are those of ${sharedWith}, with the same rules.`);
    if (spec.see !== undefined) parts.push(`See [${spec.see.replace(/#.*$/, "").replace(/\.md$/, "")}](${spec.see}).`);
    return parts.join(" ");
}

function exampleOf(spec: Spec): string {
    if (spec.example === undefined) return "";
    return code(yamlText(spec.example));
}

/** The rows of one top-level key and everything under it, depth first; a reused set of keys is listed once. */
function rows(spec: Spec, path: string, rendered: Map<Fields, string>, sectionOf: (path: string) => string): string[] {
    const fieldsOf = (s: Spec): Fields | undefined =>
        s.kind === "object" ? s.fields : s.kind === "list" && s.items.kind === "object" ? s.items.fields : undefined;
    const fields = fieldsOf(spec);
    const shared = fields ? rendered.get(fields) : undefined;
    const sharedLink = shared !== undefined ? `[${code(shared)}](#${anchor(sectionOf(shared))})` : undefined;
    const out = [`| ${code(path)} | ${cell(typeOf(spec))} | ${cell(requirement(spec))} | ${cell(ruleOf(spec, sharedLink))} | ${cell(exampleOf(spec))} |`];
    if (fields === undefined || shared !== undefined) {
        if (spec.kind === "map") out.push(...rows(spec.values, `${path}.<name>`, rendered, sectionOf));
        return out;
    }
    rendered.set(fields, path);
    const prefix = spec.kind === "list" ? `${path}[]` : path;
    for (const [name, field] of Object.entries(fields)) out.push(...rows(field, `${prefix}.${name}`, rendered, sectionOf));
    return out;
}

/** The whole reference page. */
export function renderReference(options: ReferenceOptions): string {
    const sections = new Map<string, [string, Spec][]>();
    for (const [name, spec] of Object.entries(options.root.fields)) {
        const section = spec.section ?? "Other settings";
        sections.set(section, [...(sections.get(section) ?? []), [name, spec]]);
    }
    const sectionOfKey = new Map<string, string>();
    for (const [section, keys] of sections) for (const [name] of keys) sectionOfKey.set(name, section);
    const sectionOf = (path: string) => sectionOfKey.get(path.split(/[.[]/)[0]!) ?? "";

    const lines = [
        `# ${options.title}`,
        "",
        options.intro,
        "",
        `<!-- Generated by ${options.generatedBy} from the key descriptions the parser reads (${options.sources ?? "src/config/*.ts"}). Edit those, then run npm run docs; ${options.freshnessTest ?? "test/config-reference.test.ts"} fails when this file is stale. -->`,
        "",
        ...options.preamble.flatMap((p) => [p, ""]),
        "Sections:",
        "",
        ...[...sections.keys()].map((s) => `- [${s}](#${anchor(s)})`),
        "",
    ];
    const rendered = new Map<Fields, string>();
    for (const [section, keys] of sections) {
        lines.push(`## ${section}`, "");
        lines.push("| Key | Type | Required / default | What it is, and the rule | Example |", "|---|---|---|---|---|");
        for (const [name, spec] of keys) lines.push(...rows(spec, name, rendered, sectionOf));
        lines.push("");
    }
    return lines.join("\n");
}
