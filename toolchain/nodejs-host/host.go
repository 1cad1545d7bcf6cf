package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is this host's version, reported to the engine; set at build time to the Pulumi
// version whose protocol it was built against.
var version = "0.0.0-dev"

// bailExitCode is the exit code @pulumi/pulumi's entry points use after they have already shown
// the user an actionable error: the engine should stop without adding a message of its own.
const bailExitCode = 32

// host implements the pulumirpc.LanguageRuntime service for Node.js.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func newHost(engineAddress string) *host { return &host{engineAddress: engineAddress} }

// Handshake needs no state: the engine passes the same directories again with each request.
func (h *host) Handshake(context.Context, *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPackages lists the resource plugins that the program's npm dependencies declare.
func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := requiredPlugins(programOf(req.GetInfo(), "", "").directory)
	if err != nil {
		return nil, err
	}
	packages := make([]*pulumirpc.PackageDependency, len(plugins))
	for i, p := range plugins {
		packages[i] = &pulumirpc.PackageDependency{Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages, still used by some engine paths.
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := requiredPlugins(programOf(req.GetInfo(), req.GetPwd(), req.GetProgram()).directory) //nolint:staticcheck // older engines
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// Run runs a Pulumi program with @pulumi/pulumi's cmd/run until it ends. The program's output
// goes to this host's stdout and stderr, which the engine shows the user.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	program := programOf(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck // older engines
	entry, err := sdkEntryPoint(program.directory, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}

	args := []string{"--monitor=" + req.GetMonitorAddress(), "--engine=" + h.engineAddress}
	args = appendFlag(args, "project", req.GetProject())
	args = appendFlag(args, "stack", req.GetStack())
	args = appendFlag(args, "organization", req.GetOrganization())
	args = appendFlag(args, "root-directory", program.root)
	args = appendFlag(args, "pwd", req.GetPwd())
	if req.GetParallel() > 0 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, program.entryPoint)
	args = append(args, req.GetArgs()...)

	cmd, err := program.options.nodeCommand(ctx, entry, args)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	cmd.Dir = req.GetPwd()
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	switch code, err := exitCode(cmd.Run()); {
	case err != nil:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the program with node: %v", err)}, nil
	case code == 0:
		return &pulumirpc.RunResponse{}, nil
	case code == bailExitCode:
		return &pulumirpc.RunResponse{Bail: true}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("the Node.js program exited with code %d", code)}, nil
	}
}

// RunPlugin runs a plugin written in Node.js: a CrossGuard policy pack (kind "analyzer") or
// another plugin, streaming its output back to the engine and ending with its exit code.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	program := programOf(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck // older engines
	var code int
	if req.GetKind() == "analyzer" {
		code, err = runPolicyPack(ctx, program, req, stdout, stderr)
	} else {
		code, err = runPlugin(ctx, program, req, stdout, stderr)
	}
	if err != nil {
		return err
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// runPolicyPack starts the pack with @pulumi/pulumi's cmd/run-policy-pack behind a policy proxy.
// The engine learns the proxy's port first and sends it the stack's name and configuration
// (ConfigureStack); only then is the pack started, with that stack in its environment, and the
// proxy forwards the engine's calls to the port the pack prints.
func runPolicyPack(ctx context.Context, program program, req *pulumirpc.RunPluginRequest, stdout, stderr io.Writer) (int, error) {
	entry, err := sdkEntryPoint(program.directory, "run-policy-pack")
	if err != nil {
		return 0, err
	}
	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return 0, fmt.Errorf("could not start the policy proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return 0, err
	}
	args := append(append([]string{}, req.GetArgs()...), program.entryPoint)
	cmd, err := program.options.nodeCommand(ctx, entry, args)
	if err != nil {
		return 0, err
	}
	cmd.Dir = program.directory
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Env = append(cmd.Env, stackEnvironment(stack)...)
	cmd.Stdout, cmd.Stderr = packStdout, stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("could not start the policy pack with node: %w", err)
	}
	code, err := exitCode(proxy.Attach(ctx, cmd))
	if err != nil {
		return 0, fmt.Errorf("policy pack %s: %w", program.directory, err)
	}
	return code, nil
}

// runPlugin runs any other Node.js plugin with @pulumi/pulumi's cmd/run-plugin.
func runPlugin(ctx context.Context, program program, req *pulumirpc.RunPluginRequest, stdout, stderr io.Writer) (int, error) {
	entry, err := sdkEntryPoint(program.directory, "run-plugin")
	if err != nil {
		return 0, err
	}
	args := append([]string{"--pwd=" + program.directory, program.entryPoint}, req.GetArgs()...)
	cmd, err := program.options.nodeCommand(ctx, entry, args)
	if err != nil {
		return 0, err
	}
	cmd.Dir = program.directory
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return exitCode(cmd.Run())
}

// stackEnvironment is what @pulumi/pulumi reads to know the stack a policy pack checks: the
// same variables cmd/run sets for a program. A nil request (the engine asked something before
// configuring a stack, as `pulumi policy publish` does) adds nothing.
func stackEnvironment(stack *pulumirpc.AnalyzerStackConfigureRequest) []string {
	if stack == nil {
		return nil
	}
	config, _ := json.Marshal(stack.GetConfig())
	secretKeys, _ := json.Marshal(stack.GetConfigSecretKeys())
	env := []string{"PULUMI_CONFIG=" + string(config), "PULUMI_CONFIG_SECRET_KEYS=" + string(secretKeys)}
	for _, pair := range [][2]string{
		{"PROJECT", stack.GetProject()}, {"STACK", stack.GetStack()},
		{"ORGANIZATION", stack.GetOrganization()}, {"DRY_RUN", strconv.FormatBool(stack.GetDryRun())},
	} {
		if pair[1] != "" {
			env = append(env, "PULUMI_NODEJS_"+pair[0]+"="+pair[1], "PULUMI_"+pair[0]+"="+pair[1])
		}
	}
	return env
}

// InstallDependencies runs the project's package manager (npm unless `packagemanager` says
// otherwise) in the requested directory, streaming its output to the engine.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	program := programOf(req.GetInfo(), req.GetDirectory(), ".") //nolint:staticcheck // older engines
	manager := program.options.packageManager
	cmd := exec.CommandContext(server.Context(), manager, "install")
	cmd.Dir = program.directory
	cmd.Stdout, cmd.Stderr = stdout, stderr
	fmt.Fprintf(stdout, "Installing dependencies with %s install in %s\n", manager, program.directory)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s install in %s failed: %w", manager, program.directory, err)
	}
	return nil
}

// About reports the Node.js that programs run on.
func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errNodeMissing
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", node, err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: trimVersion(string(out))}, nil
}

// exitCode turns the error of a finished command into its exit code; other errors (the command
// could not start, or the proxy failed) are returned as errors.
func exitCode(err error) (int, error) {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode(), nil
	default:
		return 0, err
	}
}

func appendFlag(args []string, name, value string) []string {
	if value == "" {
		return args
	}
	return append(args, "--"+name+"="+value)
}
