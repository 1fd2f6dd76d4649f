/**
 * `npm run docs`: writes the generated documentation from the code that enforces it: docs/configuration.md, rendered
 * from the configuration keys the main project's parser reads (src/config), and docs/ci-bootstrap-configuration.md,
 * from the keys the CI bootstrap's parser reads (bootstrap/config.ts), and the deploy identities' table in
 * docs/deploying.md, from what the bootstrap grants (bootstrap/deployer-roles.ts). test/config-reference.test.ts and
 * test/bootstrap-config-reference.test.ts fail when a committed page differs from what this writes.
 *
 * `npm run docs -- --check` writes nothing: it exits 0 when every page is what it would write, 1 naming each stale
 * page (for CI, or before a commit), and 2 on a malformed command line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { deployingPage } from "../bootstrap/deployer-roles";
import { renderBootstrapConfigurationReference } from "../bootstrap/reference";
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

/** Runs `npm run docs`; returns the exit code. `root` is the repository root the pages are written under. */
export function runDocsCli(argv: readonly string[], io: CliIo, root = path.resolve(__dirname, "..")): number {
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
    if (check) {
        const read = (file: string) => {
            try {
                return readFileSync(path.join(root, file), "utf8");
            } catch {
                return undefined;
            }
        };
        const stale = generatedPages().filter((page) => read(page.file) !== page.content);
        for (const page of stale) io.err(`docs: ${page.file} is stale: run npm run docs\n`);
        if (stale.length === 0) io.out(`every generated page is fresh (${generatedPages().length})\n`);
        return stale.length === 0 ? EXIT.ok : EXIT.findings;
    }
    for (const page of generatedPages()) {
        writeFileSync(path.join(root, page.file), page.content);
        io.out(`wrote ${page.file}\n`);
    }
    return EXIT.ok;
}

if (require.main === module) process.exitCode = runDocsCli(process.argv.slice(2), processIo);
