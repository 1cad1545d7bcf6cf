/**
 * ztmesh: zero-trust networking for Kubernetes as Pulumi components.
 * Calico (CNI and cluster default-deny) → Istio → MeshGateway → ZeroTrustBaseline → MeshService.
 */
export { Calico, CalicoArgs, IpPool, IpPoolEncapsulation, defaultPolicyApi, kubernetesProviders, validateCalicoArgs } from "./calico/calico";
export { CalicoPolicyApi, GlobalNetworkPolicySpec } from "./calico/policyApi";
export { Istio, IstioArgs, IstioMesh, IngressMode, injectionLabels, istioMesh, istioPlatforms, validateIstioArgs } from "./istio/istio";
export { DataplaneMode, dataplaneModes } from "./istio/dataplane";
export { EnforcementMode, ambientHonoursDryRun, enforcementModes, dryRunName, oldestAmbientAudit } from "./enforcement";
export {
    MeshGateway, MeshGatewayArgs, GatewayListener, ListenerTls, GatewayAttachment, GatewayParentRef, listenerName,
    gatewayAttachment, gatewayAttachmentOf, validateMeshGatewayArgs,
} from "./gateway/meshGateway";
export { SelfSignedCertificate, SelfSignedCertificateArgs } from "./gateway/selfSignedCertificate";
export { Waypoint, WaypointArgs, WaypointAttachment, validateWaypointArgs, waypointIdentity } from "./gateway/waypoint";
export { checkAmbientArgs, layer7Needs } from "./meshService/ambient";
export {
    ZeroTrustBaseline, ZeroTrustBaselineArgs, AppNamespace, ClusterPolicyMode, clusterPolicies, clusterPolicyModes, guardrailArgs, validateBaselineArgs,
} from "./baseline/zeroTrustBaseline";
export { ClusterNetworkPolicySpec, clusterNetworkPolicies, clusterNetworkPolicyApiVersion, guardrailNetworkPolicies } from "./baseline/clusterNetworkPolicy";
export { MeshService } from "./meshService/meshService";
export { MeshServiceArgs } from "./meshService/args";
export { validateMeshServiceArgs } from "./meshService/validate";
export { Problem, Problems, checkDns1123Label, checkSourceLocation } from "./problems";
export { meshEndpoint, EndpointDeclaration } from "./meshService/endpoint";
export * from "./meshService/types";
export { ChartSource } from "./charts";
export { WorkloadIdentity, principalOf, validateWorkloadIdentity } from "./identity";
export { versions, chartRepositories, gatewayApiCrdsUrl } from "./versions";
export { reachability, Flow, ReachOptions } from "../analysis/reach";
export { formatFlows, flowsToJson } from "../analysis/flowFormat";
export { loadManifests, parseManifests, ManifestError } from "../analysis/manifests";
export { parseSelector, selectorMatches, canonical as canonicalSelector, SelectorSyntaxError } from "../analysis/calicoSelector";
export { intentDifferences, declaredServices, IntentDifference, DeclaredService, IntentError } from "../analysis/intent";
export { reportModel, ReportModel, ReportAbout, ReportCell, CellStatus } from "../analysis/report/model";
export { renderPage as renderReportPage } from "../analysis/report/page";
export { flowExplainer, formatFlowExplanation, FlowExplanation } from "../analysis/explain";
export { MeshPlatform, PlatformHandleArgs, PlatformReference, PolicyObjectRecorder, TeamNamespace, platformHandle } from "./platform/meshPlatform";
export { PlatformHandle, PlatformHandleError, parsePlatformHandle, platformHandleVersion, platformOutputName, platformReferenceType, teamLabel } from "./platform/handle";
