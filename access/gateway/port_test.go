package gateway

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestAnyPortIsReported checks listen_port: 0 and metrics on port 0: the
// gateway binds free ports, says which, and gives the hub the endpoint with
// the bound port.
func TestAnyPortIsReported(t *testing.T) {
	hub := newFakeHub(t)
	c := testConfig(t, hub, prodUpstream(t).URL, t.TempDir(), 30*time.Second)
	c.Metrics = "127.0.0.1:0"
	gw, _ := startGateway(t, c, hub.client())
	port := gw.ListenPort()
	if port == 0 {
		t.Fatal("ListenPort is 0 for listen_port: 0")
	}
	want := fmt.Sprintf("127.0.0.1:%d", port)
	if got := gw.Endpoint(); got != want {
		t.Errorf("Endpoint %q, want %q", got, want)
	}
	testutil.Eventually(t, "registration", func() bool { return hub.registrations() > 0 })
	hub.mu.Lock()
	got := hub.registered[0].Endpoint
	hub.mu.Unlock()
	if got != want {
		t.Errorf("the hub was given endpoint %q, want %q", got, want)
	}
	addr := gw.MetricsAddr()
	if addr == nil {
		t.Fatal("MetricsAddr is nil with metrics: set")
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics: %s", resp.Status)
	}
}
