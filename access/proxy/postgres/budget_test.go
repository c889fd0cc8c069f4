//go:build cgo

package postgres

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestMessageOverTheLimit: a Query whose header claims 1 GiB (the attack
// that held 258 MiB) ends the session with a FATAL error naming the limit
// before its body is read, and the proxy's heap does not grow with it.
func TestMessageOverTheLimit(t *testing.T) {
	srv := startPostgres(t)
	hj := rawClient(t, srv)
	before := liveHeap()
	var h [5]byte
	h[0] = 'Q'
	binary.BigEndian.PutUint32(h[1:], 1<<30)
	go func() { // as much of the body as the proxy will take
		hj.Conn.Write(h[:])
		chunk := make([]byte, 1<<20)
		for range 64 {
			if _, err := hj.Conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	e := fatalOf(t, hj)
	if e.Code != "54000" || !strings.Contains(e.Message, "over the read-only proxy's limit of 16777216 bytes per message") {
		t.Errorf("a 1 GiB Query: %s %q, want 54000 naming the limit", e.Code, e.Message)
	}
	if grew := liveHeap() - before; grew > 8<<20 {
		t.Errorf("the proxy's live heap grew by %d MiB", grew>>20)
	}
}

// TestUnansweredRefusalsBounded: refused Parses without a Sync (the attack
// that held 200 MiB with a million of them) end the session once the proxy
// keeps 1024 of them.
func TestUnansweredRefusalsBounded(t *testing.T) {
	srv := startPostgres(t)
	hj := rawClient(t, srv)
	before := liveHeap()
	go func() {
		for i := range 5000 {
			hj.Frontend.Send(&pgproto3.Parse{Name: "", Query: "insert into t values (" + strings.Repeat("1", i%7+1) + ")"})
			if i%100 == 99 {
				if err := hj.Frontend.Flush(); err != nil {
					return
				}
			}
		}
		hj.Frontend.Flush()
	}()
	e := fatalOf(t, hj)
	if e.Code != "54000" || !strings.Contains(e.Message, "refused statements without a Sync: the read-only proxy keeps at most 1024") {
		t.Errorf("5000 refused Parses without Sync: %s %q, want 54000 naming the limit", e.Code, e.Message)
	}
	if grew := liveHeap() - before; grew > 8<<20 {
		t.Errorf("the proxy's live heap grew by %d MiB", grew>>20)
	}
}

// fatalOf reads what the proxy sends until a FATAL error.
func fatalOf(t *testing.T, hj *pgconn.HijackedConn) *pgproto3.ErrorResponse {
	t.Helper()
	hj.Conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		msg, err := hj.Frontend.Receive()
		if err != nil {
			t.Fatalf("no FATAL error before the connection ended: %v", err)
		}
		if e, ok := msg.(*pgproto3.ErrorResponse); ok && e.Severity == "FATAL" {
			return e
		}
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
