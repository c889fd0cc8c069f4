package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// webhookTimeout bounds one notification.
const webhookTimeout = 5 * time.Second

// webhook posts Slack-compatible messages ({"text": "…"}) to a URL, each
// in its own goroutine: a slow or failing receiver is logged and never
// holds up a request, an approval or the hub's shutdown for long.
type webhook struct {
	url    string // "" sends nothing
	log    *slog.Logger
	client *http.Client
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool           // guarded by mu
	pending sync.WaitGroup // sends in progress; Add under mu
}

func newWebhook(url string, log *slog.Logger) *webhook {
	ctx, cancel := context.WithCancel(context.Background())
	return &webhook{url: url, log: log, client: &http.Client{Timeout: webhookTimeout}, ctx: ctx, cancel: cancel}
}

// send posts text in the background.
func (w *webhook) send(text string) {
	if w == nil || w.url == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.pending.Add(1)
	go func() {
		defer w.pending.Done()
		if err := w.post(text); err != nil {
			w.log.Warn("webhook notification failed", "webhook", redactURL(w.url), "err", strings.ReplaceAll(err.Error(), w.url, redactURL(w.url)))
		}
	}()
}

func (w *webhook) post(text string) error {
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return nil
}

// close cancels sends in progress and waits for them to return.
func (w *webhook) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.pending.Wait()
}

// redactURL is a webhook URL fit for a log: its scheme and host. The rest
// is the secret (a Slack incoming webhook's path is its credential).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(the webhook URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
