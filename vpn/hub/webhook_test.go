package hub

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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

// TestWebhookURLNotLogged: a notification that fails is logged without the
// webhook URL's secret path.
func TestWebhookURLNotLogged(t *testing.T) {
	var logs bytes.Buffer
	const secretURL = "http://127.0.0.1:1/services/T000/B000/s3cr3t-token"
	w := newWebhook(secretURL, slog.New(slog.NewTextHandler(&logs, nil)))
	w.send("hello")
	w.close() // waits for the send
	if !strings.Contains(logs.String(), "webhook notification failed") {
		t.Fatalf("no log line for the failed notification:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("the log has the webhook's secret:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "http://127.0.0.1:1/…") {
		t.Errorf("the log does not say which webhook:\n%s", logs.String())
	}
}
