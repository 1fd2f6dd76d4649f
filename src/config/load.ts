import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./parse";
import { StackConfig } from "./schema";

/** Reads this stack's configuration from Pulumi, once, and validates it before any resource exists. */
export function loadStackConfig(): StackConfig {
    const namespace = pulumi.getProject();
    const config = new pulumi.Config(namespace);
    return parseStackConfig({ get: (key) => config.get(key) }, namespace);
}
