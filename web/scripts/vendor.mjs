// Copies the three.js modules the pages import (and every module they import, relative paths followed)
// from node_modules/three into static/vendor/three, keeping three's own layout, so the pages load them
// from the app itself through an import map (no CDN). Run by `npm run build` (make install does it).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(web, "node_modules", "three");
const target = join(web, "static", "vendor", "three");
const entries = [
  "build/three.module.js",
  "examples/jsm/loaders/GLTFLoader.js",
  "examples/jsm/controls/OrbitControls.js",
  "examples/jsm/geometries/DecalGeometry.js",
];
// Static `import ... from './x.js'` and `export ... from './x.js'` with a relative path.
const relativeImport = /(?:import|export)\s[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

rmSync(target, { recursive: true, force: true });
const seen = new Set();
const pending = entries.map((entry) => join(source, entry));
while (pending.length > 0) {
  const file = pending.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(relativeImport)) pending.push(resolve(dirname(file), match[1]));
  const out = join(target, relative(source, file));
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(file, out);
}
copyFileSync(join(source, "LICENSE"), join(target, "LICENSE"));
const version = JSON.parse(readFileSync(join(source, "package.json"), "utf8")).version;
writeFileSync(join(target, "VERSION"), `${version}\n`);
console.log(`three ${version}: ${seen.size} modules copied to ${relative(web, target)}`);
