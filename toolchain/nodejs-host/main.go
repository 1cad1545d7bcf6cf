// Command pulumi-language-nodejs is a Pulumi language host for Node.js programs and policy packs.
//
// The Pulumi engine starts one language host per runtime, reads the port it prints, and asks it
// over gRPC (the pulumirpc.LanguageRuntime service) which plugins a program needs, to run the
// program against the engine's resource monitor, and to run Node.js plugins such as CrossGuard
// policy packs. The program itself is run by the entry points that @pulumi/pulumi ships
// (cmd/run for programs, cmd/run-policy-pack for policy packs, cmd/run-plugin for other
// plugins); this host only finds them, passes the engine's settings the way they expect, and
// reports how they ended.
//
// ztmesh builds this host because the Go module proxy, the only source of Pulumi's binaries in
// locked-down CI, does not serve Pulumi's own Node.js language host. See README.md beside this file.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	// The engine passes `--logtostderr`, `-v=N` and `--tracing URL` before the engine address.
	// The logging package's dependencies register -logtostderr and -v on the default flag set;
	// register them only where they are missing, so both builds parse the same command line.
	if flag.Lookup("logtostderr") == nil {
		flag.Bool("logtostderr", false, "log to stderr instead of a file")
	}
	if flag.Lookup("v") == nil {
		flag.Int("v", 0, "log verbosity")
	}
	flag.String("tracing", "", "accepted for compatibility with the engine; tracing is not exported")
	flag.Parse()
	logging.InitLogging(false, 0, false)

	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-language-nodejs [flags] ENGINE_ADDRESS")
		os.Exit(2)
	}
	if err := serve(flag.Arg(0)); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// serve listens on a free loopback port, prints it for the engine, and serves until the engine
// closes the host (SIGINT/SIGTERM) or the server fails.
func serve(engineAddress string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cancel := make(chan bool, 1)
	go func() { <-ctx.Done(); cancel <- true }()

	host := newHost(engineAddress)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(server *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(server, host)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("could not start the gRPC server: %w", err)
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}
