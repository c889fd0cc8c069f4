package hub

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// webhookReceiver is a Slack-compatible receiver that keeps every text.
type webhookReceiver struct {
	url   string
	texts chan string
}

func startWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	w := &webhookReceiver{texts: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
			t.Errorf("webhook got %s with %s", r.Method, r.Header.Get("Content-Type"))
		}
		w.texts <- body.Text
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *webhookReceiver) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-w.texts:
		return s
	case <-time.After(2 * time.Second):
		t.Fatal("no webhook notification within 2s")
		return ""
	}
}

func TestWebhookNeverBlocks(t *testing.T) {
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-stuck }))
	defer srv.Close()
	defer close(stuck)
	ah := startAccessHub(t, Options{Webhook: srv.URL})
	start := time.Now()
	ah.mustRequest(t, "alice", "prod-db", time.Hour)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a request took %v with a stuck webhook", d)
	}
	start = time.Now()
	ah.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closing the hub took %v with a stuck webhook", d)
	}
}
