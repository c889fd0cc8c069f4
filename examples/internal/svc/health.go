package svc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultHealthURL is what the health subcommand probes when given no URL.
const DefaultHealthURL = "http://127.0.0.1:8080/healthz"

// ProbeTimeout bounds one health probe of this service or a dependency.
const ProbeTimeout = 2 * time.Second

// ErrUnhealthy is returned by Probe when the endpoint answered, but not 200.
var ErrUnhealthy = errors.New("unhealthy")

// Probe GETs url and returns nil only for a 200 answer.
func Probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probing %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probing %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probing %s: %w: %s %s", url, ErrUnhealthy, resp.Status,
			strings.TrimSpace(string(body)))
	}
	return nil
}

// HealthCommand implements `<binary> health [URL]` for container
// healthchecks: it probes URL (DefaultHealthURL when absent), writes one line
// saying why to out, and returns the process exit code: 0 healthy, 1 not.
func HealthCommand(ctx context.Context, args []string, out io.Writer) int {
	url := DefaultHealthURL
	switch len(args) {
	case 0:
	case 1:
		url = args[0]
	default:
		fmt.Fprintln(out, "usage: health [URL]")
		return 2
	}
	if err := Probe(ctx, url); err != nil {
		fmt.Fprintln(out, err)
		return 1
	}
	fmt.Fprintf(out, "%s: ok\n", url)
	return 0
}

// Dependency is a service this one needs, probed at its /healthz.
type Dependency struct {
	Name string // as it appears in messages, e.g. "store"
	URL  string // base URL, e.g. http://store:8080
}

// HealthURL is the dependency's /healthz endpoint.
func (d Dependency) HealthURL() string {
	return strings.TrimSuffix(d.URL, "/") + "/healthz"
}

// CheckDependencies probes every dependency concurrently and returns the
// failures joined, or nil when all answered 200.
func CheckDependencies(ctx context.Context, deps []Dependency) error {
	errs := make([]error, len(deps))
	var wg sync.WaitGroup
	for i, d := range deps {
		wg.Go(func() {
			if err := Probe(ctx, d.HealthURL()); err != nil {
				errs[i] = fmt.Errorf("dependency %s: %w", d.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Healthz serves /healthz: 200 "ok" when ready returns nil, else 503 with
// the reason, so `docker inspect` health logs say what is missing.
func Healthz(ready func(ctx context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

// DependenciesReady is a readiness check for Healthz that is ready exactly
// when every dependency answers its own /healthz.
func DependenciesReady(deps []Dependency) func(ctx context.Context) error {
	return func(ctx context.Context) error { return CheckDependencies(ctx, deps) }
}
