// Command testimage builds examples/testsvc into the image the benchmark
// stacks use (devenv-example/testsvc:dev) and loads it into the local Docker
// Engine. bench/up.sh runs it only when examples/build is absent or did not
// produce the image; an unchanged build is not loaded again.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/docker/docker/client"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

const (
	pkg = "./examples/testsvc"
	ref = "devenv-example/testsvc:dev"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "testimage: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("creating Docker client: %w", err)
	}
	defer cli.Close()
	id, err := imagebuild.BuildAndLoad(ctx, cli, pkg, ref, imagebuild.ImageOptions{})
	if err != nil {
		return fmt.Errorf("building %s as %s: %w", pkg, ref, err)
	}
	fmt.Fprintf(os.Stderr, "%s is %s\n", ref, id)
	return nil
}
