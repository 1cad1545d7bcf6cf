package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// These tests run the host as the engine does, over gRPC on loopback, against stand-ins for
// @pulumi/pulumi's entry points: small Node.js scripts that record how they were started.

// writeFile writes content to dir/rel, creating directories.
func writeFile(t *testing.T, dir, rel, content string) string {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// recordingEntry is a stand-in for cmd/NAME: it writes its arguments, working directory and
// the PULUMI_* environment to $RECORD, then exits with the code in $EXIT_CODE (default 0).
const recordingEntry = `
const fs = require("fs");
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PULUMI_")));
fs.writeFileSync(process.env.RECORD, JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd(), env }));
process.exit(Number(process.env.EXIT_CODE || 0));
`

type record struct {
	Args []string          `json:"args"`
	Cwd  string            `json:"cwd"`
	Env  map[string]string `json:"env"`
}

func readRecord(t *testing.T, path string) record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the entry point did not run: %v", err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// startHost serves the host on a loopback port and returns a client for it.
func startHost(t *testing.T) pulumirpc.LanguageRuntimeClient {
	t.Helper()
	cancel := make(chan bool, 1)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, newHost("127.0.0.1:1"))
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", handle.Port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); cancel <- true; <-handle.Done })
	return pulumirpc.NewLanguageRuntimeClient(conn)
}

// project lays out a project with a stand-in SDK in node_modules and returns its root.
func project(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, root, "package.json", `{"name":"app","dependencies":{"@pulumi/pulumi":"3.0.0"}}`)
	writeFile(t, root, "node_modules/@pulumi/pulumi/package.json", `{"name":"@pulumi/pulumi","version":"3.0.0"}`)
	writeFile(t, root, "node_modules/@pulumi/pulumi/cmd/run/index.js", recordingEntry)
	writeFile(t, root, "stacks/index.ts", "")
	return root
}

func programInfo(t *testing.T, root, directory, entry string, options map[string]any) *pulumirpc.ProgramInfo {
	opts, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: directory, EntryPoint: entry, Options: opts}
}

func TestRunPassesTheEngineSettingsTheWayCmdRunExpects(t *testing.T) {
	root := project(t)
	recordPath := filepath.Join(t.TempDir(), "record.json")
	t.Setenv("RECORD", recordPath)
	client := startHost(t)
	stacks := filepath.Join(root, "stacks")

	resp, err := client.Run(context.Background(), &pulumirpc.RunRequest{
		Project: "ztmesh", Stack: "dev", Organization: "acme", Pwd: stacks,
		MonitorAddress: "127.0.0.1:1234", DryRun: true, Parallel: 8, Args: []string{"extra"},
		Config:           map[string]string{"ztmesh:who": "world", "ztmesh:key": "s3cr3t"},
		ConfigSecretKeys: []string{"ztmesh:key"},
		Info:             programInfo(t, root, stacks, "index.ts", map[string]any{"typescript": true, "tsconfig": "../tsconfig.json"}),
	})
	if err != nil || resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("Run: %v %v", err, resp)
	}
	got := readRecord(t, recordPath)
	want := []string{"--monitor=127.0.0.1:1234", "--engine=127.0.0.1:1", "--project=ztmesh", "--stack=dev", "--organization=acme",
		"--root-directory=" + root, "--pwd=" + stacks, "--parallel=8", "--dry-run", "index.ts", "extra"}
	if strings.Join(got.Args, " ") != strings.Join(want, " ") {
		t.Errorf("args\n got %q\nwant %q", got.Args, want)
	}
	if got.Cwd != stacks {
		t.Errorf("cwd %q, want %q", got.Cwd, stacks)
	}
	var config map[string]string
	if err := json.Unmarshal([]byte(got.Env["PULUMI_CONFIG"]), &config); err != nil || config["ztmesh:who"] != "world" || config["ztmesh:key"] != "s3cr3t" {
		t.Errorf("PULUMI_CONFIG = %q", got.Env["PULUMI_CONFIG"])
	}
	if got.Env["PULUMI_CONFIG_SECRET_KEYS"] != `["ztmesh:key"]` {
		t.Errorf("PULUMI_CONFIG_SECRET_KEYS = %q", got.Env["PULUMI_CONFIG_SECRET_KEYS"])
	}
	if got.Env["PULUMI_NODEJS_TYPESCRIPT"] != "true" || got.Env["PULUMI_NODEJS_TSCONFIG_PATH"] != "../tsconfig.json" {
		t.Errorf("TypeScript options: %v", got.Env)
	}
}

func TestRunReportsHowTheProgramEnded(t *testing.T) {
	root := project(t)
	t.Setenv("RECORD", filepath.Join(t.TempDir(), "record.json"))
	client := startHost(t)
	for _, tc := range []struct {
		exit      string
		bail      bool
		errorText string
	}{
		{exit: "0"},
		{exit: "32", bail: true}, // the SDK already showed the error
		{exit: "3", errorText: "the Node.js program exited with code 3"},
	} {
		t.Setenv("EXIT_CODE", tc.exit)
		resp, err := client.Run(context.Background(), &pulumirpc.RunRequest{
			Pwd: root, MonitorAddress: "127.0.0.1:1", Info: programInfo(t, root, root, ".", nil),
		})
		if err != nil || resp.GetBail() != tc.bail || resp.GetError() != tc.errorText {
			t.Errorf("exit %s: got %v %v", tc.exit, resp, err)
		}
	}
}

func TestRunWithoutTheSDKSaysWhatToInstall(t *testing.T) {
	root := t.TempDir()
	resp, err := startHost(t).Run(context.Background(), &pulumirpc.RunRequest{Pwd: root, Info: programInfo(t, root, root, ".", nil)})
	if err != nil || !strings.Contains(resp.GetError(), "@pulumi/pulumi is not installed for "+root) || !strings.Contains(resp.GetError(), "npm install") {
		t.Fatalf("got %v %v", resp, err)
	}
}

func TestRequiredPackagesFollowTheDependencyGraph(t *testing.T) {
	root := project(t)
	writeFile(t, root, "package.json", `{"name":"app","dependencies":{"@pulumi/kubernetesx":"0.1.6","@pulumi/pulumi":"3.0.0"},"devDependencies":{"tool":"1.0.0"},"optionalDependencies":{"absent":"1.0.0"}}`)
	// A resource package found through another package, and one nested in that package's own node_modules.
	writeFile(t, root, "node_modules/@pulumi/kubernetesx/package.json", `{"name":"@pulumi/kubernetesx","version":"0.1.6","dependencies":{"@pulumi/kubernetes":"4.25.0","@pulumi/random":"4.0.0"}}`)
	writeFile(t, root, "node_modules/@pulumi/kubernetes/package.json", `{"name":"@pulumi/kubernetes","version":"4.25.0","pulumi":{"resource":true,"name":"kubernetes","version":"4.25.0"}}`)
	writeFile(t, root, "node_modules/@pulumi/kubernetesx/node_modules/@pulumi/random/package.json", `{"name":"@pulumi/random","version":"4.16.0","pulumi":{"resource":true,"server":"https://example.test/plugins"}}`)
	writeFile(t, root, "node_modules/tool/package.json", `{"name":"tool","version":"1.0.0","pulumi":{"resource":true,"name":"tooling","version":"v2.0.0"}}`)
	// Installed but not depended on: not required.
	writeFile(t, root, "node_modules/@pulumi/aws/package.json", `{"name":"@pulumi/aws","version":"7.0.0","pulumi":{"resource":true,"name":"aws"}}`)

	resp, err := startHost(t).GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{Info: programInfo(t, root, filepath.Join(root, "stacks"), ".", nil)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range resp.GetPackages() {
		got = append(got, fmt.Sprintf("%s %s %s %s", p.GetKind(), p.GetName(), p.GetVersion(), p.GetServer()))
	}
	want := []string{"resource kubernetes v4.25.0 ", "resource random v4.16.0 https://example.test/plugins", "resource tooling v2.0.0 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRequiredPackagesNameAMissingDependency(t *testing.T) {
	root := project(t)
	writeFile(t, root, "package.json", `{"name":"app","dependencies":{"@pulumi/kubernetes":"4.25.0"}}`)
	_, err := startHost(t).GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{Info: programInfo(t, root, root, ".", nil)})
	if err == nil || !strings.Contains(err.Error(), "app depends on @pulumi/kubernetes, which is not installed: run `npm install` in "+root) {
		t.Fatalf("got %v", err)
	}
}

// stubAnalyzer stands in for the policy pack's own gRPC server.
type stubAnalyzer struct {
	pulumirpc.UnimplementedAnalyzerServer
}

func (stubAnalyzer) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	return &pulumirpc.AnalyzerInfo{Name: "stub-pack", Version: "1.2.3"}, nil
}

func (stubAnalyzer) ConfigureStack(context.Context, *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

// A policy pack runs behind the SDK's policy proxy: the engine reads the proxy's port, configures
// the stack, and only then is the pack started, with the stack in its environment; the engine's
// calls reach the pack's own server through the proxy, and the pack's exit code ends the stream.
func TestRunPluginStartsAPolicyPackWithTheStackInItsEnvironment(t *testing.T) {
	root := project(t)
	pack := filepath.Join(root, "policypack")
	writeFile(t, pack, "PulumiPolicy.yaml", "runtime: nodejs\n")
	recordPath := filepath.Join(t.TempDir(), "record.json")
	stopPath := filepath.Join(t.TempDir(), "stop")
	// The stand-in pack records how it started, prints the port of the stub analyzer as a real
	// pack prints its own, and exits once the test says so.
	writeFile(t, root, "node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js", recordingEntry[:strings.Index(recordingEntry, "process.exit")]+`
console.log(process.env.ANALYZER_PORT);
const timer = setInterval(() => { if (fs.existsSync(process.env.STOP)) { clearInterval(timer); process.exit(7); } }, 20);
`)
	cancel := make(chan bool, 1)
	analyzer, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{Cancel: cancel, Init: func(s *grpc.Server) error {
		pulumirpc.RegisterAnalyzerServer(s, stubAnalyzer{})
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel <- true }()

	ctx, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	stream, err := startHost(t).RunPlugin(ctx, &pulumirpc.RunPluginRequest{
		Pwd: root, Kind: "analyzer", Args: []string{"127.0.0.1:1"},
		Env:  []string{"RECORD=" + recordPath, "STOP=" + stopPath, "ANALYZER_PORT=" + strconv.Itoa(analyzer.Port)},
		Info: programInfo(t, pack, pack, ".", nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	stdout, exit := pipeRunPlugin(t, stream)

	proxyPort := <-stdout
	conn, err := grpc.NewClient("127.0.0.1:"+proxyPort, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	proxy := pulumirpc.NewAnalyzerClient(conn)
	if _, err := proxy.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
		Stack: "dev", Project: "ztmesh", Organization: "acme", DryRun: true, Config: map[string]string{"ztmesh:who": "world"},
	}); err != nil {
		t.Fatal(err)
	}
	info, err := proxy.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil || info.GetName() != "stub-pack" {
		t.Fatalf("GetAnalyzerInfo through the proxy: %v %v", info, err)
	}

	got := readRecord(t, recordPath)
	if strings.Join(got.Args, " ") != "127.0.0.1:1 ." || got.Cwd != pack {
		t.Errorf("pack started with %q in %q", got.Args, got.Cwd)
	}
	for key, want := range map[string]string{
		"PULUMI_NODEJS_STACK": "dev", "PULUMI_STACK": "dev", "PULUMI_NODEJS_PROJECT": "ztmesh", "PULUMI_NODEJS_ORGANIZATION": "acme",
		"PULUMI_NODEJS_DRY_RUN": "true", "PULUMI_CONFIG": `{"ztmesh:who":"world"}`, "PULUMI_NODEJS_TYPESCRIPT": "true",
	} {
		if got.Env[key] != want {
			t.Errorf("%s = %q, want %q", key, got.Env[key], want)
		}
	}
	writeFile(t, filepath.Dir(stopPath), filepath.Base(stopPath), "")
	if code := <-exit; code != 7 {
		t.Errorf("exit code %d, want the pack's 7", code)
	}
}

// pipeRunPlugin reads a RunPlugin stream: stdout lines on one channel, the exit code on another.
func pipeRunPlugin(t *testing.T, stream grpc.ServerStreamingClient[pulumirpc.RunPluginResponse]) (<-chan string, <-chan int32) {
	lines, exit := make(chan string, 16), make(chan int32, 1)
	reader, writer := io.Pipe()
	go func() {
		scanner := bufio.NewScanner(reader)
		for scanner.Scan() {
			lines <- strings.TrimSpace(scanner.Text())
		}
	}()
	go func() {
		defer writer.Close()
		for {
			msg, err := stream.Recv()
			if err != nil {
				t.Errorf("RunPlugin stream ended without an exit code: %v", err)
				return
			}
			switch out := msg.GetOutput().(type) {
			case *pulumirpc.RunPluginResponse_Stdout:
				_, _ = writer.Write(out.Stdout)
			case *pulumirpc.RunPluginResponse_Exitcode:
				exit <- out.Exitcode
				return
			}
		}
	}()
	return lines, exit
}
