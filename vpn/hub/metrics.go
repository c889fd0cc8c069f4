package hub

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// metrics are the hub's counters, exposed at /metrics in the Prometheus
// text format.
type metrics struct {
	enrollments atomic.Uint64
	waiters     atomic.Int64 // netmap long-polls in progress

	mu       sync.Mutex
	requests map[[2]string]uint64 // guarded by mu; by path and status code
}

func (m *metrics) request(path, code string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests == nil {
		m.requests = map[[2]string]uint64{}
	}
	m.requests[[2]string{path, code}]++
}

var knownPaths = []string{hubapi.PathEnroll, hubapi.PathNetMap, hubapi.PathLeave, hubapi.PathDevices,
	hubapi.PathRevoke, hubapi.PathMetrics, PathRotate, PathHealth}

// metricPath keeps the label set small: unknown paths count as "other".
func metricPath(p string) string {
	if slices.Contains(knownPaths, p) {
		return p
	}
	return "other"
}

func (h *Hub) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	if err := h.writeMetrics(w); err != nil {
		h.log.Error("writing metrics", "err", err)
	}
}

func (h *Hub) writeMetrics(w io.Writer) error {
	var live, revoked int
	err := h.db.View(func(tx *bolt.Tx) error {
		all, err := allDevices(tx)
		for _, d := range all {
			if d.Revoked {
				revoked++
			} else {
				live++
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	v, _ := h.changes.Current()
	fmt.Fprintf(w, "# HELP devenv_hub_devices Devices on the network.\n# TYPE devenv_hub_devices gauge\n")
	fmt.Fprintf(w, "devenv_hub_devices{state=\"live\"} %d\ndevenv_hub_devices{state=\"revoked\"} %d\n", live, revoked)
	fmt.Fprintf(w, "# HELP devenv_hub_addresses_free Addresses left for new devices.\n# TYPE devenv_hub_addresses_free gauge\n")
	fmt.Fprintf(w, "devenv_hub_addresses_free %g\n", capacity(h.opts.Network)-float64(live))
	fmt.Fprintf(w, "# HELP devenv_hub_enrollments_total Devices enrolled since the hub started.\n# TYPE devenv_hub_enrollments_total counter\n")
	fmt.Fprintf(w, "devenv_hub_enrollments_total %d\n", h.metrics.enrollments.Load())
	fmt.Fprintf(w, "# HELP devenv_hub_netmap_waiters Netmap long-polls in progress.\n# TYPE devenv_hub_netmap_waiters gauge\n")
	fmt.Fprintf(w, "devenv_hub_netmap_waiters %d\n", h.metrics.waiters.Load())
	fmt.Fprintf(w, "# HELP devenv_hub_netmap_version The netmap version.\n# TYPE devenv_hub_netmap_version gauge\n")
	fmt.Fprintf(w, "devenv_hub_netmap_version %d\n", v)
	for _, e := range h.opts.Extensions {
		if err := e.WriteMetrics(w); err != nil {
			return err
		}
	}
	return h.writeRequests(w)
}

func (h *Hub) writeRequests(w io.Writer) error {
	h.metrics.mu.Lock()
	keys := make([][2]string, 0, len(h.metrics.requests))
	for k := range h.metrics.requests {
		keys = append(keys, k)
	}
	counts := make(map[[2]string]uint64, len(keys))
	for _, k := range keys {
		counts[k] = h.metrics.requests[k]
	}
	h.metrics.mu.Unlock()
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	fmt.Fprintf(w, "# HELP devenv_hub_requests_total API requests by path and status code.\n# TYPE devenv_hub_requests_total counter\n")
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "devenv_hub_requests_total{path=%q,code=%q} %d\n", k[0], k[1], counts[k]); err != nil {
			return err
		}
	}
	return nil
}
