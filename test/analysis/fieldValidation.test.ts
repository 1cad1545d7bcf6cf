/**
 * `--field-validation strict|warn|ignore`: what becomes of fields the schemas do not know, as
 * kubectl's `--validate` asks the API server. strict refuses the object; warn and ignore analyse
 * it as the API server stores it, without the field (warn: one warning line each).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../analysis/cli";

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { code, stdout, stderr };
}

const namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";

/**
 * A third-party manifest's Pod whose port repeats its number under a lower-case `containerport`
 * key, and a policy with a misspelt `polictTypes` under its spec.
 */
const thirdParty = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: 8080
      containerport: 8080
      name: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  polictTypes: [Ingress, Egress]
  ingress: [{ports: [{port: 8080}]}]
`;

/** The same objects as the API server stores them: the unknown fields dropped. */
const asStored = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: 8080
      name: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080}]}]
`;

describe("ztmesh reach --field-validation", () => {
    let folder: string;
    let stored: string;
    let manifest: string;

    before(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "ztmesh-fields-"));
        fs.mkdirSync(path.join(folder, "given"));
        fs.mkdirSync(path.join(folder, "stored"));
        manifest = path.join(folder, "given", "app.yaml");
        fs.writeFileSync(manifest, `${namespace}---\n${thirdParty}`);
        stored = path.join(folder, "stored", "app.yaml");
        fs.writeFileSync(stored, `${namespace}---\n${asStored}`);
    });

    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("strict (the default, as kubectl's) refuses the first unknown field, naming the file, the object and the field", async () => {
        for (const args of [[], ["--field-validation", "strict"]]) {
            const { code, stdout, stderr } = await run(["reach", manifest, ...args]);
            assert.strictEqual(code, 2);
            assert.strictEqual(stdout, "");
            assert.strictEqual(stderr, `ztmesh reach: ${manifest}: Pod shop/web: spec.containers[0].ports[0].containerport: unknown field (the schema has no such field; check its spelling and indentation)\n`);
        }
    });

    it("warn drops each unknown field with one warning line and analyses the objects as stored", async () => {
        const expected = await run(["reach", stored]);
        assert.strictEqual(expected.code, 0, expected.stderr);
        const { code, stdout, stderr } = await run(["reach", manifest, "--field-validation", "warn"]);
        assert.strictEqual(code, 0, stderr);
        assert.strictEqual(stderr, [
            `ztmesh reach: warning: ${manifest}: Pod shop/web: spec.containers[0].ports[0].containerport: unknown field, dropped as the API server stores the object (--field-validation warn)`,
            `ztmesh reach: warning: ${manifest}: NetworkPolicy shop/web-in: spec.polictTypes: unknown field, dropped as the API server stores the object (--field-validation warn)`,
            "",
        ].join("\n"));
        assert.strictEqual(stdout, expected.stdout);
        // Without policyTypes, the policy isolates web for ingress only: its egress stays open.
        assert.ok(stdout.includes("shop/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections"), stdout);
        assert.ok(stdout.includes("0.0.0.0-255.255.255.255[External] => shop/web[Pod] : TCP 8080"), stdout);
    });

    it("ignore drops them silently", async () => {
        const { code, stdout, stderr } = await run(["list", "--dirpath", manifest, "--field-validation", "ignore"]);
        assert.strictEqual(code, 0, stderr);
        assert.strictEqual(stderr, "");
        assert.strictEqual(stdout, (await run(["reach", stored])).stdout);
    });

    it("an object that is invalid once pruned is refused in every mode (the API server validates what it stores)", async () => {
        // A NetworkPolicy peer whose only field is misspelt is an empty peer once pruned, which the API server refuses.
        const peer = path.join(folder, "peer.yaml");
        fs.writeFileSync(peer, `${namespace}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-web, namespace: shop}\nspec:\n  podSelector: {}\n  ingress: [{from: [{podselector: {matchLabels: {app: web}}}]}]\n`);
        try {
            for (const mode of ["warn", "ignore"]) {
                const { code, stderr } = await run(["reach", peer, "--field-validation", mode]);
                assert.strictEqual(code, 2, mode);
                assert.match(stderr, /NetworkPolicy shop\/from-web: spec\.ingress\[0\]\.from\[0\]: must give a podSelector, a namespaceSelector or an ipBlock\n$/, mode);
            }
        } finally {
            fs.rmSync(peer);
        }
    });

    it("a port written only as `containerport` has no containerPort once pruned, which the API server requires", async () => {
        const lone = path.join(folder, "lone.yaml");
        fs.writeFileSync(lone, `${namespace}---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: web, image: nginx, ports: [{containerport: 8080}]}]}\n`);
        try {
            const { code, stderr } = await run(["reach", lone, "--field-validation", "warn"]);
            assert.strictEqual(code, 2);
            assert.strictEqual(stderr, [
                `ztmesh reach: warning: ${lone}: Pod shop/web: spec.containers[0].ports[0].containerport: unknown field, dropped as the API server stores the object (--field-validation warn)`,
                `ztmesh reach: ${lone}: Pod shop/web: spec.containers[0].ports[0].containerPort: required field is missing`,
                "",
            ].join("\n"));
        } finally {
            fs.rmSync(lone);
        }
    });

    it("keeps refusing what is no unknown field: a value of the wrong type stays an error under warn", async () => {
        const typed = path.join(folder, "typed.yaml");
        fs.writeFileSync(typed, `${namespace}---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: web, image: nginx, extra: 1, ports: [{containerPort: http}]}]}\n`);
        try {
            const { code, stderr } = await run(["reach", typed, "--field-validation", "warn"]);
            assert.strictEqual(code, 2);
            assert.match(stderr, /^ztmesh reach: warning: .*typed\.yaml: Pod shop\/web: spec\.containers\[0\]\.extra: unknown field, dropped/);
            assert.match(stderr, /\nztmesh reach: .*typed\.yaml: Pod shop\/web: spec\.containers\[0\]\.ports\[0\]\.containerPort: must be an integer, found a string "http"\n$/);
        } finally {
            fs.rmSync(typed);
        }
    });

    it("drops unknown fields of custom resources as the API server prunes them (Istio AuthorizationPolicy)", async () => {
        const policy = path.join(folder, "istio.yaml");
        fs.writeFileSync(policy, `${namespace}---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all, namespace: shop}\nspec: {actoin: DENY}\n`);
        try {
            const strict = await run(["reach", policy]);
            assert.strictEqual(strict.code, 2);
            assert.match(strict.stderr, /AuthorizationPolicy shop\/deny-all: spec\.actoin: unknown field/);
            const warned = await run(["reach", policy, "--field-validation", "warn"]);
            assert.strictEqual(warned.code, 0, warned.stderr);
            assert.match(warned.stderr, /^ztmesh reach: warning: .*istio\.yaml: AuthorizationPolicy shop\/deny-all: spec\.actoin: unknown field, dropped/);
        } finally {
            fs.rmSync(policy);
        }
    });
});
