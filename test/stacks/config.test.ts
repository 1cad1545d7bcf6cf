import * as assert from "assert";
import { ConfigError, parseEnvironment } from "../../stacks/config";
import { editedConfig, stackConfig } from "../harness/stackConfig";

/** The message parseEnvironment throws for `config`; fails when it accepts it. */
function configError(config: Record<string, string>): string {
    try {
        parseEnvironment(config);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
        return error.message;
    }
    throw new Error("expected the configuration to be rejected");
}

describe("stack configuration", () => {
    it("accepts the dev and prod stacks", () => {
        assert.strictEqual(parseEnvironment(stackConfig("dev")).services.length, 4);
        assert.strictEqual(parseEnvironment(stackConfig("prod")).services.length, 3);
    });

    it("ignores other namespaces' keys, e.g. kubernetes:", () => {
        const env = parseEnvironment({ ...stackConfig("dev"), "kubernetes:context": "minikube" });
        assert.strictEqual(env.cluster, undefined);
    });

    it("rejects an unknown config key and lists the valid ones", () => {
        const config = stackConfig("dev");
        config["ztmesh:servics"] = config["ztmesh:services"];
        const message = configError(config);
        assert.match(message, /ztmesh:servics: unknown config key; valid keys are ztmesh:cluster, ztmesh:kubeconfig, ztmesh:charts, ztmesh:calico, ztmesh:istio, ztmesh:gateway, ztmesh:monitoring, ztmesh:baseline, ztmesh:services/);
    });

    it("rejects an unknown nested key with its full path and the keys valid there", () => {
        const message = configError(editedConfig("dev", "ztmesh:services", (services) => {
            services[2].callers[0].method = ["GET"];
            return services;
        }));
        assert.match(message, /ztmesh:services\[2\]\.callers\[0\]\.method: unknown key; valid keys here are service, ports, methods, paths/);
    });

    it("rejects a caller that is not a declared service, naming the declared ones", () => {
        const message = configError(editedConfig("dev", "ztmesh:services", (services) => {
            services[3].callers[0].service = "reviewz";
            return services;
        }));
        assert.match(message, /ztmesh:services\[3\]\.callers\[0\]\.service: "reviewz" is not a declared service; callers must name an entry of ztmesh:services \(declared: productpage, details, reviews, ratings\)/);
    });

    it("rejects a missing required key, a wrong type and a wrong enum value", () => {
        const config = editedConfig("dev", "ztmesh:services", (services) => {
            delete services[0].ports[0].port;
            services[1].versions[0].replicas = "two";
            return services;
        });
        config["ztmesh:istio"] = JSON.stringify({ ingressMode: "nginx" });
        const message = configError(config);
        assert.match(message, /ztmesh:services\[0\]\.ports\[0\]\.port: required, but missing; add it \(expected number\)/);
        assert.match(message, /ztmesh:services\[1\]\.versions\[0\]\.replicas: Invalid input: expected number, received string/);
        assert.match(message, /ztmesh:istio\.ingressMode: Invalid option: expected one of "gateway-api"\|"classic"/);
    });

    it("rejects a service declared twice, a self-caller, and a public service without a gateway", () => {
        const config = editedConfig("dev", "ztmesh:services", (services) => {
            services[3].name = "details";
            services[1].callers.push({ service: "details" });
            return services;
        });
        delete config["ztmesh:gateway"];
        const message = configError(config);
        assert.match(message, /ztmesh:services\[3\]\.name: "details" is already declared at ztmesh:services\[1\]/);
        assert.match(message, /ztmesh:services\[1\]\.callers\[1\]\.service: "details" lists itself as a caller/);
        assert.match(message, /ztmesh:services\[0\]\.public: the service is public but ztmesh:gateway is not set/);
    });

    it("requires ztmesh:calico.install to be stated: there is no safe default between installing and not", () => {
        const config = stackConfig("dev");
        delete config["ztmesh:calico"];
        assert.match(configError(config), /ztmesh:calico: required, but missing/);
    });
});
