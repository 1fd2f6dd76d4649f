// The Pulumi entry point. Everything lives in ./program so the offline plan and the tests run the same code.
import { runProgram } from "./program";

export = runProgram();
