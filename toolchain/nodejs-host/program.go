package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var errNodeMissing = errors.New("node is not on PATH: install Node.js 20 or newer")

// program is what the engine asks to run: a project root (where Pulumi.yaml or
// PulumiPolicy.yaml is), the program's directory, its entry point relative to that directory
// ("." for the directory's package.json entry), and the project's runtime options.
type program struct {
	root       string
	directory  string
	entryPoint string
	options    runtimeOptions
}

// programOf reads the engine's ProgramInfo; engines too old to send one give a working
// directory and an entry point instead.
func programOf(info *pulumirpc.ProgramInfo, pwd, entryPoint string) program {
	if info == nil {
		if entryPoint == "" {
			entryPoint = "."
		}
		return program{root: pwd, directory: pwd, entryPoint: entryPoint, options: optionsOf(nil)}
	}
	p := program{root: info.GetRootDirectory(), directory: info.GetProgramDirectory(), entryPoint: info.GetEntryPoint(), options: optionsOf(info)}
	if p.entryPoint == "" {
		p.entryPoint = "."
	}
	return p
}

// runtimeOptions are the `runtime.options` of Pulumi.yaml / PulumiPolicy.yaml that change how
// a Node.js program runs.
type runtimeOptions struct {
	typescript     bool     // compile TypeScript with ts-node (default true)
	tsconfig       string   // the tsconfig.json to use, relative to the program's directory
	nodeArgs       []string // extra arguments for node, e.g. --max-old-space-size=4096
	packageManager string   // what InstallDependencies runs: npm (default), yarn, pnpm or bun
}

func optionsOf(info *pulumirpc.ProgramInfo) runtimeOptions {
	o := runtimeOptions{typescript: true, packageManager: "npm"}
	fields := info.GetOptions().GetFields()
	if v, ok := fields["typescript"]; ok {
		o.typescript = v.GetBoolValue()
	}
	o.tsconfig = fields["tsconfig"].GetStringValue()
	o.nodeArgs = strings.Fields(fields["nodeargs"].GetStringValue())
	if v := fields["packagemanager"].GetStringValue(); v != "" {
		o.packageManager = v
	}
	return o
}

// nodeCommand is `node [nodeargs] ENTRY ARGS...` with the environment that @pulumi/pulumi's
// entry points read for these options.
func (o runtimeOptions) nodeCommand(ctx context.Context, entry string, args []string) (*exec.Cmd, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errNodeMissing
	}
	cmd := exec.CommandContext(ctx, node, append(append(append([]string{}, o.nodeArgs...), entry), args...)...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", o.typescript))
	if o.tsconfig != "" {
		cmd.Env = append(cmd.Env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return cmd, nil
}

// sdkEntryPoint finds @pulumi/pulumi's cmd/NAME the way Node.js resolves a package: in the
// node_modules of the program's directory or of the nearest directory above it that has one.
func sdkEntryPoint(directory, name string) (string, error) {
	for dir := directory; ; dir = filepath.Dir(dir) {
		entry := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", name, "index.js")
		if _, err := os.Stat(entry); err == nil {
			return entry, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("@pulumi/pulumi is not installed for %s (no node_modules/@pulumi/pulumi/cmd/%s in it or above it): run `npm install` there first", directory, name)
		}
	}
}

func trimVersion(out string) string {
	return strings.TrimPrefix(strings.TrimSpace(out), "v")
}
