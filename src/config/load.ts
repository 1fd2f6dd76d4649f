import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./parse";
import { StackConfig } from "./schema";

/** Reads this stack's configuration from Pulumi, once, and validates it before any resource exists. */
export function loadStackConfig(): StackConfig {
    const namespace = pulumi.getProject();
    const config = new pulumi.Config(namespace);
    // Every key the stack sets, in every namespace: `pulumi.Config.get` cannot see a typo, this list can. The CLI
    // hands the program the whole stack configuration (PULUMI_CONFIG), and the offline plan sets it with setAllConfig.
    const allKeys = Object.keys(pulumi.runtime.allConfig());
    return parseStackConfig({ get: (key) => config.get(key), allKeys: () => allKeys }, namespace);
}
