import * as pulumi from "@pulumi/pulumi";
import { BootstrapConfig, parseBootstrapConfig } from "./config";

/** The bootstrap project's directory: where its Pulumi.yaml is, and the main project's parent by default. */
export const BOOTSTRAP_DIR = __dirname;

/** Reads the bootstrap's configuration from Pulumi, once, and validates it before any resource exists. */
export function loadBootstrapConfig(): BootstrapConfig {
    const namespace = pulumi.getProject();
    const config = new pulumi.Config(namespace);
    const prefix = `${namespace}:`;
    const keys = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length));
    return parseBootstrapConfig({ get: (key) => config.get(key), keys: () => keys }, namespace, BOOTSTRAP_DIR);
}
