package images

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/devenv-dev/devenv/internal/registrytest"
	"github.com/docker/docker/api/types/image"
)

var record = flag.Bool("record", false, "record testdata/pull.jsonl from the real engine")

const recordedStream = "testdata/pull.jsonl"

// TestRecordPullStream records what the engine streams for a pull of an
// image of three 1 MiB layers, one of which is already present: run with
// -run TestRecordPullStream -record after an engine upgrade.
func TestRecordPullStream(t *testing.T) {
	if !*record {
		t.Skip("records the engine's stream with -record")
	}
	cli := engine(t)
	r := startRegistry(t, registrytest.Options{})
	base, err := registrytest.Layer(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	baseRef, _ := push(t, r, "record/base:1", newImage(t, 0, 0, base))
	ref, _ := push(t, r, "record/app:1", newImage(t, 2, 1<<20, base))
	removeImages(t, cli, baseRef, ref)
	if _, err := Pull(t.Context(), cli, []Request{{Ref: baseRef}}, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	body, err := cli.ImagePull(t.Context(), ref, image.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(recordedStream), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(recordedStream, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
