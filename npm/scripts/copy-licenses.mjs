#!/usr/bin/env node
// Copies the repository's LICENSE-MIT and LICENSE-APACHE into npm/ so that
// the tarball carries them (npm pack does not follow links). Run by prepack.
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = dirname(dirname(fileURLToPath(import.meta.url)));
for (const name of ["LICENSE-MIT", "LICENSE-APACHE"]) {
  copyFileSync(join(dirname(npmDir), name), join(npmDir, name));
}
