// Command pullimages serves the images bench/pull.sh pulls. It makes N
// images of random content that share one base layer, pushes them to an
// in-memory registry it serves on 127.0.0.1, writes their references to the
// -ready file, and serves until SIGINT or SIGTERM:
//
//	go run ./bench/pullimages -ready FILE [-addr 127.0.0.1:0] [-images 10] [-base-mb 10] [-own-mb 20]
//
// The content is new on every run, so no layer of an earlier run can be in
// the engine's cache. Layers are gzip-compressed at the fastest level;
// random bytes do not shrink, so each compressed layer is about its size.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/devenv-dev/devenv/internal/imagebuild"
)

// options are the command-line settings.
type options struct {
	addr   string
	ready  string
	images int
	baseMB int
	ownMB  int
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:0", "where the registry listens (port 0: any free port)")
	flag.StringVar(&o.ready, "ready", "", "file to write the image references to, one a line, once all are pushed (required)")
	flag.IntVar(&o.images, "images", 10, "how many images")
	flag.IntVar(&o.baseMB, "base-mb", 10, "size of the layer every image shares, in MB")
	flag.IntVar(&o.ownMB, "own-mb", 20, "size of each image's own layer, in MB")
	flag.Parse()
	if o.ready == "" || o.images < 1 || o.baseMB < 0 || o.ownMB < 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "pullimages:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("starting the registry: %w", err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	defer srv.Close()

	refs, err := pushAll(ctx, ln.Addr().String(), o)
	if err != nil {
		return err
	}
	if err := writeReady(o.ready, refs); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// pushAll builds the images and pushes them as ADDR/bench-pull/imgNN:latest.
func pushAll(ctx context.Context, addr string, o options) ([]string, error) {
	base, err := randomLayer("base", o.baseMB)
	if err != nil {
		return nil, err
	}
	var refs []string
	for i := 1; i <= o.images; i++ {
		own, err := randomLayer(fmt.Sprintf("img%02d", i), o.ownMB)
		if err != nil {
			return nil, err
		}
		img, err := image(base, own)
		if err != nil {
			return nil, err
		}
		ref := fmt.Sprintf("%s/bench-pull/img%02d:latest", addr, i)
		if _, err := imagebuild.Push(ctx, img, ref); err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// image is a linux image of the given layers with no runnable content.
func image(layers ...v1.Layer) (v1.Image, error) {
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		RootFS:       v1.RootFS{Type: "layers"},
		Config:       v1.Config{Cmd: []string{"x"}},
	})
	if err != nil {
		return nil, fmt.Errorf("setting image config: %w", err)
	}
	img, err = mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	return img, nil
}

// randomLayer is a gzipped tar holding one file, /bench/NAME.bin, of mb
// megabytes of random bytes. It is compressed once, here; digest and push
// then read the compressed bytes.
func randomLayer(name string, mb int) (v1.Layer, error) {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(rand.Uint32())
	}
	size := int64(mb) << 20
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	h := &tar.Header{Name: "bench/" + name + ".bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: size}
	if err := tw.WriteHeader(h); err != nil {
		return nil, err
	}
	if _, err := io.CopyN(tw, rand.NewChaCha8(seed), size); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	blob := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
}

// writeReady writes refs to path in one step, so a reader polling for the
// file never sees half of it.
func writeReady(path string, refs []string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(refs, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
