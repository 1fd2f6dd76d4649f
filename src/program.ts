import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load";
import { StackConfig } from "./config/schema";
import { StackOutputs } from "./outputs";
import { createAgentIdentityStack } from "./stack";

/**
 * The whole Pulumi program: validate config (a `ConfigError` here means no resource was registered), then build
 * the stack. The offline plan passes the config it already validated, so both run the same code.
 */
export function runProgram(config: StackConfig = loadStackConfig()): StackOutputs {
    // Accepted-but-risky choices appear in every `pulumi preview` and `pulumi up`.
    for (const warning of config.warnings) void pulumi.log.warn(warning);
    return createAgentIdentityStack(config);
}
