// The bootstrap's Pulumi entry point (`pulumi up -C bootstrap -s github`). Everything lives in ./program so the
// offline plan (`npm run plan -- --project bootstrap --stack github`) and the tests run the same code.
import { runBootstrap } from "./program";

export = runBootstrap();
