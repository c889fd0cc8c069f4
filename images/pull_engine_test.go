package images

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/registrytest"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// noCredentials points DOCKER_CONFIG at an empty directory, so that the
// machine's own docker login does not leak into the test.
func noCredentials(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	return dir
}

func compressedSize(t *testing.T, img v1.Image) int64 {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		n += s
	}
	return n
}

func TestPullFresh(t *testing.T) {
	cli := engine(t)
	noCredentials(t)
	r := startRegistry(t, registrytest.Options{})
	img := newImage(t, 3, 1<<20)
	ref, digest := push(t, r, "fresh/app:1", img)
	removeImages(t, cli, ref)

	var rec events
	reqs := []Request{{Ref: ref, Services: []string{"web"}}, {Ref: ref, Services: []string{"api", "web"}}}
	got, err := Pull(t.Context(), cli, reqs, PullOptions{Progress: &rec})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := img.ConfigName()
	if d := cmp.Diff(map[string]Result{ref: {ImageID: id.String(), Digest: digest}}, got); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	evs := rec.of(ref)
	var statuses []Status
	for _, e := range evs {
		if !slices.Equal(e.Services, []string{"api", "web"}) {
			t.Errorf("event services = %v, want [api web] once", e.Services)
		}
		if len(statuses) == 0 || statuses[len(statuses)-1] != e.Status {
			statuses = append(statuses, e.Status)
		}
	}
	if statuses[0] != StatusPulling || statuses[len(statuses)-1] != StatusPulled || !slices.Contains(statuses, StatusExtracting) {
		t.Errorf("statuses = %v, want pulling … extracting … pulled", statuses)
	}
	last := evs[len(evs)-1]
	if size := compressedSize(t, img); last.Layers != 3 || last.LayersDone != 3 || last.Current != size || last.Total != size {
		t.Errorf("last event = %s, want layers 3/3 bytes %d/%d", render(last), size, size)
	}

	rec = events{}
	if _, err := Pull(t.Context(), cli, reqs[:1], PullOptions{Progress: &rec}); err != nil {
		t.Fatal(err)
	}
	if evs := rec.of(ref); evs[len(evs)-1].Status != StatusUpToDate {
		t.Errorf("second pull ended %s, want %s", evs[len(evs)-1].Status, StatusUpToDate)
	}
}

func TestPullParallel(t *testing.T) {
	cli := engine(t)
	noCredentials(t)
	r := startRegistry(t, registrytest.Options{})
	shared, err := registrytest.Layer(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []Request
	want := map[string]string{}
	for _, name := range []string{"par/a:1", "par/b:1", "par/c:1"} {
		ref, digest := push(t, r, name, newImage(t, 2, 512<<10, shared))
		reqs = append(reqs, Request{Ref: ref, Services: []string{name}})
		want[ref] = digest
	}
	for _, req := range reqs {
		removeImages(t, cli, req.Ref)
	}
	counting := &countingClient{Client: cli}
	var rec events
	got, err := Pull(t.Context(), counting, reqs, PullOptions{Parallel: 2, Progress: &rec})
	if err != nil {
		t.Fatal(err)
	}
	for ref, d := range want {
		if got[ref].Digest != d {
			t.Errorf("%s: digest %s, want %s", ref, got[ref].Digest, d)
		}
	}
	if counting.most != 2 {
		t.Errorf("at most %d pulls ran at once, want 2", counting.most)
	}
	waited := 0
	for _, e := range rec.list {
		if e.Status == StatusWaiting {
			waited++
		}
	}
	if waited != 1 {
		t.Errorf("%d images waited for a slot, want 1", waited)
	}
}

func writeConfig(t *testing.T, host, user, pass string) {
	dir := noCredentials(t)
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg := `{"auths":{"` + host + `":{"auth":"` + auth + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPullAuth(t *testing.T) {
	cli := engine(t)
	const secret = "s3cret-Passw0rd"
	r := startRegistry(t, registrytest.Options{Username: "dev", Password: secret})
	ref, digest := push(t, r, "private/app:1", newImage(t, 1, 1024))
	removeImages(t, cli, ref)
	reqs := []Request{{Ref: ref, Services: []string{"app"}}}

	t.Run("right credentials", func(t *testing.T) {
		writeConfig(t, r.Addr, "dev", secret)
		got, err := Pull(t.Context(), cli, reqs, PullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got[ref].Digest != digest {
			t.Errorf("digest %s, want %s", got[ref].Digest, digest)
		}
		pins, err := Resolve(t.Context(), cli, []string{ref}, nil)
		if err != nil || pins[ref].Digest != digest {
			t.Errorf("Resolve = %v, %v; want %s", pins, err, digest)
		}
	})
	for _, tt := range []struct{ name, user, pass string }{
		{"wrong password", "dev", "wrong-" + secret},
		{"no credentials", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			noCredentials(t)
			if tt.user != "" {
				writeConfig(t, r.Addr, tt.user, tt.pass)
			}
			var rec events
			_, err := Pull(t.Context(), cli, reqs, PullOptions{Progress: &rec})
			checkUnauthorized(t, err, r.Addr, secret)
			for _, e := range rec.list {
				if strings.Contains(e.Error, secret) {
					t.Errorf("event shows the secret: %s", e.Error)
				}
			}
			_, err = Resolve(t.Context(), cli, []string{ref}, nil)
			checkUnauthorized(t, err, r.Addr, secret)
		})
	}
}

func checkUnauthorized(t *testing.T, err error, host, secret string) {
	t.Helper()
	var pe *PullError
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want a *PullError for ErrUnauthorized", err)
	}
	t.Logf("engine: %s", pe.Detail)
	msg := err.Error()
	if !strings.Contains(msg, "docker login "+host) {
		t.Errorf("error %q does not say to docker login %s", msg, host)
	}
	if strings.Contains(msg, secret) || strings.Contains(pe.Detail, secret) {
		t.Errorf("error shows the secret: %s", msg)
	}
}

func TestPullFailures(t *testing.T) {
	cli := engine(t)
	noCredentials(t)
	r := startRegistry(t, registrytest.Options{})
	ref, _ := push(t, r, "fail/works:2.7", newImage(t, 1, 1024))
	removeImages(t, cli, ref)
	tests := []struct {
		name, ref string
		kind      error
	}{
		{"missing tag", r.Ref("fail/works:2.8"), ErrNotFound},
		{"missing repository", r.Ref("fail/nothing:1"), ErrNotFound},
		{"unreachable", "127.0.0.1:1/fail/works:2.7", ErrRegistryUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Pull(t.Context(), cli, []Request{{Ref: tt.ref, Services: []string{"works"}}}, PullOptions{})
			var pe *PullError
			if !errors.As(err, &pe) || !errors.Is(err, tt.kind) {
				t.Fatalf("error = %v, want a *PullError for %v", err, tt.kind)
			}
			t.Logf("pull engine: %s\nerror: %v", pe.Detail, err)
			_, err = Resolve(t.Context(), cli, []string{tt.ref}, nil)
			if !errors.As(err, &pe) || !errors.Is(err, tt.kind) {
				t.Fatalf("Resolve error = %v, want a *PullError for %v", err, tt.kind)
			}
			t.Logf("resolve engine: %s", pe.Detail)
		})
	}
	_, err := Pull(t.Context(), cli, []Request{{Ref: r.Ref("fail/works:2.8"), Services: []string{"works"}}}, PullOptions{})
	want := "service works: image " + r.Ref("fail/works:2.8") + ": not found in the registry (manifest unknown); check the name and tag, or run devenv lock again"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

// tamper serves every layer blob with its first bytes changed.
func tamper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/blobs/") {
			next.ServeHTTP(w, req)
			return
		}
		rec := &bufferedResponse{header: http.Header{}}
		next.ServeHTTP(rec, req)
		body := rec.body.Bytes()
		if len(body) > 1000 { // layers, not the small config
			body[len(body)/2] ^= 0xff
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(body)
	})
}

type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }

func TestPullDigestMismatch(t *testing.T) {
	cli := engine(t)
	noCredentials(t)
	r := startRegistry(t, registrytest.Options{Handler: tamper})
	ref, _ := push(t, r, "tampered/app:1", newImage(t, 1, 64<<10))
	removeImages(t, cli, ref)
	_, err := Pull(t.Context(), cli, []Request{{Ref: ref, Services: []string{"app"}}}, PullOptions{})
	var pe *PullError
	if !errors.As(err, &pe) || !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("error = %v, want a *PullError for ErrDigestMismatch", err)
	}
	t.Logf("engine: %s", pe.Detail)
}

// stall holds every blob download until the client goes away.
func stall(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			<-req.Context().Done()
			return
		}
		next.ServeHTTP(w, req)
	})
}

func TestPullCancel(t *testing.T) {
	cli := engine(t)
	noCredentials(t)
	r := startRegistry(t, registrytest.Options{Handler: stall})
	var reqs []Request
	for _, name := range []string{"slow/a:1", "slow/b:1", "slow/c:1"} {
		ref, _ := push(t, r, name, newImage(t, 1, 1024))
		reqs = append(reqs, Request{Ref: ref})
		removeImages(t, cli, ref)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err := Pull(ctx, cli, reqs, PullOptions{Parallel: 2})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Pull returned %v after the cancel, want promptly", d-500*time.Millisecond)
	}
}

func TestResolveMoved(t *testing.T) {
	cli := engine(t)
	noCredentials(t)
	r := startRegistry(t, registrytest.Options{})
	old := newImage(t, 1, 4096)
	ref, oldDigest := push(t, r, "moving/app:dev", old)
	pins, err := Resolve(t.Context(), cli, []string{ref, ref}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]Pin{ref: {Digest: oldDigest, Platform: "linux/amd64"}}, pins); d != "" {
		t.Errorf("Resolve (-want +got):\n%s", d)
	}
	lock := &Lock{Images: pins}

	_, newDigest := push(t, r, "moving/app:dev", newImage(t, 1, 4096))
	current, err := Resolve(t.Context(), cli, []string{ref}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if current[ref].Digest != newDigest {
		t.Errorf("after the re-push Resolve = %s, want %s", current[ref].Digest, newDigest)
	}
	if d := cmp.Diff([]string{ref}, Moved(lock, current)); d != "" {
		t.Errorf("Moved (-want +got):\n%s", d)
	}

	pinned := Pinned(ref, oldDigest)
	removeImages(t, cli, pinned, ref)
	got, err := Pull(t.Context(), cli, []Request{{Ref: pinned, Services: []string{"app"}}}, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := old.ConfigName()
	if d := cmp.Diff(map[string]Result{pinned: {ImageID: id.String(), Digest: oldDigest}}, got); d != "" {
		t.Errorf("pull of the pinned ref (-want +got):\n%s", d)
	}
	removeImages(t, cli, id.String())
}
