import * as fs from "fs";
import * as path from "path";
import * as assert from "assert";
import * as crypto from "crypto";
import { MeshGateway, listenerName } from "../../components";
import { retainCrds } from "../../components/charts";
import { hostnameMatches } from "../../components/gateway/meshGateway";
import { issueSelfSignedCertificate } from "../../components/gateway/selfSignedCertificate";
import { construct } from "../../stacks/offline";
import { errorOf } from "../harness/construct";
import { installMocks } from "../../stacks/offline";

describe("MeshGateway", () => {
    before(installMocks);

    it("creates a Gateway of class istio with one HTTPS listener per hostname, terminating TLS", async () => {
        const log = await construct(() => new MeshGateway("edge", {
            listeners: [
                { hostname: "shop.example.com", tls: { secretName: "shop-tls" } },
                { hostname: "*.apps.example.com", tls: { secretName: "apps-tls", secretNamespace: "certs" } },
            ],
        }));
        const gateway = log.object("Gateway", "mesh-gateway", "istio-ingress");
        assert.strictEqual(gateway.apiVersion, "gateway.networking.k8s.io/v1");
        assert.strictEqual(gateway.spec.gatewayClassName, "istio");
        const https = gateway.spec.listeners.filter((l: any) => l.protocol === "HTTPS");
        assert.deepStrictEqual(https.map((l: any) => [l.name, l.hostname, l.port, l.tls]), [
            ["https-shop-example-com", "shop.example.com", 443, { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "shop-tls" }] }],
            ["https-wildcard-apps-example-com", "*.apps.example.com", 443, { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "apps-tls", namespace: "certs" }] }],
        ]);
        assert.deepStrictEqual(https[0].allowedRoutes, {
            namespaces: { from: "Selector", selector: { matchLabels: { "ztmesh.io/gateway-access": "mesh-gateway" } } },
            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        });
        const grant = log.object("ReferenceGrant", "mesh-gateway-https-wildcard-apps-example-com", "certs");
        assert.deepStrictEqual(grant.spec, {
            from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "istio-ingress" }],
            to: [{ group: "", kind: "Secret", name: "apps-tls" }],
        });
        assert.ok(!log.ofKind("GatewayClass").length, "istiod owns the GatewayClass istio");
    });

    it("has no plain-HTTP route except the redirect to HTTPS", async () => {
        const log = await construct(() => new MeshGateway("edge", { listeners: [{ hostname: "shop.example.com", tls: { secretName: "shop-tls" } }] }));
        const gateway = log.object("Gateway", "mesh-gateway", "istio-ingress");
        const http = gateway.spec.listeners.filter((l: any) => l.protocol === "HTTP");
        assert.deepStrictEqual(http, [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } }]);
        const routesOnHttp = log.ofKind("HTTPRoute").filter((r) => r.inputs.spec.parentRefs.some((p: any) => p.sectionName === "http"));
        assert.deepStrictEqual(routesOnHttp.map((r) => r.inputs.spec.rules), [[{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }]]);
        assert.strictEqual(routesOnHttp[0].inputs.metadata.namespace, "istio-ingress");
    });

    it("installs the Gateway API standard CRDs of the pinned release (retained), or from an air-gapped source", async () => {
        let log = await construct(() => new MeshGateway("edge", { listeners: [{ hostname: "a.example.com", tls: { secretName: "a" } }] }));
        const crds = log.named("ConfigFile", "edge-gateway-api-crds");
        assert.strictEqual(crds.inputs.file, "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml");
        assert.deepStrictEqual(crds.transforms, [retainCrds]);
        assert.ok(log.dependsOn(log.named("Gateway", "edge-gateway"), crds));
        log = await construct(() => new MeshGateway("edge", { listeners: [{ hostname: "a.example.com", tls: { secretName: "a" } }], crds: { source: "/mirror/gateway-api.yaml" } }));
        assert.strictEqual(log.named("ConfigFile", "edge-gateway-api-crds").inputs.file, "/mirror/gateway-api.yaml");
    });

    it("with the manifest's content, installs each CRD and admission policy as a typed resource (renders without a cluster), retained", async () => {
        const manifest = fs.readFileSync(path.resolve(__dirname, "../../../shared/crds/gateway-api-v1.5.1-standard.yaml"), "utf8");
        const log = await construct(() => new MeshGateway("edge", { listeners: [{ hostname: "a.example.com", tls: { secretName: "a" } }], crds: { source: "/mirror/gateway-api.yaml", manifest } }));
        assert.deepStrictEqual(log.ofKind("ConfigFile"), []);
        const crds = log.ofKind("CustomResourceDefinition");
        assert.deepStrictEqual(crds.map((r) => r.inputs.metadata.name).sort(), [
            "backendtlspolicies.gateway.networking.k8s.io", "gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io", "grpcroutes.gateway.networking.k8s.io",
            "httproutes.gateway.networking.k8s.io", "listenersets.gateway.networking.k8s.io", "referencegrants.gateway.networking.k8s.io", "tlsroutes.gateway.networking.k8s.io",
        ]);
        const policies = [...log.ofKind("ValidatingAdmissionPolicy"), ...log.ofKind("ValidatingAdmissionPolicyBinding")];
        assert.deepStrictEqual(policies.map((r) => r.inputs.metadata.name), ["safe-upgrades.gateway.networking.k8s.io", "safe-upgrades.gateway.networking.k8s.io"]);
        for (const resource of [...crds, ...policies]) {
            assert.ok(resource.retainOnDelete, `${resource.name} is retained`);
            assert.ok(log.dependsOn(log.named("Gateway", "edge-gateway"), resource), `the Gateway waits for ${resource.name}`);
        }
    });

    it("refuses a CRD manifest that holds anything but CRDs and admission policies, naming the object and the source", () => {
        const manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: surprise\n";
        const message = errorOf(() => new MeshGateway("edge", { listeners: [{ hostname: "a.example.com", tls: { secretName: "a" } }], crds: { source: "/mirror/gateway-api.yaml", manifest } }));
        assert.match(message, /the Gateway API CRD manifest \/mirror\/gateway-api\.yaml holds a v1 ConfigMap "surprise", which is not a CRD or admission policy; point ztmesh:gateway\.crdsSource at the standard-install\.yaml of a Gateway API release/);
    });

    it("admits public traffic only to the gateway pods, and default-denies the rest of its namespace", async () => {
        const log = await construct(() => new MeshGateway("edge", { listeners: [{ hostname: "a.example.com", tls: { secretName: "a" } }] }));
        const publicIngress = log.object("NetworkPolicy", "mesh-gateway-public-ingress", "istio-ingress").spec;
        assert.deepStrictEqual(publicIngress.podSelector, { matchLabels: { "gateway.networking.k8s.io/gateway-name": "mesh-gateway" } });
        assert.deepStrictEqual(publicIngress.ingress, [{ ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 443 }, { protocol: "TCP", port: 15021 }] }]);
        assert.deepStrictEqual(log.object("NetworkPolicy", "default-deny", "istio-ingress").spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.strictEqual(log.ofKind("AuthorizationPolicy").length, 0, "no allow-nothing where the gateway enforces policy");
    });

    it("makes a self-signed certificate for dev listeners and stores its key as a secret", async () => {
        const log = await construct(() => new MeshGateway("edge", { listeners: [{ hostname: "bookinfo.local", tls: { selfSigned: true } }] }));
        const certificate = log.named("SelfSignedCertificate", "edge-https-bookinfo-local-cert");
        assert.deepStrictEqual(certificate.inputs.hostnames, ["bookinfo.local"]);
        const secret = log.object("Secret", "mesh-gateway-https-bookinfo-local", "istio-ingress");
        assert.strictEqual(secret.type, "kubernetes.io/tls");
        const listener = log.object("Gateway", "mesh-gateway", "istio-ingress").spec.listeners[1];
        assert.deepStrictEqual(listener.tls.certificateRefs, [{ group: "", kind: "Secret", name: "mesh-gateway-https-bookinfo-local" }]);
    });

    it("issues a certificate valid for its hostnames whose key matches", () => {
        const issued = issueSelfSignedCertificate({ hostnames: ["bookinfo.local", "www.bookinfo.local"], validityDays: 30 });
        const certificate = new crypto.X509Certificate(issued.certificatePem);
        assert.strictEqual(certificate.subjectAltName, "DNS:bookinfo.local, DNS:www.bookinfo.local");
        assert.ok(certificate.checkPrivateKey(crypto.createPrivateKey(issued.privateKeyPem)));
        assert.ok(certificate.verify(certificate.publicKey), "self-signed");
        const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
        assert.ok(Math.abs(days - 30) < 1, `valid for ${days} days`);
    });

    it("in classic mode creates an Istio Gateway with HTTPS servers and an HTTP server that only redirects", async () => {
        let gateway: MeshGateway | undefined;
        const log = await construct(() => {
            gateway = new MeshGateway("edge", { mode: "classic", createNamespace: false, listeners: [{ hostname: "shop.example.com", tls: { secretName: "shop-tls" } }] });
        });
        const spec = log.object("Gateway", "mesh-gateway", "istio-ingress").spec;
        assert.deepStrictEqual(spec.selector, { istio: "ingressgateway" });
        assert.deepStrictEqual(spec.servers, [
            { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["shop.example.com"], tls: { httpsRedirect: true } },
            { port: { number: 443, name: "https-shop-example-com", protocol: "HTTPS" }, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" } },
        ]);
        assert.strictEqual(log.ofKind("ConfigFile").length, 0, "classic mode needs no Gateway API CRDs");
        assert.strictEqual(log.ofKind("Namespace").length, 0);
        assert.deepStrictEqual(gateway!.podPorts, [8080, 8443]);
    });

    it("names listeners and matches wildcard hostnames as Gateway API does", () => {
        assert.strictEqual(listenerName("*.example.com"), "https-wildcard-example-com");
        assert.ok(hostnameMatches("*.example.com", "shop.example.com"));
        assert.ok(!hostnameMatches("*.example.com", "example.com"));
        assert.ok(!hostnameMatches("shop.example.com", "cart.example.com"));
    });

    it("rejects a public hostname without TLS, and a duplicate hostname", () => {
        const message = errorOf(() => new MeshGateway("edge-bad", {
            listeners: [{ hostname: "shop.example.com" }, { hostname: "cart.example.com", tls: { secretName: "c" } }, { hostname: "cart.example.com", tls: { secretName: "c" } }],
        }));
        assert.match(message, /MeshGateway "edge-bad" has invalid arguments/);
        assert.match(message, /listeners\[0\]\.tls: public hostname "shop\.example\.com" has no TLS; every public hostname is HTTPS: set tls\.selfSigned: true \(dev\) or tls\.secretName/);
        assert.match(message, /listeners\[2\]\.hostname: "cart\.example\.com" is already used by listeners\[1\]/);
    });
});
