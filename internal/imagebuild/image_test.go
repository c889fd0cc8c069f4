package imagebuild

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func writeFakeBinary(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustID(t *testing.T, bin string, opts ImageOptions) string {
	t.Helper()
	img, err := Image(bin, opts)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ImageID(img)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestImageIsReproducible(t *testing.T) {
	opts := ImageOptions{Arch: "amd64", Cmd: []string{"-listen", ":8080"}}
	a := mustID(t, writeFakeBinary(t, "binary one"), opts)
	b := mustID(t, writeFakeBinary(t, "binary one"), opts)
	if a != b {
		t.Errorf("same binary and options gave IDs %s and %s", a, b)
	}
	if c := mustID(t, writeFakeBinary(t, "binary two"), opts); c == a {
		t.Errorf("different binaries gave the same ID %s", c)
	}
	if d := mustID(t, writeFakeBinary(t, "binary one"), ImageOptions{Arch: "arm64"}); d == a {
		t.Errorf("different options gave the same ID %s", d)
	}
}

func TestImageConfig(t *testing.T) {
	hc := &v1.HealthConfig{Test: []string{"CMD", "/app", "health"}, Interval: time.Second, Retries: 3}
	img, err := Image(writeFakeBinary(t, "x"), ImageOptions{
		Arch: "arm64", Cmd: []string{"-v"}, Env: []string{"A=1"}, ExposedPorts: []string{"8080", "53/udp"},
		Labels: map[string]string{"k": "v"}, Healthcheck: hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{
		Entrypoint: []string{"/app"}, Cmd: []string{"-v"}, Env: []string{"A=1"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}, "53/udp": {}},
		Labels:       map[string]string{"k": "v"}, WorkingDir: "/", Healthcheck: hc,
	}
	if diff := cmp.Diff(want, cf.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" || len(cf.RootFS.DiffIDs) != 1 {
		t.Errorf("os/arch/layers = %s/%s/%d, want linux/arm64/1", cf.OS, cf.Architecture, len(cf.RootFS.DiffIDs))
	}
}

func TestImageLayerContents(t *testing.T) {
	img, err := Image(writeFakeBinary(t, "payload"), ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s has mtime %v, want %v", h.Name, h.ModTime, epoch)
		}
		got[h.Name] = os.FileMode(h.Mode).String() + " " + string(body)
	}
	want := map[string]string{
		"etc/": os.FileMode(0o755).String() + " ",
		"tmp/": os.FileMode(0o1777).String() + " ",
		"app":  os.FileMode(0o755).String() + " payload",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
}

func TestGoarch(t *testing.T) {
	for machine, want := range map[string]string{
		"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "s390x": "s390x",
	} {
		if got := goarch(machine); got != want {
			t.Errorf("goarch(%q) = %q, want %q", machine, got, want)
		}
	}
}

func TestCheckLoadStream(t *testing.T) {
	tests := []struct {
		name    string
		stream  string
		wantErr string
	}{
		{name: "loaded", stream: `{"stream":"Loaded image: a/b:c\n"}`},
		{name: "empty", stream: ``},
		{name: "error detail", stream: `{"stream":"x"}{"errorDetail":{"message":"bad layer"},"error":"bad layer"}`,
			wantErr: "bad layer"},
		{name: "error only", stream: `{"error":"no space"}`, wantErr: "no space"},
		{name: "garbage", stream: `not json`, wantErr: "reading engine response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkLoadStream(strings.NewReader(tt.stream))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
