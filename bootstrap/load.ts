import * as pulumi from "@pulumi/pulumi";
import { BootstrapConfig, parseBootstrapConfig } from "./config";

/** The bootstrap project's directory: where its Pulumi.yaml is, and the main project's parent by default. */
export const BOOTSTRAP_DIR = __dirname;

/** Reads the bootstrap's configuration from Pulumi, once, and validates it before any resource exists. */
export function loadBootstrapConfig(): BootstrapConfig {
    const namespace = pulumi.getProject();
    const config = new pulumi.Config(namespace);
    // Every key the stack sets, in every namespace, so a typo in a key or in the namespace itself is refused.
    const allKeys = Object.keys(pulumi.runtime.allConfig());
    return parseBootstrapConfig({ get: (key) => config.get(key), allKeys: () => allKeys }, namespace, BOOTSTRAP_DIR);
}
