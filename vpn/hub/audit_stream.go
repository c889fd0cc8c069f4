package hub

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The audit trail grows without bound, so it is streamed, never held
// whole: the admin socket answers GET /v1/audit with JSON lines, one
// record a line, read from the store a page at a time, and a last line
// saying the run is complete (a cut connection is then told from an end).

// AuditQuery selects a run of the audit trail; zero fields select all.
// FromSeq and ToSeq bound it by sequence number, both included; Since
// (included) and Until (excluded) keep records by their time, which
// gateways set, so a time-bounded run may have gaps and is for reading,
// not for verifying.
type AuditQuery struct {
	FromSeq, ToSeq uint64
	Since, Until   time.Time
}

func (q AuditQuery) keep(r hubapi.AuditRecord) bool {
	return !r.Time.Before(q.Since) && (q.Until.IsZero() || r.Time.Before(q.Until))
}

func (q AuditQuery) values() url.Values {
	v := url.Values{}
	if q.FromSeq > 0 {
		v.Set("from", strconv.FormatUint(q.FromSeq, 10))
	}
	if q.ToSeq > 0 {
		v.Set("to", strconv.FormatUint(q.ToSeq, 10))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	return v
}

func parseAuditQuery(v url.Values) (AuditQuery, error) {
	var q AuditQuery
	for name, dst := range map[string]*uint64{"from": &q.FromSeq, "to": &q.ToSeq} {
		if s := v.Get(name); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return q, ErrBadRequest.With("%s=%q: want a record's sequence number", name, s)
			}
			*dst = n
		}
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, ErrBadRequest.With("%s=%q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", name, s)
			}
			*dst = t
		}
	}
	return q, nil
}

// auditPage is how many records one read transaction holds: a slow reader
// of a long trail never keeps one transaction open (bbolt cannot grow its
// file while one is).
const auditPage = 1000

// eachAuditInTx calls fn with the records of tx from seq from to seq to
// (both included; to 0: the end), at most limit of them (0: all), and
// returns the seq after the last one it visited (0 when it reached the end).
func eachAuditInTx(tx *bolt.Tx, from, to uint64, limit int, fn func(hubapi.AuditRecord) error) (uint64, error) {
	c := tx.Bucket(bucketAudit).Cursor()
	n := 0
	for k, v := c.Seek(seqKey(from)); k != nil; k, v = c.Next() {
		seq := binary.BigEndian.Uint64(k)
		if to > 0 && seq > to {
			return 0, nil
		}
		if limit > 0 && n == limit {
			return seq, nil
		}
		var r hubapi.AuditRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return 0, fmt.Errorf("reading audit record %d: %w", seq, err)
		}
		if err := fn(r); err != nil {
			return 0, err
		}
		n++
	}
	return 0, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// lastAuditSeq is the key of the last audit record in tx; 0 when none.
func lastAuditSeq(tx *bolt.Tx) uint64 {
	k, _ := tx.Bucket(bucketAudit).Cursor().Last()
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// StreamAudit calls fn with each record q selects, in order, reading the
// store a page at a time. The run ends at the last record there was when
// it began, so a busy hub's stream ends.
func (h *Hub) StreamAudit(ctx context.Context, q AuditQuery, fn func(hubapi.AuditRecord) error) error {
	var end uint64
	if err := h.db.View(func(tx *bolt.Tx) error { end = lastAuditSeq(tx); return nil }); err != nil {
		return err
	}
	if q.ToSeq == 0 || q.ToSeq > end {
		q.ToSeq = end
	}
	for next := max(q.FromSeq, 1); next > 0 && next <= q.ToSeq; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var page []hubapi.AuditRecord
		err := h.db.View(func(tx *bolt.Tx) error {
			var err error
			next, err = eachAuditInTx(tx, next, q.ToSeq, auditPage, func(r hubapi.AuditRecord) error {
				page = append(page, r)
				return nil
			})
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range page {
			if !q.keep(r) {
				continue
			}
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// auditEnd is the last line of an audit stream.
type auditEnd struct {
	End   bool          `json:"end,omitempty"`   // the run is complete
	Error *hubapi.Error `json:"error,omitempty"` // or why it stopped
}

// auditLine is a line of an audit stream as read: a record or the end.
type auditLine struct {
	hubapi.AuditRecord
	auditEnd
}

func (h *Hub) adminExportAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	err = h.StreamAudit(r.Context(), q, func(rec hubapi.AuditRecord) error { return enc.Encode(rec) })
	end := auditEnd{End: err == nil}
	if err != nil {
		if r.Context().Err() != nil {
			return nil // the reader went away
		}
		h.log.Error("streaming the audit trail", "err", err)
		e := AsError(err).API()
		if AsError(err) == ErrInternal {
			e.Message = "the hub could not read its audit trail: " + err.Error()
		}
		end.Error = &e
	}
	enc.Encode(end)
	bw.Flush()
	return nil
}

// StreamAudit calls fn with each record q selects, in order, as the hub
// streams them.
func (c *AdminClient) StreamAudit(ctx context.Context, q AuditQuery, fn func(hubapi.AuditRecord) error) error {
	resp, err := c.get(ctx, adminAudit+"?"+q.values().Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxAuditLine)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("reading the hub's audit stream: %w", err)
		}
		switch {
		case l.Error != nil:
			return &Error{Status: http.StatusInternalServerError, Code: l.Error.Code, Message: l.Error.Message}
		case l.End:
			return nil
		}
		if err := fn(l.AuditRecord); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the hub's audit stream: %w", err)
	}
	return errors.New("the hub's audit stream stopped before its end (the hub stopped?); run the command again")
}

// maxAuditLine bounds one record as streamed; a gateway's upload is at
// most 8 MiB in all.
const maxAuditLine = 16 << 20

// StreamAuditStore calls fn with each record q selects from the store in
// dataDir, while no hub runs on it (the store allows one process at a time).
func StreamAuditStore(dataDir string, q AuditQuery, fn func(hubapi.AuditRecord) error) error {
	return viewStoreAt(dataDir, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAudit) == nil {
			return nil
		}
		_, err := eachAuditInTx(tx, max(q.FromSeq, 1), q.ToSeq, 0, func(r hubapi.AuditRecord) error {
			if !q.keep(r) {
				return nil
			}
			return fn(r)
		})
		return err
	})
}

// viewStoreAt runs fn in a read transaction of the store in dataDir,
// opened read-only (and checked, see openStoreReadOnly); it fails while a
// hub runs on it.
func viewStoreAt(dataDir string, fn func(*bolt.Tx) error) error {
	db, err := openStoreReadOnly(filepath.Join(dataDir, storeName))
	if err != nil {
		return err
	}
	defer db.Close()
	return viewStore(db, fn)
}

// EachAudit calls fn with each record q selects of the hub on dataDir:
// streamed through the admin socket while the hub runs, else read from its
// store.
func EachAudit(ctx context.Context, dataDir string, q AuditQuery, fn func(hubapi.AuditRecord) error) error {
	err := NewAdminClient(dataDir).StreamAudit(ctx, q, fn)
	if errors.Is(err, ErrNoHub) {
		return StreamAuditStore(dataDir, q, fn)
	}
	return err
}

// get starts a GET on the admin socket and returns the answer to read when
// it is a success.
func (c *AdminClient) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hub"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w (%s); start it with devenv hub serve --state-dir %s", ErrNoHub, c.dataDir, c.dataDir)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, errorFromBody(resp.StatusCode, raw)
	}
	return resp, nil
}
