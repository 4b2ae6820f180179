// Validates GLB (or glTF) files with the Khronos glTF validator and prints its reports as one JSON array,
// one report per file in the order given (each report's `uri` is the file's path).
// Exit status: 0 when no file has an error, 1 when one has (warnings and infos do not fail), 2 when a file
// cannot be read or is not glTF at all (the validator rejects it before reporting).
//   node web/scripts/validate-gltf.mjs preview.glb last.glb
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The package's ES module entry imports its compiled Dart as if it were a module, which it is not: load the
// CommonJS entry instead.
const validator = createRequire(import.meta.url)("gltf-validator");

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node validate-gltf.mjs FILE.glb [FILE.glb ...]");
  process.exit(2);
}

const reports = [];
for (const path of paths) {
  let bytes;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    console.error(`${path}: ${error.message}`);
    process.exit(2);
  }
  try {
    // maxIssues 0: every issue, so a count in the summary is never cut short by the list's limit.
    reports.push(await validator.validateBytes(bytes, { uri: path, maxIssues: 0, writeTimestamp: false }));
  } catch (error) {
    console.error(`${path}: not glTF: ${error}`);
    process.exit(2);
  }
}
console.log(JSON.stringify(reports, null, 2));
process.exit(reports.some((report) => report.issues.numErrors > 0) ? 1 : 0);
