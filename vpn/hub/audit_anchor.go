package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Checkpoints anchor the audit trail's tail. Someone with the store file
// can cut records off its end, or rewrite the whole tail with fresh
// hashes, and the chain still links; a checkpoint kept outside the hub
// (the webhook's channel, the log's collector, an admin's notes) is what
// `devenv hub audit verify --anchor` holds the trail to. The hub emits one
// when it starts serving, then every AuditCheckpointEvery if the trail
// grew, and whenever its admin asks (POST /v1/audit/checkpoint).

// DefaultAuditCheckpointEvery is how often a serving hub emits a
// checkpoint of a grown trail unless Options.AuditCheckpointEvery says otherwise.
const DefaultAuditCheckpointEvery = time.Hour

// lastAnchor is the checkpoint of the trail's last record in tx; ok is
// false when the trail is empty.
func lastAnchor(tx *bolt.Tx) (hubapi.AuditAnchor, bool, error) {
	k, raw := tx.Bucket(bucketAudit).Cursor().Last()
	if k == nil {
		return hubapi.AuditAnchor{}, false, nil
	}
	var r hubapi.AuditRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return hubapi.AuditAnchor{}, false, fmt.Errorf("reading the last audit record: %w", err)
	}
	return hubapi.AuditAnchor{Seq: r.Seq, Hash: r.Hash}, true, nil
}

// checkpoints remembers the last checkpoint emitted, so an idle trail is
// not announced again and again.
type checkpoints struct {
	mu   sync.Mutex
	last hubapi.AuditAnchor // guarded by mu
}

// Checkpoint emits a checkpoint of the audit trail now: it logs it and
// sends it to the webhook, and returns it. An empty trail has none.
func (h *Hub) Checkpoint() (hubapi.AuditAnchor, error) {
	a, _, err := h.checkpoint(true)
	return a, err
}

// checkpoint emits a checkpoint; unless always, only when the trail grew
// since the last one. emitted says whether it did.
func (h *Hub) checkpoint(always bool) (a hubapi.AuditAnchor, emitted bool, err error) {
	var ok bool
	err = h.db.View(func(tx *bolt.Tx) error {
		a, ok, err = lastAnchor(tx)
		return err
	})
	if err != nil {
		return a, false, err
	}
	if !ok {
		return a, false, ErrAuditEmpty
	}
	h.anchors.mu.Lock()
	defer h.anchors.mu.Unlock()
	if !always && a == h.anchors.last {
		return a, false, nil
	}
	h.anchors.last = a
	h.log.Info("audit checkpoint: keep it outside the hub to detect truncation",
		"anchor", a.String(), "check", "devenv hub audit verify --anchor "+a.String())
	h.webhook.send(fmt.Sprintf("Audit checkpoint %s: the hub's audit trail has %d records; keep this line, and check the trail with: devenv hub audit verify --anchor %s",
		a, a.Seq, a))
	return a, true, nil
}

// ErrAuditEmpty answers a checkpoint of a trail with no records.
var ErrAuditEmpty = NewError(http.StatusConflict, "audit_empty", "the audit trail has no records yet; there is nothing to anchor")

// runCheckpoints emits a checkpoint at once and then every interval while
// ctx lives; the returned function stops it and waits.
func (h *Hub) runCheckpoints(ctx context.Context) (stop func()) {
	every := h.opts.AuditCheckpointEvery
	if every <= 0 {
		every = DefaultAuditCheckpointEvery
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if _, _, err := h.checkpoint(false); err != nil && !errors.Is(err, ErrAuditEmpty) {
				h.log.Error("emitting an audit checkpoint", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (h *Hub) adminCheckpoint(w http.ResponseWriter, _ *http.Request) error {
	a, err := h.Checkpoint()
	if err == nil {
		writeJSON(w, http.StatusOK, a)
	}
	return err
}

// StoreCheckpoint is the checkpoint of the trail in the store in dataDir,
// read while no hub runs on it; ok is false when the trail is empty.
func StoreCheckpoint(dataDir string) (a hubapi.AuditAnchor, ok bool, err error) {
	err = viewStoreAt(dataDir, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAudit) == nil {
			return nil
		}
		a, ok, err = lastAnchor(tx)
		return err
	})
	return a, ok, err
}

// Checkpoint emits a checkpoint through the running hub on dataDir; while
// no hub runs, it reads the store's last record (nothing is sent then).
func Checkpoint(ctx context.Context, dataDir string) (a hubapi.AuditAnchor, sent bool, err error) {
	a, err = NewAdminClient(dataDir).Checkpoint(ctx)
	if err == nil || !errors.Is(err, ErrNoHub) {
		return a, err == nil, err
	}
	a, ok, err := StoreCheckpoint(dataDir)
	if err == nil && !ok {
		err = ErrAuditEmpty
	}
	return a, false, err
}
