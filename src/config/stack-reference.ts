import { PROVIDER_NAMESPACES } from "./reader";
import { STACK_KEYS } from "./parse";
import { renderReference } from "./reference";

/** docs/configuration.md: the main project's configuration reference, rendered from the keys the parser reads. */
export function renderConfigurationReference(namespace = "agentfed"): string {
    return renderReference({
        title: "Configuration reference",
        intro: `After reading this you will know every \`${namespace}:\` configuration key: its type, default and allowed values, the rule the parser enforces, and an example.`,
        namespace,
        generatedBy: "`npm run docs` (scripts/docs.ts)",
        root: STACK_KEYS,
        preamble: [
            `Keys live in \`Pulumi.<stack>.yaml\` under \`config:\`, written \`${namespace}:<key>\` (a key without a namespace belongs to the project, as Pulumi reads it); structured keys are YAML mappings and lists. Check any change offline with \`npm run plan -- --stack <stack>\`.`,
            "The program parses the whole configuration once, before it registers any resource (`src/config`): every problem is reported in one error, each naming its key and the fix, and nothing is created until the configuration is valid. Accepted but risky choices are shown as warnings by the plan and by `pulumi preview`.",
            `Refused everywhere, besides each key's own rule: a key the parser does not know, at the top level (\`${namespace}:contanerApp\`) or inside any structured value (\`blueprint.appID\`), naming the closest known key ("did you mean ${namespace}:containerApp?"); a key in a near-miss of the namespace (\`agentfd:tenantId\`). Keys of the providers this program uses (${PROVIDER_NAMESPACES.map((n) => `\`${n}:\``).join(", ")}) are left to those providers; a key in any other namespace is shown as a warning.`,
            "A value of the wrong type is refused as such (`is not a string`), never replaced by a default. A GUID (a tenant, application or object id) is accepted in any case and lowercased where it is parsed, since Entra writes ids in lowercase in its tokens and the clouds compare what a contract pins byte for byte. Ports, replica counts and retention days are whole numbers, as Azure Resource Manager takes them. A number beyond what YAML and JSON carry exactly (an integer past 2^53, such as a 20-digit project number) is refused with the digits written: quote it. The offline plan also refuses a `--stack` that is not a stack name (a path), a stack file that is not valid YAML (naming the file and the line), a key written twice (`tenantId` and `agentfed:tenantId`), and an encrypted (`secure:`) value, which it cannot decrypt and nothing here needs; YAML merge keys (`<<: *defaults`) are resolved as the Pulumi CLI resolves them.",
            "**Shared and per-agent keys.** A stack has one primary agent (the top-level keys) and any number of agent classes (`agentClasses`), each built the same way, with its own UAMI, FIC and cloud principals. Keys marked **Shared** describe what every agent uses: the GCP project and pool, the AWS account, audience mode and intermediary app, the Graph root. Keys marked **Per agent** are the primary agent's own; each class sets its own under `agentClasses[]`. `gcp` and `aws` may hold only their shared keys: the primary agent then gets no principal in that cloud, and the classes federate through the shared pool or OIDC provider ([Agent classes](agent-classes.md)).",
            "Reading the tables: **Key** is the path under `agentfed:` (`[]` stands for any entry of a list, `<name>` for a key you choose); **Required / default** says whether the key must be set and what the parser uses when it is not; the rule is what the parser enforces. How the hostile-input corpus exercises these rules: [Tests, Hostile input](testing.md#hostile-input).",
        ],
    });
}
