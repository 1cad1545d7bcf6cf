import { Environment } from "../../stacks/schema";

/**
 * A synthetic environment of `count` services, shaped like a real one: ten services per
 * namespace, two weighted versions each (a canary), each service called by the previous one,
 * and every tenth service public with two path routes.
 */
export function syntheticEnvironment(count: number): Environment {
    const hostname = "shop.bench.example";
    const services: Environment["services"] = Array.from({ length: count }, (_, i) => ({
        name: `svc-${i}`,
        namespace: `team-${Math.floor(i / 10)}`,
        ports: [{ name: "http", port: 8080 }],
        versions: [
            { name: "stable", image: `registry.example.com/svc-${i}:1.0.0`, weight: 90 },
            { name: "canary", image: `registry.example.com/svc-${i}:1.1.0`, weight: 10 },
        ],
        callers: i > 0 ? [{ service: `svc-${i - 1}`, methods: ["GET", "POST"], paths: [`/api/${i}/*`] }] : [],
        ...(i % 10 === 0 ? { public: { hostname, routes: [{ matches: [{ path: { type: "PathPrefix" as const, value: `/svc-${i}` } }, { path: { type: "Exact" as const, value: `/svc-${i}/health` } }] }] } } : {}),
    }));
    return {
        calico: { install: false },
        istio: {},
        gateway: { listeners: [{ hostname, tls: { secretName: "bench-tls" } }] },
        services,
    };
}
