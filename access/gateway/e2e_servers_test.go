//go:build linux

package gateway_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/netnstest"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// --- the production upstream and the webhook receiver ------------------

// seen is one request that reached the upstream.
type seen struct {
	method, path, query, auth, override, upgrade string
}

// prodServer is the "production" HTTP server, on the gateway host's
// loopback: it records every request that reaches it, answers GET /, and
// streams a line every 50 ms on /stream until the connection is cut.
type prodServer struct {
	url string
	mu  sync.Mutex
	got []seen // guarded by mu
}

func startProd(t *testing.T, h *netnstest.Host) *prodServer {
	var ln net.Listener
	if err := h.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p := &prodServer{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *prodServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.got = append(p.got, seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
		override: r.Header.Get("X-HTTP-Method-Override"), upgrade: r.Header.Get("Upgrade")})
	p.mu.Unlock()
	if r.URL.Path != "/stream" {
		io.WriteString(w, "hello from production\n")
		return
	}
	for {
		if _, err := io.WriteString(w, "tick\n"); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *prodServer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func (p *prodServer) since(i int) []seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got[i:])
}

func (p *prodServer) last(path string) seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.got) - 1; i >= 0; i-- {
		if p.got[i].path == path {
			return p.got[i]
		}
	}
	return seen{}
}

// webhookSink receives the hub's Slack-compatible notifications, on the
// hub host's loopback.
type webhookSink struct {
	url string
	mu  sync.Mutex
	got []string // guarded by mu
}

func startWebhook(t *testing.T, h *netnstest.Host) *webhookSink {
	var ln net.Listener
	if err := h.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s := &webhookSink{url: "http://" + ln.Addr().String() + "/hook"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Text string }
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || r.Method != http.MethodPost {
			http.Error(w, "want a POST of {\"text\": …}", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, msg.Text)
		s.mu.Unlock()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *webhookSink) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// --- files -------------------------------------------------------------

// grepDir names the first file under dir that contains s, or "".
func grepDir(dir, s string) string {
	found := ""
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(s)) {
			found = path
		}
		return nil
	})
	return found
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// editAudit rewrites audit record seq in a hub store, as someone with the
// file but not the chain's secrets would.
func editAudit(t *testing.T, store string, seq uint64, edit func(*hubapi.AuditRecord)) {
	db, err := bolt.Open(store, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, seq)
		var r hubapi.AuditRecord
		if err := json.Unmarshal(b.Get(key), &r); err != nil {
			return err
		}
		edit(&r)
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(key, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
}
