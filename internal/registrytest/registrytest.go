// Package registrytest runs an in-process OCI registry on loopback for tests
// that pull through a real Docker Engine (which trusts 127.0.0.0/8 registries
// over plain HTTP), and builds small random images to push to it.
package registrytest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options configure a registry.
type Options struct {
	// Username and Password, when Username is set, require HTTP basic auth
	// on every request (401 with a Basic challenge otherwise).
	Username, Password string
	// Handler, when set, wraps the registry's handler, e.g. to fail or
	// tamper with some requests.
	Handler func(http.Handler) http.Handler
}

// Registry is a running registry.
type Registry struct {
	Addr string // host:port on 127.0.0.1

	opts Options
	srv  *http.Server
	done chan struct{} // closed when Serve returns
}

// Start starts a registry on 127.0.0.1 on a free port. Close stops it.
func Start(opts Options) (*Registry, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for a test registry: %w", err)
	}
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if opts.Username != "" {
		h = basicAuth(h, opts.Username, opts.Password)
	}
	if opts.Handler != nil {
		h = opts.Handler(h)
	}
	r := &Registry{
		Addr: ln.Addr().String(),
		opts: opts,
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// Close stops the registry and drops its content.
func (r *Registry) Close() error {
	err := r.srv.Close()
	<-r.done
	return err
}

// Ref returns the reference of repoTag ("team/store:dev") in this registry.
func (r *Registry) Ref(repoTag string) string { return r.Addr + "/" + repoTag }

// Push writes img as repoTag ("team/store:dev") and returns its manifest
// digest (sha256:…). It authenticates when the registry requires it.
func (r *Registry) Push(repoTag string, img v1.Image) (string, error) {
	ref, err := name.ParseReference(r.Ref(repoTag), name.Insecure)
	if err != nil {
		return "", err
	}
	auth := authn.Anonymous
	if r.opts.Username != "" {
		auth = &authn.Basic{Username: r.opts.Username, Password: r.opts.Password}
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

func basicAuth(next http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		next.ServeHTTP(w, req)
	})
}

// Layer returns a random gzipped tar layer holding one file of size bytes.
func Layer(size int64) (v1.Layer, error) {
	return random.Layer(size, types.DockerLayer)
}

// Image builds a linux/amd64 image from the shared layers followed by n new
// random layers of size bytes each. The engine can pull and store it; it has
// no command to run.
func Image(n int, size int64, shared ...v1.Layer) (v1.Image, error) {
	layers := append([]v1.Layer(nil), shared...)
	for range n {
		l, err := Layer(size)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	if len(layers) == 0 {
		return nil, errors.New("an image needs at least one layer")
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: time.Now().UTC()}
	return mutate.ConfigFile(img, cfg)
}
