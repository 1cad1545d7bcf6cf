/**
 * The Kubernetes CEL library functions that the pinned CRDs' rules call and @bufbuild/cel does
 * not provide (its `strings` extension gives `split`, `substring`, `lowerAscii` and the rest of
 * cel-go's, and its standard library `matches` with RE2 semantics, `duration`, `exists_one`,
 * `filter`): written here because no JavaScript library implements Kubernetes' own libraries.
 * Only what the rules use is here; each follows
 * https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-url-library and
 * https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-cidr-library
 */
import { celFunc, CelFunc, celMethod, CelScalar, objectType } from "@bufbuild/cel";
import { create, createFileRegistry, createRegistry, Registry } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as ipaddr from "ipaddr.js";

/**
 * Kubernetes' opaque `URL` type, as a message type of its own: @bufbuild/cel's custom types are
 * protobuf messages, and a type of its own keeps `getScheme()` off plain strings and maps.
 */
const urlMessage = createFileRegistry(create(FileDescriptorProtoSchema, {
    name: "kubernetes/url.proto",
    package: "kubernetes",
    syntax: "proto3",
    messageType: [{
        name: "URL",
        field: [{ name: "scheme", jsonName: "scheme", number: 1, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL }],
    }],
}), () => undefined).getMessage("kubernetes.URL")!;
const urlType = objectType(urlMessage);

/**
 * The scheme of `text`, or an error where Kubernetes' `url()` refuses it: it parses with Go's
 * `url.ParseRequestURI`, which takes an absolute URI (`scheme:...`) or an absolute path
 * (`/...`), no control characters, and only well-formed percent escapes. Go lowercases the scheme.
 */
function urlScheme(text: string): string {
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(text)) {
        throw new Error("URL parse error during conversion from string: invalid control character in URL");
    }
    if (/%(?![0-9A-Fa-f]{2})/.test(text)) {
        throw new Error("URL parse error during conversion from string: invalid URL escape");
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1];
    if (scheme === undefined && !text.startsWith("/")) {
        throw new Error(`URL parse error during conversion from string: parse ${JSON.stringify(text)}: invalid URI for request`);
    }
    return (scheme ?? "").toLowerCase();
}

/**
 * Kubernetes' `isCIDR`: an IPv4 (four decimal parts, no leading zeros) or IPv6 prefix, as Go's
 * `netip.ParsePrefix` takes it: no zone, and, as the library adds, no IPv4-mapped IPv6 address.
 */
function isCidr(text: string): boolean {
    if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) {
        return true;
    }
    return !text.includes("%") && ipaddr.IPv6.isValidCIDR(text) && !(ipaddr.parseCIDR(text)[0] as ipaddr.IPv6).isIPv4MappedAddress();
}

export const kubernetesFunctions: readonly CelFunc[] = [
    celFunc("url", [CelScalar.STRING], urlType, (text) => create(urlMessage, { scheme: urlScheme(text) })),
    celMethod("getScheme", urlType, [], CelScalar.STRING, function () {
        return String(this.get(urlMessage.field.scheme));
    }),
    celFunc("isCIDR", [CelScalar.STRING], CelScalar.BOOL, isCidr),
];

/** The registry that makes the Kubernetes types known to an environment. */
export const kubernetesTypes: Registry = createRegistry(urlMessage);
