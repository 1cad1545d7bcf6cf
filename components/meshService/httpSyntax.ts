/**
 * The syntax of the HTTP values a MeshService writes into Istio and Gateway API objects
 * (durations, header names and values, paths, hostnames, retry conditions), checked as the API
 * server's CRD schemas and istiod check them, so that a mistake is reported at preview with its
 * field instead of being refused at deploy time or, worse, read as something wider.
 * Hand-written: these are a few patterns and ranges from those schemas, for which no
 * maintained JavaScript library exists.
 */
import { Problems } from "../problems";

const goDurationUnits: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const goDuration = /^(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const goDurationTerm = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Nanoseconds of a Go duration string (`10s`, `1m30s`, `1.5s`, `500ms`), or undefined when it is not one. */
function goDurationNanos(value: string): number | undefined {
    if (typeof value !== "string" || !goDuration.test(value)) {
        return undefined;
    }
    let nanos = 0;
    for (const [, amount, unit] of value.matchAll(goDurationTerm)) {
        nanos += Number(amount) * goDurationUnits[unit];
    }
    return nanos;
}

/**
 * Checks an Istio duration (VirtualService `timeout`, retry `perTryTimeout`, DestinationRule
 * `connectTimeout`, `interval`, `baseEjectionTime`): the CRD schema parses it as a Go duration
 * and requires at least 1ms, and istiod also refuses what is not whole milliseconds.
 */
export function checkIstioDuration(problems: Problems, field: string, value: string): void {
    const nanos = goDurationNanos(value);
    if (nanos === undefined) {
        problems.add(field, `${JSON.stringify(value)} is not a duration`, "write a duration such as \"500ms\", \"10s\", \"1m30s\" or \"1h\"");
    } else if (nanos < 1e6) {
        problems.add(field, `${JSON.stringify(value)} is shorter than 1ms`, "use a duration of at least 1ms (Istio refuses shorter ones)");
    } else if (Math.abs(nanos / 1e6 - Math.round(nanos / 1e6)) > 1e-6) {
        problems.add(field, `${JSON.stringify(value)} is not a whole number of milliseconds`, "round the duration to milliseconds (Istio refuses finer ones)");
    }
}

/** Gateway API's Duration (GEP-2257), e.g. an HTTPRoute's `timeouts.request`: up to four whole `h`, `m`, `s`, `ms` parts. */
const gatewayApiDuration = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

export function checkGatewayApiDuration(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string" || !gatewayApiDuration.test(value)) {
        problems.add(field, `${JSON.stringify(value)} is not a Gateway API duration, which an HTTPRoute needs in ambient mode`, "write whole numbers with h, m, s or ms, at most four parts, e.g. \"10s\", \"1m30s\", \"500ms\"");
    }
}

/** Gateway API's HTTPHeaderName (RFC 7230 token characters), which is also what istiod accepts in VirtualService header matches. */
const headerName = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

export function checkHeaderName(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string" || !headerName.test(value) || value.length > 256) {
        problems.add(field, `${JSON.stringify(value)} is not an HTTP header name`, "use at most 256 letters, digits and !#$%&'*+-.^_`|~ (e.g. \"x-canary\"), no spaces, ':' or line breaks");
    }
}

/** Control characters istiod refuses in header values (tab is allowed); CR and LF would also split the header. */
const headerValueControl = /[\u0000-\u0008\u000A-\u001F\u007F]/;

/** Checks a header match value: Gateway API requires 1–4096 characters; no control character (CR, LF, ...). */
export function checkHeaderValue(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string" || value.length === 0 || value.length > 4096) {
        problems.add(field, `${JSON.stringify(value)} is not a header value to match`, "give 1 to 4096 characters (an empty value would match differently in Istio and Gateway API)");
    } else if (headerValueControl.test(value)) {
        problems.add(field, `${JSON.stringify(value)} contains a control character (e.g. a line break)`, "remove line breaks and other control characters from the value");
    }
}

/**
 * Checks a regular expression the proxies will evaluate. Envoy uses RE2, which JavaScript cannot
 * run; what JavaScript refuses is refused here, and RE2-only restrictions (no look-around, no
 * back-references) are left to istiod's validation.
 */
export function checkRegularExpression(problems: Problems, field: string, value: string): void {
    try {
        new RegExp(value);
    } catch (error) {
        problems.add(field, `${JSON.stringify(value)} is not a regular expression (${(error as Error).message})`, "write an RE2 regular expression");
        return;
    }
    if (value.length === 0 || value.length > 1024) {
        problems.add(field, "a regular expression must have 1 to 1024 characters", "write a non-empty RE2 regular expression of at most 1024 characters");
    }
}

const pathCharacters = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;

/**
 * Checks an absolute request path as Gateway API's HTTPPathMatch (Exact, PathPrefix) and
 * ReplacePrefixMatch rules do: starts with '/', at most 1024 URL path characters, no `//`,
 * dot segments, encoded '/' or '#'. With `wildcardFree`, also no '*': the path becomes an
 * AuthorizationPolicy path, where '*' is a wildcard that would admit more than the route matches.
 */
export function checkAbsolutePath(problems: Problems, field: string, value: string, wildcardFree = false): void {
    const problem = typeof value !== "string" || !value.startsWith("/")
        ? "does not start with \"/\""
        : value.length > 1024
            ? "is longer than 1024 characters"
            : !pathCharacters.test(value)
                ? "contains a character that is not allowed in a URL path (escape it as %XX)"
                : /\/\/|\/\.\.?(\/|$)|%2f|#/i.test(value)
                    ? "contains \"//\", a \".\" or \"..\" segment, an encoded \"/\" or \"#\""
                    : wildcardFree && value.includes("*")
                        ? "contains \"*\", which the gateway's AuthorizationPolicy would read as a wildcard"
                        : undefined;
    if (problem) {
        problems.add(field, `${JSON.stringify(value)} ${problem}`, "write a plain absolute path such as \"/api/v1\"");
    }
}

const preciseHostname = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks a hostname a rewrite sets (Gateway API PreciseHostname): a lower-case DNS name, no wildcard, no port. */
export function checkRewriteHostname(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string" || !preciseHostname.test(value) || value.length > 253) {
        problems.add(field, `${JSON.stringify(value)} is not a hostname`, "use a lower-case DNS name such as \"reviews.shop.svc.cluster.local\", without wildcard or port");
    }
}

/** Envoy's retry conditions istiod accepts in `retryOn`, besides HTTP status codes. */
const retryConditions = new Set([
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
    "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
]);

/** The HTTP status codes Go's net/http names, which istiod accepts as retry conditions. */
const namedStatusCodes = new Set([
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
    400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
    425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** Checks `retryOn`: comma-separated Envoy retry conditions or HTTP status codes, as istiod checks it. */
export function checkRetryOn(problems: Problems, field: string, value: string): void {
    if (typeof value !== "string") {
        problems.add(field, `${JSON.stringify(value)} is not a list of retry conditions`, "write conditions separated by commas, e.g. \"5xx,connect-failure\"");
        return;
    }
    for (const condition of value.split(",")) {
        if (!retryConditions.has(condition) && !(/^[0-9]{3}$/.test(condition) && namedStatusCodes.has(Number(condition)))) {
            problems.add(field, `${JSON.stringify(condition)} is not a retry condition`, `use HTTP status codes or ${[...retryConditions].join(", ")}, separated by commas without spaces`);
        }
    }
}
