package accesshub

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
)

// TestWebhookNeverBlocks: a webhook that never answers holds up neither a
// request (which notifies it) nor the hub's shutdown.
func TestWebhookNeverBlocks(t *testing.T) {
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-stuck }))
	defer srv.Close()
	defer close(stuck)
	ah := startAccessHub(t, testOptions{Webhook: srv.URL})
	start := time.Now()
	ah.mustRequest(t, "alice", "prod-db", time.Hour)
	if d := time.Since(start); d > testutil.Scaled(time.Second) {
		t.Errorf("a request took %v with a stuck webhook", d)
	}
	start = time.Now()
	ah.Close()
	if d := time.Since(start); d > testutil.Scaled(2*time.Second) {
		t.Errorf("closing the hub took %v with a stuck webhook", d)
	}
}
