// Validate a Teams app manifest against the schema bundled in @microsoft/app-manifest, offline.
// Usage: node validate_manifest.js manifest.json  → prints {"errors": [...]} ; exit 0 when valid.
"use strict";
const path = require("path");
const fs = require("fs");
const { AppManifestUtils } = require("@microsoft/app-manifest");

async function main(file) {
  const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  const suffix = AppManifestUtils.getLocalSchemaSuffix(manifest.$schema || "");
  const local = suffix && AppManifestUtils.getLocalSchemaCandidates(suffix).find((f) => fs.existsSync(f));
  if (!local) {
    // Never fall back to fetching the schema over the network.
    console.log(JSON.stringify({ errors: [`no bundled schema for ${manifest.$schema}`] }));
    process.exit(2);
  }
  const [, errors] = await AppManifestUtils.readAndValidateTeamsManifest(path.resolve(file));
  console.log(JSON.stringify({ schema: local, errors }));
  process.exit(errors.length ? 1 : 0);
}

main(process.argv[2]).catch((e) => {
  console.log(JSON.stringify({ errors: [String(e && e.stack || e)] }));
  process.exit(3);
});
