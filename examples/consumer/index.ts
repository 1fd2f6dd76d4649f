// The Pulumi entry point of the example consumer; the program lives in ./program so tests run the same code.
import { runConsumer } from "./program";

export = runConsumer();
