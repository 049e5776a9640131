// Our own rules for the rendered manifests (docs/kubernetes.md), checked per variant:
//   - every container (init containers too) has CPU and memory requests and a memory limit,
//     and runs non-root, read-only root fs, no privilege escalation, all capabilities dropped,
//     seccomp RuntimeDefault (pod or container level);
//   - every long-running container has a readiness and a liveness probe; the proposer's are
//     gRPC probes on the --health_listen port for gryadka.v1.KV / gryadka.v1.KV.liveness;
//   - every Deployment/StatefulSet has a PodDisruptionBudget selecting its pods;
//   - every StatefulSet keeps its volumes (PVC retention Retain/Retain);
//   - the proposer: terminationGracePeriodSeconds > --drain_timeout_ms, --membership_file
//     and --redis_password_file lie in mounted ConfigMap/Secret volumes (no subPath), no
//     password anywhere in argv, TLS flags exactly where the variant needs them;
//   - Redis: AOF on with fsync always, noeviction, no RDB, users from the included file;
//   - the membership ConfigMap names exactly the StatefulSet's pods, majority quorums.
// Usage: node policy.mjs RENDERED_DIR   (exit 0 all hold, 1 a rule is broken, 64 usage)
import { loadRendered, Report, usage } from "./lib.mjs";

if (process.argv.length !== 3) usage("policy.mjs", "RENDERED_DIR");

// What each rendered variant (tests/k8s/render.sh) must be.
const VARIANTS = {
  dev: { acceptors: 3, proposersMin: 2, tls: false, mtls: false },
  "dev-monitoring": { acceptors: 3, proposersMin: 2, tls: false, mtls: false, monitor: true },
  production: { acceptors: 5, proposersMin: 3, tls: true, mtls: false },
  "production-all": { acceptors: 5, proposersMin: 3, tls: true, mtls: true, monitor: true },
};
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const report = new Report("policy");
const all = loadRendered(process.argv[2]);

// The flags of an args list as a Map name -> value ("" for a bare --flag).
function flagsOf(args) {
  const flags = new Map();
  for (const a of args ?? []) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) flags.set(m[1], m[2] ?? "");
  }
  return flags;
}

function labelsMatch(selector, labels) {
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
    Object.keys(selector?.matchLabels ?? {}).length > 0;
}

function checkContainer(where, c, pod, long) {
  const r = c.resources ?? {};
  report.expect(r.requests?.cpu && r.requests?.memory, `${where}: resources.requests cpu and memory`);
  report.expect(r.limits?.memory, `${where}: resources.limits.memory`);
  const s = c.securityContext ?? {};
  const ps = pod.securityContext ?? {};
  report.expect((s.runAsNonRoot ?? ps.runAsNonRoot) === true, `${where}: runAsNonRoot`);
  report.expect((s.runAsUser ?? ps.runAsUser ?? 0) !== 0, `${where}: runAsUser non-zero`);
  report.expect(s.readOnlyRootFilesystem === true, `${where}: readOnlyRootFilesystem`);
  report.expect(s.allowPrivilegeEscalation === false, `${where}: allowPrivilegeEscalation false`);
  report.expect(s.privileged !== true, `${where}: not privileged`);
  report.expect((s.capabilities?.drop ?? []).includes("ALL"), `${where}: capabilities drop ALL`);
  report.expect((s.capabilities?.add ?? []).length === 0, `${where}: no capabilities added`);
  report.expect((s.seccompProfile ?? ps.seccompProfile)?.type === "RuntimeDefault",
    `${where}: seccompProfile RuntimeDefault`);
  if (long) {
    report.expect(c.readinessProbe, `${where}: readinessProbe`);
    report.expect(c.livenessProbe, `${where}: livenessProbe`);
  }
}

// The volume (from pod.volumes) mounted at the directory holding `path`, without subPath.
function volumeHolding(pod, container, path) {
  const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
  if (!mount || mount.subPath) return undefined;
  return (pod.volumes ?? []).find((v) => v.name === mount.name);
}

function checkProposer(v, name, spec, pod, c, expect) {
  const flags = flagsOf(c.args);
  const healthPort = Number((flags.get("health_listen") ?? "").split(":").pop());
  report.expect(healthPort > 0, `${name}: --health_listen=HOST:PORT set`);
  for (const [probe, service] of [["readinessProbe", "gryadka.v1.KV"],
    ["livenessProbe", "gryadka.v1.KV.liveness"]]) {
    const p = c[probe]?.grpc;
    report.expect(p?.port === healthPort && p?.service === service,
      `${name}: ${probe} is grpc on port ${healthPort} (--health_listen) service ${service}`);
  }
  const drainMs = Number(flags.get("drain_timeout_ms") ?? 10000);
  report.expect((pod.terminationGracePeriodSeconds ?? 30) * 1000 > drainMs,
    `${name}: terminationGracePeriodSeconds > --drain_timeout_ms (${drainMs} ms)`);
  const membership = volumeHolding(pod, c, flags.get("membership_file") ?? "");
  report.expect(membership?.configMap?.name === "gryadka-membership",
    `${name}: --membership_file in the gryadka-membership ConfigMap volume (no subPath)`);
  const password = volumeHolding(pod, c, flags.get("redis_password_file") ?? "");
  report.expect(password?.secret?.secretName?.startsWith("gryadka-redis"),
    `${name}: --redis_password_file in the gryadka-redis Secret volume (no subPath)`);
  report.expect(flags.get("redis_user") === "gryadka", `${name}: --redis_user=gryadka`);
  report.expect(spec.replicas >= expect.proposersMin, `${name}: replicas >= ${expect.proposersMin}`);
  for (const f of ["tls_cert_file", "tls_key_file"]) {
    report.expect(flags.has(f) === expect.tls, `${name}: --${f} ${expect.tls ? "set" : "unset"} in ${v}`);
    if (flags.has(f)) {
      report.expect(volumeHolding(pod, c, flags.get(f))?.secret,
        `${name}: --${f} in a mounted Secret volume`);
    }
  }
  report.expect(flags.has("tls_client_ca_file") === expect.mtls,
    `${name}: --tls_client_ca_file ${expect.mtls ? "set" : "unset"} in ${v}`);
}

function checkRedis(name, spec, objects) {
  const config = objects.find((o) => o.obj.kind === "ConfigMap" &&
    o.obj.metadata.name.startsWith("gryadka-redis-config"))?.obj;
  const conf = config?.data?.["redis.conf"] ?? "";
  for (const line of ["appendonly yes", "appendfsync always", "maxmemory-policy noeviction",
    'save ""', "include /run/gryadka-redis/users.conf"]) {
    report.expect(conf.split("\n").includes(line), `${name}: redis.conf has "${line}"`);
  }
  report.expect(!/^\s*requirepass/m.test(conf), `${name}: no requirepass in redis.conf (ConfigMap)`);
  const pod = spec.template.spec;
  const zones = (pod.topologySpreadConstraints ?? [])
    .some((t) => t.topologyKey === "topology.kubernetes.io/zone");
  report.expect(zones, `${name}: topology spread over zones`);
  report.expect(pod.affinity?.podAntiAffinity, `${name}: pod anti-affinity`);
}

function checkMembership(v, objects, acceptors) {
  const cm = objects.find((o) => o.obj.kind === "ConfigMap" &&
    o.obj.metadata.name === "gryadka-membership")?.obj;
  let m;
  try {
    m = JSON.parse(cm?.data?.["membership.json"] ?? "");
  } catch (e) {
    report.expect(false, `${v}: gryadka-membership membership.json is JSON: ${e.message}`);
    return;
  }
  const pods = Array.from({ length: acceptors }, (_, i) => `gryadka-redis-${i}.gryadka-redis:6379`);
  for (const set of ["prepare", "accept"]) {
    report.expect(JSON.stringify(m[set]?.acceptors) === JSON.stringify(pods) &&
      m[set]?.quorum === Math.floor(acceptors / 2) + 1,
    `${v}: membership ${set} = majority of the ${acceptors} StatefulSet pods`);
  }
}

function checkSecretsNotInArgv(v, objects) {
  const secrets = objects.filter((o) => o.obj.kind === "Secret")
    .flatMap((o) => Object.values(o.obj.data ?? {}).map((b) => Buffer.from(b, "base64")
      .toString().trim()));
  for (const { obj, name } of objects.filter((o) => WORKLOADS.has(o.obj.kind))) {
    const pod = obj.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const argv = [...(c.command ?? []), ...(c.args ?? [])].join(" ");
      report.expect(!secrets.some((s) => s && argv.includes(s)) && !/requirepass|--pass/.test(argv),
        `${name} ${c.name}: no password in command/args`);
      report.expect((c.env ?? []).every((e) => e.value === undefined || !/PASS|AUTH/.test(e.name)),
        `${name} ${c.name}: password env vars come from a Secret`);
    }
  }
}

for (const [v, expect] of Object.entries(VARIANTS)) {
  const objects = all.filter((o) => o.variant === v);
  if (!report.expect(objects.length > 0, `${v}: rendered (tests/k8s/render.sh)`)) continue;
  report.expect(objects.every((o) => o.obj.kind === "Namespace" || o.obj.metadata.namespace === "gryadka"),
    `${v}: every object in namespace gryadka`);
  report.expect(objects.some((o) => o.obj.kind === "ServiceMonitor") === Boolean(expect.monitor),
    `${v}: ServiceMonitor ${expect.monitor ? "present" : "absent"}`);
  const pdbs = objects.filter((o) => o.obj.kind === "PodDisruptionBudget").map((o) => o.obj);
  for (const { obj, name } of objects.filter((o) => WORKLOADS.has(o.obj.kind))) {
    const spec = obj.spec;
    const pod = spec.template.spec;
    const labels = spec.template.metadata.labels;
    report.expect(pdbs.some((p) => labelsMatch(p.spec.selector, labels)), `${name}: has a PodDisruptionBudget`);
    report.expect(pod.automountServiceAccountToken === false, `${name}: automountServiceAccountToken false`);
    (pod.initContainers ?? []).forEach((c) => checkContainer(`${name} init ${c.name}`, c, pod, false));
    pod.containers.forEach((c) => checkContainer(`${name} ${c.name}`, c, pod, true));
    if (obj.kind === "StatefulSet") {
      const retention = spec.persistentVolumeClaimRetentionPolicy ?? {};
      report.expect(retention.whenDeleted === "Retain" && retention.whenScaled === "Retain",
        `${name}: PVCs retained (persistentVolumeClaimRetentionPolicy Retain/Retain)`);
    }
    if (obj.metadata.name === "gryadka-proposer") {
      checkProposer(v, name, spec, pod, pod.containers.find((c) => c.name === "proposer") ?? {}, expect);
    }
    if (obj.metadata.name === "gryadka-redis") {
      report.expect(spec.replicas === expect.acceptors, `${name}: ${expect.acceptors} acceptors`);
      checkRedis(name, spec, objects);
    }
  }
  for (const p of pdbs) {
    report.expect(p.spec.maxUnavailable === 1, `${v}: PodDisruptionBudget/${p.metadata.name} maxUnavailable 1`);
  }
  for (const want of ["Deployment/gryadka-proposer", "StatefulSet/gryadka-redis", "Service/gryadka",
    "Service/gryadka-proposers", "Service/gryadka-redis", "HorizontalPodAutoscaler/gryadka-proposer",
    "NetworkPolicy/gryadka-redis", "NetworkPolicy/gryadka-proposer", "ConfigMap/gryadka-membership"]) {
    report.expect(objects.some((o) => `${o.obj.kind}/${o.obj.metadata.name}` === want), `${v}: has ${want}`);
  }
  const hpa = objects.find((o) => o.obj.kind === "HorizontalPodAutoscaler")?.obj;
  report.expect((hpa?.spec?.minReplicas ?? 0) >= expect.proposersMin,
    `${v}: HPA minReplicas >= ${expect.proposersMin}`);
  checkMembership(v, objects, expect.acceptors);
  checkSecretsNotInArgv(v, objects);
}
report.finish();
