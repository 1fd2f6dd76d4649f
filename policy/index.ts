// The policy pack entry point: `pulumi preview --policy-pack policy`. Policies live in ./policies.ts.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("agentfed-security", { enforcementLevel: "mandatory", policies });
