// Schema-aware lint of Kubernetes manifests, offline: every object is validated against the Kubernetes OpenAPI schema
// of its apiVersion/kind as bundled (compiled ajv validators) in the npm package kubernetes-models, then checked against
// the deployment rules of this project (probes, non-root, read-only root, PDBs, references between objects).
//   node lint.mjs <dir-or-file>...        exit 0: all valid; exit 1: problems listed on stderr
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const problems = [];
const objects = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

function files(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f));
  }
  return [path];
}

// 1. YAML: every document parses without errors or warnings (duplicate keys are errors).
for (const file of process.argv.slice(2).flatMap(files)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true })) {
    for (const e of [...doc.errors, ...doc.warnings]) problem(file, `YAML: ${e.message}`);
    const value = doc.toJS();
    if (value != null) objects.push({ file, value });
  }
}

// 2. Schema: the model class of apiVersion/kind validates the object (types, required fields, enums, formats).
async function modelFor(apiVersion, kind) {
  try {
    // "v1/Service", "apps/v1/Deployment", "policy/v1/PodDisruptionBudget", …
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind];
  } catch {
    return null;
  }
}

const where = (o) => `${o.file} ${o.value?.kind ?? "?"}/${o.value?.metadata?.name ?? "?"}`;
for (const o of objects) {
  const { apiVersion, kind } = o.value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    problem(where(o), "apiVersion and kind are required");
    continue;
  }
  const Model = await modelFor(apiVersion, kind);
  if (!Model) {
    problem(where(o), `unknown apiVersion/kind ${apiVersion}/${kind}`);
    continue;
  }
  try {
    new Model(o.value).validate();
  } catch (e) {
    problem(where(o), `schema: ${e.message}`);
  }
}

// 3. Project rules.
const byKind = (kind) => objects.filter((o) => o.value.kind === kind);
const defined = new Set(objects.map((o) => `${o.value.kind}/${o.value.metadata?.name}`));
const matches = (selector, labels) =>
  selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const workloads = ["Deployment", "StatefulSet", "Job"].flatMap(byKind);

for (const o of objects) {
  if (o.value.kind !== "Namespace" && o.value.metadata?.namespace !== "privatesigstore") {
    problem(where(o), "metadata.namespace must be privatesigstore");
  }
}

for (const o of workloads) {
  const pod = o.value.spec?.template?.spec ?? {};
  const volumes = new Set([...(pod.volumes ?? []), ...(o.value.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata ?? {})].map((v) => v.name));
  if (pod.securityContext?.runAsNonRoot !== true) problem(where(o), "pod securityContext.runAsNonRoot must be true");
  if (pod.automountServiceAccountToken !== false) problem(where(o), "automountServiceAccountToken must be false (no API access needed)");
  for (const c of pod.containers ?? []) {
    const at = `${where(o)} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) problem(at, "securityContext.allowPrivilegeEscalation must be false");
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(at, "securityContext.capabilities.drop must include ALL");
    if (!c.resources?.limits?.memory) problem(at, "resources.limits.memory is required");
    const ours = String(c.image ?? "").startsWith("privatesigstore/");
    if (ours && sc.readOnlyRootFilesystem !== true) problem(at, "our images run with readOnlyRootFilesystem: true");
    if (o.value.kind !== "Job") {
      if (!c.readinessProbe) problem(at, "readinessProbe is required");
      if (!c.livenessProbe) problem(at, "livenessProbe is required");
      if (ours && c.readinessProbe?.httpGet?.path !== "/readyz") problem(at, "readinessProbe must GET /readyz");
      if (ours && c.livenessProbe?.httpGet?.path !== "/healthz") problem(at, "livenessProbe must GET /healthz");
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        const port = probe?.httpGet?.port;
        if (typeof port === "string" && !ports.has(port)) problem(at, `probe port ${port} is not a named container port`);
      }
    }
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problem(at, `volumeMount ${m.name} has no volume`);
    for (const ref of c.envFrom ?? []) {
      if (ref.configMapRef && !defined.has(`ConfigMap/${ref.configMapRef.name}`)) problem(at, `ConfigMap ${ref.configMapRef.name} is not defined`);
      if (ref.secretRef && !defined.has(`Secret/${ref.secretRef.name}`)) problem(at, `Secret ${ref.secretRef.name} is not defined`);
    }
  }
  for (const v of pod.volumes ?? []) {
    if (v.configMap && !defined.has(`ConfigMap/${v.configMap.name}`)) problem(where(o), `volume ${v.name}: ConfigMap ${v.configMap.name} is not defined`);
    if (v.secret && !defined.has(`Secret/${v.secret.secretName}`)) problem(where(o), `volume ${v.name}: Secret ${v.secret.secretName} is not defined`);
    if (v.persistentVolumeClaim && !defined.has(`PersistentVolumeClaim/${v.persistentVolumeClaim.claimName}`)) {
      problem(where(o), `volume ${v.name}: PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} is not defined`);
    }
  }
  const labels = o.value.spec?.template?.metadata?.labels;
  if (o.value.kind !== "Job" && !matches(o.value.spec?.selector?.matchLabels, labels)) problem(where(o), "spec.selector.matchLabels must match the pod labels");
  if (o.value.kind === "Deployment" && !byKind("PodDisruptionBudget").some((p) => matches(p.value.spec?.selector?.matchLabels, labels))) {
    problem(where(o), "no PodDisruptionBudget selects its pods");
  }
}

for (const s of byKind("Service")) {
  const target = workloads.find((w) => matches(s.value.spec?.selector, w.value.spec?.template?.metadata?.labels));
  if (!target) {
    problem(where(s), "its selector matches no workload's pods");
    continue;
  }
  const named = new Set((target.value.spec.template.spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name)));
  for (const p of s.value.spec?.ports ?? []) {
    if (typeof p.targetPort === "string" && !named.has(p.targetPort)) problem(where(s), `targetPort ${p.targetPort} is not a named port of ${where(target)}`);
  }
}

for (const p of byKind("PodDisruptionBudget")) {
  if (!workloads.some((w) => matches(p.value.spec?.selector?.matchLabels, w.value.spec?.template?.metadata?.labels))) {
    problem(where(p), "its selector matches no workload's pods");
  }
}

if (objects.length === 0) problem("input", "no Kubernetes objects found");
for (const p of problems) console.error(p);
console.log(`${objects.length} objects checked, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
