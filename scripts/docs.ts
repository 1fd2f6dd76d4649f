/**
 * `npm run docs`: writes the generated documentation from the code that enforces it: docs/configuration.md, rendered
 * from the configuration keys the main project's parser reads (src/config), and docs/ci-bootstrap-configuration.md,
 * from the keys the CI bootstrap's parser reads (bootstrap/config.ts). test/config-reference.test.ts and
 * test/bootstrap-config-reference.test.ts fail when a committed page differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { renderBootstrapConfigurationReference } from "../bootstrap/reference";
import { renderConfigurationReference } from "../src/config/stack-reference";

/** Every generated page: its path under the repository root and its content. */
export function generatedPages(): { file: string; content: string }[] {
    return [
        { file: "docs/configuration.md", content: renderConfigurationReference() },
        { file: "docs/ci-bootstrap-configuration.md", content: renderBootstrapConfigurationReference() },
    ];
}

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    for (const page of generatedPages()) {
        writeFileSync(path.join(root, page.file), page.content);
        process.stdout.write(`wrote ${page.file}\n`);
    }
}
