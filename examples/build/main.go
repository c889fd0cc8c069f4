// Command build compiles the sample stack's services and testsvc into
// scratch images and loads them into the local Docker Engine:
//
//	go run ./examples/build [-repo devenv-example] [-tag dev] [SERVICE...]
//
// Each image is <repo>/<service>:<tag>. An image whose content did not change
// is not loaded again. One line per image goes to stdout. The quick start
// (examples/quickstart) publishes the same images to a registry instead;
// -repo 127.0.0.1:5000/devenv-example names them as envs.yaml does, so that
// devenv up finds them locally without a registry.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/client"

	"github.com/devenv-dev/devenv/examples/internal/svc"
	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// Services are the buildable examples, in dependency order.
var Services = []string{"store", "passport", "works", "message", "boss", "web", "testsvc"}

// modulePath prefixes each service's directory to form its import path.
const modulePath = "github.com/devenv-dev/devenv/examples/"

// parallel bounds concurrent go builds; links are CPU-heavy.
const parallel = 2

// target is one image to produce.
type target struct {
	Service string
	Pkg     string
	Ref     string
}

// targets resolves the command line to images, rejecting unknown services.
func targets(names []string, repo, tag string) ([]target, error) {
	if len(names) == 0 {
		names = Services
	}
	var out []target
	for _, n := range names {
		if !slices.Contains(Services, n) {
			return nil, fmt.Errorf("unknown service %q; choose from %s", n, strings.Join(Services, ", "))
		}
		out = append(out, target{Service: n, Pkg: modulePath + n, Ref: repo + "/" + n + ":" + tag})
	}
	return out, nil
}

func main() {
	ctx, stop := svc.SignalContext(context.Background())
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	repo := fs.String("repo", "devenv-example", "repository prefix of the image names")
	tag := fs.String("tag", "dev", "image tag")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ts, err := targets(fs.Args(), *repo, *tag)
	if err != nil {
		return err
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("connecting to Docker: %w", err)
	}
	defer cli.Close()
	arch, err := imagebuild.EngineArch(ctx, cli)
	if err != nil {
		return err
	}
	results := make([]string, len(ts))
	errs := make([]error, len(ts))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = buildOne(ctx, cli, t, arch)
		})
	}
	wg.Wait()
	failed := 0
	for i, t := range ts {
		if errs[i] != nil {
			fmt.Fprintf(out, "%-36s FAILED %v\n", t.Ref, errs[i])
			failed++
			continue
		}
		fmt.Fprintln(out, results[i])
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images failed", failed, len(ts))
	}
	return nil
}

// buildOne builds and loads t, returning its report line.
func buildOne(ctx context.Context, cli *client.Client, t target, arch string) (string, error) {
	start := time.Now()
	bin, err := imagebuild.GoBinary(ctx, t.Pkg, arch)
	if err != nil {
		return "", err
	}
	img, err := imagebuild.Image(bin, imagebuild.SampleOptions(t.Service, arch))
	if err != nil {
		return "", err
	}
	loaded, err := imagebuild.LoadIfChanged(ctx, cli, img, t.Ref)
	if err != nil {
		return "", err
	}
	id, err := imagebuild.ImageID(img)
	if err != nil {
		return "", err
	}
	state := "unchanged"
	if loaded {
		state = "loaded"
	}
	return fmt.Sprintf("%-36s %s %-9s %s", t.Ref, id[:19], state, time.Since(start).Round(10*time.Millisecond)), nil
}
