import { PROVIDER_NAMESPACES } from "../src/config/reader";
import { renderReference } from "../src/config/reference";
import { BOOTSTRAP_KEYS } from "./config";

/**
 * docs/ci-bootstrap-configuration.md: the CI bootstrap's configuration reference, rendered from the key descriptions
 * its parser reads (BOOTSTRAP_KEYS in bootstrap/config.ts). `npm run docs` writes it (scripts/docs.ts);
 * test/bootstrap-config-reference.test.ts fails when the committed page differs.
 */
export function renderBootstrapConfigurationReference(namespace = "agentfed-bootstrap"): string {
    return renderReference({
        title: "CI bootstrap configuration reference",
        intro: `After reading this you will know every \`${namespace}:\` key of the CI bootstrap: its type, default and allowed values, the rule the parser enforces, and an example.`,
        namespace,
        generatedBy: "`npm run docs` (scripts/docs.ts)",
        sources: "bootstrap/config.ts",
        freshnessTest: "test/bootstrap-config-reference.test.ts",
        root: BOOTSTRAP_KEYS,
        preamble: [
            `Keys live in \`bootstrap/Pulumi.<stack>.yaml\` (the committed \`bootstrap/Pulumi.github.yaml\`) under \`config:\`, written \`${namespace}:<key>\` (a key without a namespace belongs to the project, as Pulumi reads it); structured keys are YAML mappings and lists. Check any change offline with \`npm run plan -- --project bootstrap --stack github\`. What the bootstrap creates from these keys, and why: [CI bootstrap](ci-bootstrap.md).`,
            "The bootstrap parses its whole configuration once, before it registers any resource (`bootstrap/config.ts`, with the main project's `Reader`): every problem is reported in one error, each naming its key and the fix, and nothing is created until the configuration is valid. Accepted but risky choices are shown as warnings by the plan and by `pulumi preview`.",
            "What an environment's identities may touch is not configured here: it is read from the main project's `Pulumi.<stack>.yaml` of the stack the environment names (its tenant, resource group, GCP project and model roles, AWS account and roles, Entra objects), parsed and validated by the main project's own parser, so nothing is typed twice.",
            `Refused everywhere, besides each key's own rule: a key the parser does not know, at the top level (\`${namespace}:enviroments\`) or inside any structured value (\`github.repositoryID\`), naming the closest known key ("did you mean ${namespace}:environments?"); a key in a near-miss of the namespace (\`agentfed-bootstrp:protect\`). Keys of the providers (${PROVIDER_NAMESPACES.map((n) => `\`${n}:\``).join(", ")}) are left to those providers; a key in any other namespace is shown as a warning. A value of the wrong type is refused as such (\`is not a string\`), never replaced by a default. A GUID (\`azure.tenantId\`, \`azure.subscriptionId\`) is accepted in any case and lowercased where it is parsed, as Entra writes ids in its tokens.`,
            `Reading the tables: **Key** is the path under \`${namespace}:\` (\`[]\` stands for any entry of a list); **Required / default** says whether the key must be set and what the parser uses when it is not; the rule is what the parser enforces.`,
        ],
    });
}
