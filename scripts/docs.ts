/**
 * `npm run docs`: writes the generated documentation from the code that enforces it: docs/configuration.md, rendered
 * from the configuration keys the main project's parser reads (src/config), and docs/ci-bootstrap-configuration.md,
 * from the keys the CI bootstrap's parser reads (bootstrap/config.ts), and the deploy identities' table in
 * docs/deploying.md, from what the bootstrap grants (bootstrap/deployer-roles.ts). test/config-reference.test.ts and
 * test/bootstrap-config-reference.test.ts fail when a committed page differs from what this writes.
 *
 * It also fills the generated blocks of hand-written pages (scripts/doc-blocks.ts): numbers the code decides, such as
 * the resource counts and the longest dependency chain of docs/scale.md, computed from the offline plan.
 *
 * `npm run docs -- --check` writes nothing: it exits 0 when every page is what it would write, 1 naming each stale
 * page (for CI, or before a commit), and 2 on a malformed command line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { deployingPage } from "../bootstrap/deployer-roles";
import { renderBootstrapConfigurationReference } from "../bootstrap/reference";
import { DOC_BLOCKS, DocBlock, DocBlockError, pagesWithBlocks } from "./doc-blocks";
import { parseCliArgs, UsageError } from "../src/cli-args";
import { CliIo, EXIT, processIo } from "../src/cli-io";
import { renderConfigurationReference } from "../src/config/stack-reference";

export const DOCS_USAGE = "usage: npm run docs [-- --check]";

/** Every generated page: its path under the repository root and its content. */
export function generatedPages(): { file: string; content: string }[] {
    return [
        { file: "docs/configuration.md", content: renderConfigurationReference() },
        { file: "docs/ci-bootstrap-configuration.md", content: renderBootstrapConfigurationReference() },
        // A generated section inside a written page: what the bootstrap grants each environment (bootstrap/deployer-roles.ts).
        deployingPage(path.resolve(__dirname, "..")),
    ];
}

/**
 * Runs `npm run docs`; returns the exit code. `root` is the repository root the pages are written under; `blocks` the
 * generated blocks of hand-written pages to fill (tests pass fewer: each one plans the stack).
 */
export async function runDocsCli(
    argv: readonly string[],
    io: CliIo,
    root = path.resolve(__dirname, ".."),
    blocks: readonly DocBlock[] = DOC_BLOCKS,
): Promise<number> {
    let check: boolean;
    try {
        const parsed = parseCliArgs(argv, { check: { type: "boolean" } });
        if (parsed === "help") {
            io.out(`${DOCS_USAGE}\n`);
            return EXIT.ok;
        }
        check = parsed.check === true;
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.err(`docs: ${err.message}\n${DOCS_USAGE}\n`);
        return EXIT.unusable;
    }
    const read = (file: string) => {
        try {
            return readFileSync(path.join(root, file), "utf8");
        } catch {
            return undefined;
        }
    };
    let pages: { file: string; content: string }[];
    try {
        pages = [...generatedPages(), ...(await pagesWithBlocks(read, blocks))];
    } catch (err) {
        if (!(err instanceof DocBlockError)) throw err;
        io.err(`docs: ${err.message}\n`);
        return EXIT.findings;
    }
    if (check) {
        const stale = pages.filter((page) => read(page.file) !== page.content);
        for (const page of stale) io.err(`docs: ${page.file} is stale: run npm run docs\n`);
        if (stale.length === 0) io.out(`every generated page is fresh (${pages.length})\n`);
        return stale.length === 0 ? EXIT.ok : EXIT.findings;
    }
    for (const page of pages) {
        if (read(page.file) === page.content) continue;
        writeFileSync(path.join(root, page.file), page.content);
        io.out(`wrote ${page.file}\n`);
    }
    return EXIT.ok;
}

if (require.main === module) {
    runDocsCli(process.argv.slice(2), processIo).then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            process.stderr.write(`docs failed: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exitCode = 1;
        },
    );
}
