// Type-checks every rendered object against the kubernetes-types interfaces (and
// prometheus-operator's for the ServiceMonitor) with tsc: each object becomes an object literal
// typed with its interface, so TypeScript's excess-property check rejects unknown fields at any
// depth and wrong value types.
// Usage: node types.mjs RENDERED_DIR   (exit 0 clean, 1 type errors, 64 usage)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRendered, Report, usage } from "./lib.mjs";

if (process.argv.length !== 3) usage("types.mjs", "RENDERED_DIR");
const here = dirname(fileURLToPath(import.meta.url));

// The module and interface that type an object, e.g. ["kubernetes-types/apps/v1", "StatefulSet"].
function typeOf(apiVersion, kind) {
  if (apiVersion === "monitoring.coreos.com/v1") {
    return [`@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`, `I${kind}`];
  }
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return [`kubernetes-types/${group.replace(/\.k8s\.io$/, "")}/${version}`, kind];
}

const report = new Report("types");
const work = mkdtempSync(join(tmpdir(), "gryadka-k8s-types-"));
try {
  const files = [];
  loadRendered(process.argv[2]).forEach(({ obj, name }, i) => {
    const [module, type] = typeOf(obj.apiVersion, obj.kind);
    const file = join(work, `object${i}.ts`);
    writeFileSync(
      file,
      `// ${name}\nimport type { ${type} as T } from ${JSON.stringify(module)};\n` +
        `export const object: T = ${JSON.stringify(obj, null, 2)};\n`,
    );
    files.push({ file, name });
  });
  // The objects resolve their modules through tests/k8s/node_modules.
  symlinkSync(join(here, "node_modules"), join(work, "node_modules"), "dir");
  const compilerOptions = { strict: true, noEmit: true, types: [], module: "commonjs",
    moduleResolution: "node10", skipLibCheck: true, pretty: false };
  writeFileSync(join(work, "tsconfig.json"),
    JSON.stringify({ compilerOptions, files: files.map((f) => f.file) }));
  const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
  const args = [tsc, "--project", join(work, "tsconfig.json")];
  let output = "";
  try {
    execFileSync(process.execPath, args, { cwd: work, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    output = `${e.stdout}${e.stderr}`;
  }
  // tsc names the files relative to its working directory: "object3.ts(12,5): error ...".
  const lines = output.split("\n").filter((l) => l.trim());
  for (const { file, name } of files) {
    const base = file.slice(work.length + 1);
    const errors = lines.filter((l) => l.startsWith(`${base}(`) || l.startsWith(file));
    report.expect(errors.length === 0, `${name}:\n  ${errors.join("\n  ")}`);
  }
  const other = lines.filter((l) => !/^\S*object\d+\.ts\(/.test(l) && !/^\s/.test(l));
  report.expect(other.length === 0, `tsc: ${other.join("\n")}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
report.finish();
