package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Backlog is what the audit spool holds that the hub has not taken yet.
type Backlog struct {
	Records int       `json:"records"`
	Bytes   int64     `json:"bytes"`
	Oldest  time.Time `json:"oldest,omitzero"` // the oldest record's time
}

// Status is what a gateway's state directory says of it, running or not.
type Status struct {
	StateDir    string         `json:"state_dir"`
	LastContact time.Time      `json:"last_contact,omitzero"` // as last saved; zero: never
	Grace       time.Duration  `json:"grace"`
	Grants      []hubapi.Grant `json:"grants"` // saved, not yet past their deadline
	Backlog     Backlog        `json:"audit_backlog"`
}

// ReadStatus reads the state directory of the gateway configured by c. It
// changes nothing there, so it may run beside the gateway.
func ReadStatus(c *Config) (Status, error) {
	st := Status{StateDir: c.StateDir, Grace: c.Grace, Grants: []hubapi.Grant{}}
	if _, err := os.Stat(c.StateDir); err != nil {
		return st, fmt.Errorf("reading the gateway's state: %w; is state_dir right, and may this user read it?", err)
	}
	var err error
	if st.LastContact, err = loadContact(c.StateDir); err != nil {
		return st, err
	}
	saved, err := loadGrants(c.StateDir)
	if err != nil {
		return st, err
	}
	now := time.Now()
	for _, g := range saved.Grants {
		if now.Before(g.NotAfter) {
			st.Grants = append(st.Grants, g)
		}
	}
	shipped := int64(0)
	if b, err := os.ReadFile(filepath.Join(c.StateDir, shipFile)); err == nil {
		shipped, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	st.Backlog, err = readBacklog(filepath.Join(c.StateDir, auditFile), shipped, -1)
	return st, err
}

// readBacklog counts the whole records of the spool file at path from
// byte from up to to (-1: its end), and reads the first one's time.
func readBacklog(path string, from, to int64) (Backlog, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Backlog{}, nil
	}
	if err != nil {
		return Backlog{}, fmt.Errorf("reading the audit spool: %w", err)
	}
	defer f.Close()
	if to < 0 {
		fi, err := f.Stat()
		if err != nil {
			return Backlog{}, err
		}
		to = fi.Size()
	}
	if from < 0 || from > to {
		from = 0 // emptied after the offset was written, as openSpool reads it
	}
	var b Backlog
	br := bufio.NewReaderSize(io.NewSectionReader(f, from, to-from), 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) { // a long record: count it whole
			rest, err2 := br.ReadBytes('\n')
			line, err = append(bytes.Clone(line), rest...), err2
		}
		if err != nil {
			return b, nil // the end, or a record half-written
		}
		if b.Records == 0 {
			var r hubapi.AuditRecord
			if json.Unmarshal(line, &r) == nil {
				b.Oldest = r.Time
			}
		}
		b.Records++
		b.Bytes += int64(len(line))
	}
}

// backlog is what the spool holds that the hub has not taken yet.
func (s *spool) backlog() (Backlog, error) {
	s.mu.Lock()
	from, to := s.shipped, s.size
	s.mu.Unlock()
	return readBacklog(filepath.Join(s.dir, auditFile), from, to)
}

// serveMetrics serves /metrics on addr until the gateway closes.
func (gw *Gateway) serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: listening on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		gw.writeMetrics(w)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	gw.metricsLn = ln
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(gw.ctx, func() { srv.Close() })
	return nil
}

// writeMetrics writes the gateway's gauges in the Prometheus text format.
func (gw *Gateway) writeMetrics(w io.Writer) {
	b, err := gw.spool.backlog()
	if err != nil {
		gw.log.Error("metrics: reading the audit backlog", "err", err)
	}
	now := gw.clock.Now()
	gw.mu.Lock()
	contact, failed, grants := gw.lastContact, gw.failedClosed, len(gw.grants)
	gw.mu.Unlock()
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	gauge("devenv_gateway_audit_backlog_records", "Audit records waiting on disk for the hub.", float64(b.Records))
	gauge("devenv_gateway_audit_backlog_bytes", "Bytes of audit records waiting on disk for the hub.", float64(b.Bytes))
	oldest := 0.0
	if !b.Oldest.IsZero() {
		oldest = now.Sub(b.Oldest).Seconds()
	}
	gauge("devenv_gateway_audit_backlog_oldest_seconds", "Age of the oldest audit record waiting for the hub; 0 when none waits.", oldest)
	since := -1.0
	if !contact.IsZero() {
		since = now.Sub(contact).Seconds()
	}
	gauge("devenv_gateway_hub_contact_age_seconds", "Seconds since the hub last answered; -1 if it never has.", since)
	gauge("devenv_gateway_failed_closed", "1 while the gateway refuses every grant because the hub is away longer than the grace.", bool01(failed))
	gauge("devenv_gateway_grants_active", "Grants enforced.", float64(grants))
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
