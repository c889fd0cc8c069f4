//go:build cgo

package postgres

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestRefuse: a client turned away at its startup gets a FATAL
// too_many_connections error with the reason, over SSL negotiation too.
func TestRefuse(t *testing.T) {
	p, err := New(Options{Upstream: "127.0.0.1:1", User: "ro", Database: "app"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.Refuse(context.Background(), c, "limit: sessions per grant on target db (4 at once)")
			c.Close()
		}
	}()
	for _, sslmode := range []string{"disable", "prefer"} {
		_, err := pgconn.Connect(t.Context(), "host=127.0.0.1 port="+port(l)+" user=x dbname=y sslmode="+sslmode)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "53300" || pgErr.Message != "limit: sessions per grant on target db (4 at once)" {
			t.Errorf("sslmode=%s: %v, want 53300 with the reason", sslmode, err)
		}
	}
}

func port(l net.Listener) string {
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}
