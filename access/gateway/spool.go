package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// maxBatch bounds the records of one delivery.
const maxBatch = 500

// spool keeps audit records on disk, append-only, until the hub has them:
// audit.jsonl holds the records and audit.shipped the byte offset up to
// which the hub acknowledged them. Once everything is shipped the file
// starts over. Delivery is at least once: a crash between the hub's answer
// and the offset's update sends a batch again.
type spool struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	f       *os.File // guarded by mu; opened for append
	size    int64    // guarded by mu; bytes in f
	shipped int64    // guarded by mu; bytes the hub has

	more  chan struct{} // a record was added; capacity 1
	retry chan struct{} // the hub answered again; capacity 1
}

func openSpool(dir string, log *slog.Logger) (*spool, error) {
	s := &spool{dir: dir, log: log, more: make(chan struct{}, 1), retry: make(chan struct{}, 1)}
	f, err := os.OpenFile(filepath.Join(dir, auditFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the audit spool: %w", err)
	}
	size, err := dropTornRecord(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening the audit spool: %w", err)
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	s.f, s.size = f, size
	if b, err := os.ReadFile(filepath.Join(dir, shipFile)); err == nil {
		s.shipped, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	if s.shipped > s.size || s.shipped < 0 {
		s.shipped = 0 // the spool was emptied after the offset was written
	}
	return s, nil
}

// dropTornRecord cuts a last line left half-written by a crash and returns
// the file's size.
func dropTornRecord(f *os.File) (int64, error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, err
	}
	keep := int64(bytes.LastIndexByte(b, '\n') + 1)
	if keep != int64(len(b)) {
		if err := f.Truncate(keep); err != nil {
			return 0, err
		}
	}
	return keep, nil
}

// add appends a record; it is on disk when add returns.
func (s *spool) add(r hubapi.AuditRecord) {
	b, err := json.Marshal(r)
	if err != nil {
		s.log.Error("encoding an audit record", "err", err)
		return
	}
	s.mu.Lock()
	n, err := s.f.Write(append(b, '\n'))
	s.size += int64(n)
	s.mu.Unlock()
	if err != nil {
		s.log.Error("writing an audit record", "action", r.Action, "err", err)
	}
	poke(s.more)
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// next reads up to max records not yet shipped, and the offset after them.
func (s *spool) next(max int) ([]hubapi.AuditRecord, int64, error) {
	s.mu.Lock()
	from, to := s.shipped, s.size
	s.mu.Unlock()
	if from >= to {
		return nil, from, nil
	}
	f, err := os.Open(filepath.Join(s.dir, auditFile))
	if err != nil {
		return nil, from, err
	}
	defer f.Close()
	br := bufio.NewReader(io.NewSectionReader(f, from, to-from))
	var recs []hubapi.AuditRecord
	end := from
	for len(recs) < max {
		line, err := br.ReadBytes('\n')
		if err != nil {
			break // only whole lines; a line being written waits
		}
		end += int64(len(line))
		var r hubapi.AuditRecord
		if json.Unmarshal(line, &r) != nil {
			s.log.Error("skipping an unreadable audit record", "offset", end-int64(len(line)))
			continue
		}
		recs = append(recs, r)
	}
	return recs, end, nil
}

// ack records that the hub has everything up to end, and starts the file
// over once it has it all.
func (s *spool) ack(end int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shipped = end
	if s.shipped == s.size {
		if err := s.f.Truncate(0); err != nil {
			return err
		}
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		s.size, s.shipped = 0, 0
	}
	return writeFileAtomic(filepath.Join(s.dir, shipFile), []byte(strconv.FormatInt(s.shipped, 10)+"\n"))
}

// pending is the number of bytes not yet shipped.
func (s *spool) pending() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size - s.shipped
}

// postAudit delivers a batch of records to the hub.
type postAudit func(context.Context, []hubapi.AuditRecord) (hubapi.GatewayAuditResult, error)

// ship delivers records until ctx is done, retrying with backoff while the
// hub is away and at once when it answers again. The hub takes a batch
// record by record; a batch it refuses whole (a 4xx: too large, or a hub
// that checks the batch at once) is split until the one record it refuses
// is found, which is logged and skipped, so that no record holds back the
// ones after it.
func (s *spool) ship(ctx context.Context, post postAudit) {
	backoff, limit := minBackoff, maxBatch
	var failing time.Time // when delivery started failing; zero while it works
	for ctx.Err() == nil {
		recs, end, err := s.next(limit)
		if err != nil {
			s.log.Error("reading the audit spool", "err", err)
		}
		if len(recs) == 0 {
			if end > 0 && err == nil {
				_ = s.ack(end) // only unreadable lines were left
			}
			wait(ctx, s.more, s.retry, time.Minute)
			continue
		}
		res, err := post(ctx, recs)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case refusedBatch(err) && len(recs) > 1:
			limit = max(len(recs)/2, 1)
			s.log.Warn("the hub refused a batch of audit records; sending smaller ones to find the record it refuses",
				"records", len(recs), "err", err)
			continue
		case refusedBatch(err):
			s.log.Error("the hub refused an audit record; it is skipped and kept only in this log",
				"record", recordJSON(recs[0]), "err", err)
		case err != nil:
			if failing.IsZero() || time.Since(failing) > time.Minute {
				b, _ := s.backlog()
				s.log.Warn("audit delivery failed; the records wait on disk", "records", b.Records, "oldest", b.Oldest, "err", err)
				failing = time.Now()
			}
			wait(ctx, s.retry, nil, backoff)
			backoff = min(2*backoff, maxBackoff)
			continue
		default:
			s.reportRejected(recs, res)
		}
		if !failing.IsZero() {
			s.log.Info("audit delivery resumed", "since", failing)
			failing = time.Time{}
		}
		backoff, limit = minBackoff, maxBatch
		if err := s.ack(end); err != nil {
			s.log.Error("recording delivered audit records", "err", err)
		}
	}
}

// refusedBatch reports whether the hub refused a batch for what it holds
// (400, 413, 422), rather than for who sent it (401, 403) or when (429,
// 5xx), which sending again later may fix.
func refusedBatch(err error) bool {
	var e *hubclient.APIError
	return errors.As(err, &e) && (e.Status == http.StatusBadRequest ||
		e.Status == http.StatusRequestEntityTooLarge || e.Status == http.StatusUnprocessableEntity)
}

// reportRejected logs the records the hub quarantined (kept, but outside
// its chain) and dropped (not kept: logged here in full).
func (s *spool) reportRejected(recs []hubapi.AuditRecord, res hubapi.GatewayAuditResult) {
	if n := len(res.Quarantined); n > 0 {
		q := res.Quarantined[0]
		s.log.Warn("the hub quarantined audit records it cannot attribute; see devenv hub audit quarantine on the hub",
			"records", n, "first_reason", q.Reason, "first", recordJSON(at(recs, q.Index)))
	}
	for _, d := range res.Dropped {
		s.log.Error("the hub dropped an audit record: its quarantine is full; the record is kept only in this log",
			"reason", d.Reason, "record", recordJSON(at(recs, d.Index)))
	}
}

func at(recs []hubapi.AuditRecord, i int) hubapi.AuditRecord {
	if i < 0 || i >= len(recs) {
		return hubapi.AuditRecord{}
	}
	return recs[i]
}

func recordJSON(r hubapi.AuditRecord) string {
	b, _ := json.Marshal(r)
	return string(b)
}

// wait returns after d, or when ctx is done or a or b is poked.
func wait(ctx context.Context, a, b chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-a:
	case <-b:
	case <-t.C:
	}
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
