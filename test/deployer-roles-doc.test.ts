import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
    DEPLOYER_ROLES_BEGIN,
    DEPLOYER_ROLES_END,
    DEPLOYER_ROLES_PAGE,
    deployingPage,
    readBootstrapConfig,
    renderDeployerRoles,
    spliceGenerated,
} from "../bootstrap/deployer-roles";
import { graphPermissions } from "../bootstrap/permissions";
import { generatedPages } from "../scripts/docs";
import { readProjectName } from "../src/plan/stack-files";

/**
 * docs/deploying.md lists what the bootstrap grants each GitHub environment; the table is generated from
 * bootstrap/permissions.ts, so it cannot drift from what `pulumi up -C bootstrap` grants. And the first-deployment
 * guide's commands name projects, stacks and scripts that exist.
 */

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("the deploy identities' table in docs/deploying.md", () => {
    it("is exactly what npm run docs generates from the bootstrap's permissions", () => {
        assert.equal(read(DEPLOYER_ROLES_PAGE), deployingPage(ROOT).content, "docs/deploying.md is stale: run npm run docs");
        assert.ok(
            generatedPages().some((p) => p.file === DEPLOYER_ROLES_PAGE),
            "scripts/docs.ts does not regenerate docs/deploying.md",
        );
    });

    it("has one row per GitHub environment of the committed bootstrap, each with its Graph permissions and its Azure role", () => {
        const config = readBootstrapConfig(ROOT);
        const section = renderDeployerRoles(config);
        for (const env of config.environments) {
            const row = section.split("\n").find((l) => l.startsWith(`| \`${env.name}\` (${env.access})`));
            assert.ok(row, `no row for ${env.name}`);
            for (const permission of graphPermissions(env.access, env.target)) assert.ok(row.includes(`\`${permission}\``), `${env.name}: ${permission}`);
            assert.ok(row.includes(env.access === "deploy" ? "`Contributor`" : "`Reader`"), `${env.name}: Azure role`);
            assert.ok(!row.includes(env.access === "deploy" ? "`Reader`" : "`Contributor`"), `${env.name}: the other Azure role`);
        }
        // prod writes FICs on an Agent ID Blueprint; dev (a classic app) holds no Agent ID permission at all.
        const devDeploy = section.split("\n").find((l) => l.startsWith("| `dev` (deploy)"))!;
        assert.ok(!devDeploy.includes("AgentIdentityBlueprint"));
        assert.ok(
            section
                .split("\n")
                .find((l) => l.startsWith("| `prod` (deploy)"))!
                .includes("`AgentIdentityBlueprint.Create`"),
        );
    });

    it("splices only between its markers, and refuses a page without them", () => {
        const page = `# T\n\nbefore\n${DEPLOYER_ROLES_BEGIN}\nold\n${DEPLOYER_ROLES_END}\nafter\n`;
        assert.equal(
            spliceGenerated(page, `${DEPLOYER_ROLES_BEGIN}\nnew\n${DEPLOYER_ROLES_END}`),
            `# T\n\nbefore\n${DEPLOYER_ROLES_BEGIN}\nnew\n${DEPLOYER_ROLES_END}\nafter\n`,
        );
        assert.throws(() => spliceGenerated("# T\n", "x"), /no generated deployer-roles section/);
        assert.throws(() => spliceGenerated(`${DEPLOYER_ROLES_END}\n${DEPLOYER_ROLES_BEGIN}\n`, "x"), /no generated deployer-roles section/);
    });
});

describe("docs/first-deployment.md", () => {
    const guide = read("docs/first-deployment.md");
    const commands = guide
        .split("```")
        .filter((_, i) => i % 2 === 1)
        .join("\n");

    it("names every npm script it runs as package.json defines it", () => {
        const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);
        const used = [...commands.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((m) => m[1]!);
        assert.ok(used.length > 0);
        for (const script of used) assert.ok(scripts.includes(script), `npm run ${script} is not a script in package.json`);
    });

    it("creates and plans exactly the stacks whose files exist, in the projects Pulumi.yaml names", () => {
        assert.equal(readProjectName(ROOT), "agentfed");
        assert.equal(readProjectName(path.join(ROOT, "bootstrap")), "agentfed-bootstrap");
        assert.ok(guide.includes("project agentfed-bootstrap (bootstrap/Pulumi.yaml)"));
        for (const [, stack, dir] of commands.matchAll(/pulumi stack init <org>\/([a-z]+)(?: -C ([a-z]+))?/g)) {
            const file = path.join(ROOT, dir ?? "", `Pulumi.${stack}.yaml`);
            assert.doesNotThrow(() => readFileSync(file), `pulumi stack init ${stack}: ${path.relative(ROOT, file)} does not exist`);
        }
        const inits = [...commands.matchAll(/pulumi stack init <org>\/([a-z]+)/g)].map((m) => m[1]);
        assert.deepEqual(inits.sort(), ["dev", "github", "prod"]);
        for (const [, project, stack] of commands.matchAll(/npm run plan -- (?:--project ([a-z]+) )?--stack ([a-z]+)/g)) {
            assert.doesNotThrow(() => readFileSync(path.join(ROOT, project ?? "", `Pulumi.${stack}.yaml`)), `plan of ${project ?? "."}/${stack}`);
        }
    });

    it("keeps the committed stack files when it removes the stacks, and runs the bootstrap before the main stacks' first up", () => {
        for (const rm of commands.match(/pulumi stack rm [^\n]*/g) ?? []) assert.ok(rm.includes("--preserve-config"), rm);
        assert.ok(guide.indexOf("### 8. Run the bootstrap") < guide.indexOf("### 11. Merge: dev deploys"));
        assert.ok(guide.indexOf("### T2. Destroy dev and prod") < guide.indexOf("### T3. Destroy the bootstrap"));
        // Both main stacks leave their resource group to the bootstrap, as the guide says.
        for (const stack of ["dev", "prod"]) assert.match(read(`Pulumi.${stack}.yaml`), /resourceGroup:\n\s+name: [^\n]+\n(?:\s+#[^\n]*\n)*\s+create: false/);
    });
});
