/**
 * `npm run docs`: writes the generated documentation from the code that enforces it. Today docs/configuration.md,
 * rendered from the configuration keys the parser reads (src/config); test/config-reference.test.ts fails when a
 * committed page differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { renderConfigurationReference } from "../src/config/stack-reference";

/** Every generated page: its path under the repository root and its content. */
export function generatedPages(): { file: string; content: string }[] {
    return [{ file: "docs/configuration.md", content: renderConfigurationReference() }];
}

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    for (const page of generatedPages()) {
        writeFileSync(path.join(root, page.file), page.content);
        process.stdout.write(`wrote ${page.file}\n`);
    }
}
