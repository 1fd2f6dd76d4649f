import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/**
 * The documentation is an interface too: the README is a front page that fits on a screen or two, every page in docs/
 * says first what its reader will be able to do, and every relative link (file and #anchor) resolves.
 */

const ROOT = path.resolve(__dirname, "..");
const DOCS = path.join(ROOT, "docs");
const README_MAX_BYTES = 12 * 1024;

function markdownFiles(): string[] {
    return [
        path.join(ROOT, "README.md"),
        ...readdirSync(DOCS)
            .filter((f) => f.endsWith(".md"))
            .map((f) => path.join(DOCS, f)),
    ];
}

/** The text outside fenced code blocks and inline code spans: links inside code are examples, not links. */
function prose(markdown: string): string {
    let fenced = false;
    return markdown
        .split("\n")
        .map((line) => {
            if (/^\s*```/.test(line)) {
                fenced = !fenced;
                return "";
            }
            return fenced ? "" : line.replace(/`[^`]*`/g, "");
        })
        .join("\n");
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to '-', repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    let fenced = false;
    for (const line of markdown.split("\n")) {
        if (/^\s*```/.test(line)) fenced = !fenced;
        const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
        if (!heading) continue;
        const base = heading[1]!
            .trim()
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\s_-]/gu, "")
            .replace(/\s/g, "-");
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    return anchors;
}

function links(markdown: string): string[] {
    return [...prose(markdown).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe("documentation", () => {
    it(`keeps the README a front page of at most ${README_MAX_BYTES / 1024} KB`, () => {
        const size = statSync(path.join(ROOT, "README.md")).size;
        assert.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes; move detail into docs/`);
    });

    it("maps every page in docs/ from the README", () => {
        const readmeLinks = new Set(links(readFileSync(path.join(ROOT, "README.md"), "utf8")).map((l) => l.split("#")[0]));
        for (const page of readdirSync(DOCS).filter((f) => f.endsWith(".md"))) {
            assert.ok(readmeLinks.has(`docs/${page}`), `docs/${page} is not in the README's map of the docs`);
        }
    });

    it("starts every page in docs/ with its title and what the reader will be able to do after reading it", () => {
        for (const file of markdownFiles().filter((f) => f.startsWith(DOCS))) {
            const [title, blank, intro] = readFileSync(file, "utf8").split("\n");
            assert.match(title ?? "", /^# \S/, `${path.relative(ROOT, file)}: first line must be its # title`);
            assert.equal(blank, "", `${path.relative(ROOT, file)}: a blank line after the title`);
            assert.match(intro ?? "", /^After reading this you will /, `${path.relative(ROOT, file)}: say first what the reader will be able to do`);
        }
    });

    it("resolves every relative link, and every #anchor, in the README and docs/", () => {
        const broken: string[] = [];
        for (const file of markdownFiles()) {
            const text = readFileSync(file, "utf8");
            for (const link of links(text)) {
                if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:: not checked offline
                const [target = "", anchor] = link.split("#");
                const resolved = target === "" ? file : path.resolve(path.dirname(file), target);
                const where = `${path.relative(ROOT, file)} -> ${link}`;
                if (!existsSync(resolved)) {
                    broken.push(`${where}: no such file`);
                    continue;
                }
                if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(readFileSync(resolved, "utf8")).has(anchor))
                    broken.push(`${where}: no heading with that anchor`);
            }
        }
        assert.deepEqual(broken, []);
    });
});
