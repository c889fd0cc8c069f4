// Command quickstart runs the sample stack the way a team member gets it: by
// pulling prebuilt images from the team's registry.
//
//	go run ./examples/quickstart [DEVENV ARGS...]   (default: up)
//
// It starts an in-memory registry on 127.0.0.1:5000, builds the sample
// services into images (as examples/build does, without a base image) and
// pushes them there as 127.0.0.1:5000/devenv-example/<service>:dev. Then it
// builds devenv from this checkout and runs it with DEVENV_SAMPLE_REGISTRY
// set to 127.0.0.1:5000/devenv-example, the registry envs.yaml names, so
// devenv pulls every image the engine lacks. The registry lives until devenv
// exits; quickstart exits with devenv's exit code.
//
// DEVENV_SAMPLE_REGISTRY_ADDR=HOST:PORT moves the registry; the host must be
// one the Docker Engine reaches over plain HTTP (127.0.0.1 or localhost).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

const (
	addrEnv     = "DEVENV_SAMPLE_REGISTRY_ADDR" // where the registry listens
	registryEnv = "DEVENV_SAMPLE_REGISTRY"      // what envs.yaml reads as registry:
	defaultAddr = "127.0.0.1:5000"
	repoPrefix  = "devenv-example" // path under the registry host, as in examples/build
)

// errInterrupted is the cause of cancelling the setup on SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// run sets up the registry and images under a context that the first signal
// cancels, then runs devenv and relays later signals to it.
func run(args []string) (int, error) {
	if len(args) == 0 {
		args = []string{"up"}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	setupDone, watcherDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case s := <-sigs:
			cancel(fmt.Errorf("%w (%v)", errInterrupted, s))
		case <-setupDone:
		}
	}()

	addr := os.Getenv(addrEnv)
	if addr == "" {
		addr = defaultAddr
	}
	reg, err := startRegistry(addr)
	if err != nil {
		return 0, err
	}
	defer reg.Close()

	say("building devenv and the %d sample images (the first run compiles for about 2 minutes; later runs take seconds)", len(services))
	bin, summary, err := setup(ctx, reg.Addr)
	close(setupDone)
	<-watcherDone
	if cause := context.Cause(ctx); cause != nil {
		return 0, cause
	}
	if err != nil {
		return 0, err
	}
	say("%s; running devenv %s", summary, strings.Join(args, " "))
	code, err := runDevenv(bin, args, []string{registryEnv + "=" + reg.Addr + "/" + repoPrefix}, sigs)
	if err == nil && code == 0 && len(args) == 1 && args[0] == "up" {
		say("the stack is up: open http://127.0.0.1:8080\n" +
			"  go run ./cmd/devenv          the live view (q quits)\n" +
			"  go run ./cmd/devenv ps       what runs, its health and ports\n" +
			"  go run ./cmd/devenv logs -f  every service's log\n" +
			"  go run ./cmd/devenv down     remove the stack (the images stay; up again needs no registry)")
	}
	return code, err
}

// say prints one progress line for the user on standard error.
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "quickstart: "+format+"\n", args...)
}

// setup builds devenv while it builds and pushes the images, and returns the
// devenv binary and the status line for the user.
func setup(ctx context.Context, addr string) (devenvBin, summary string, err error) {
	start := time.Now()
	if err := inCheckout(ctx); err != nil {
		return "", "", err
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return "", "", fmt.Errorf("connecting to Docker: %w", err)
	}
	defer cli.Close()
	arch, err := imagebuild.EngineArch(ctx, cli)
	if err != nil {
		return "", "", fmt.Errorf("%w; is the Docker Engine running?", err)
	}

	built := make(chan error, 1)
	go func() {
		var err error
		devenvBin, err = buildDevenv(ctx)
		if err == nil {
			say("devenv built (%s)", time.Since(start).Round(time.Second))
		}
		built <- err
	}()
	refs, pushErr := publish(ctx, addr+"/"+repoPrefix, arch)
	if err := errors.Join(pushErr, <-built); err != nil {
		return "", "", err
	}
	summary = fmt.Sprintf("registry %s: built and pushed %d images (%s/{%s}:dev) in %s",
		addr, len(refs), repoPrefix, strings.Join(services, ","), time.Since(start).Round(100*time.Millisecond))
	return devenvBin, summary, nil
}

// inCheckout fails unless the working directory is inside the devenv
// module, whose services and CLI quickstart builds.
func inCheckout(ctx context.Context) error {
	root, err := imagebuild.ModuleRoot(ctx)
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "cmd", "devenv"))
	}
	if err != nil {
		return fmt.Errorf("run quickstart from a devenv checkout (go run ./examples/quickstart): %w", err)
	}
	return nil
}
