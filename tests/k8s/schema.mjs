// Offline schema validation of every rendered object with the kubernetes-models classes
// (OpenAPI schemas of the Kubernetes API; prometheus-operator's for the ServiceMonitor): wrong
// types, missing required fields, malformed quantities. Unknown fields: see types.mjs.
// Usage: node schema.mjs RENDERED_DIR   (exit 0 valid, 1 invalid, 64 usage)
import { loadRendered, Report, usage } from "./lib.mjs";

if (process.argv.length !== 3) usage("schema.mjs", "RENDERED_DIR");

// The kubernetes-models module of an apiVersion ("v1", "apps/v1", "monitoring.coreos.com/v1").
function modulePath(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  }
  return `kubernetes-models/${apiVersion}`;
}

const report = new Report("schema");
for (const { obj, name } of loadRendered(process.argv[2])) {
  let cls;
  try {
    cls = (await import(modulePath(obj.apiVersion)))[obj.kind];
  } catch (e) {
    cls = undefined;
  }
  if (!report.expect(typeof cls === "function", `${name}: no schema for ${obj.apiVersion} ${obj.kind}`)) {
    continue;
  }
  try {
    new cls(obj).validate();
    report.expect(true, "");
  } catch (e) {
    report.expect(false, `${name}: ${e.message}`);
  }
}
report.finish();
