package accesshub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The quarantine keeps the gateway audit records the hub cannot attribute
// (a request it does not know after a restore from backup, a gateway
// re-registered from another hub, an action no gateway records), outside
// the chain, so that they are neither lost nor trusted. It is bounded:
// past maxQuarantine, further such records are dropped, counted and logged.

// bucketQuarantine holds QuarantinedRecords by a sequence number. It is
// made on first use, so that stores from before it need no migration.
var bucketQuarantine = []byte("auditquarantine")

// maxQuarantine bounds the records kept in the quarantine; a variable for
// tests.
var maxQuarantine = 10000

// adminQuarantine lists the quarantine on the admin socket:
//
//	GET /v1/audit/quarantine -> []QuarantinedRecord
const adminQuarantine = "/v1/audit/quarantine"

// QuarantinedRecord is a gateway's audit record the hub could not chain.
type QuarantinedRecord struct {
	Gateway    string             `json:"gateway"`
	ReceivedAt time.Time          `json:"received_at"`
	Reason     string             `json:"reason"`
	Record     hubapi.AuditRecord `json:"record"`
}

// quarantineTx adds to the quarantine inside one transaction; n is the
// number of records it holds, counted once.
type quarantineTx struct {
	b *bolt.Bucket
	n int
}

func openQuarantine(tx *bolt.Tx) (*quarantineTx, error) {
	b, err := tx.CreateBucketIfNotExists(bucketQuarantine)
	if err != nil {
		return nil, err
	}
	return &quarantineTx{b: b, n: b.Stats().KeyN}, nil
}

// add keeps r aside; kept is false when the quarantine is full.
func (q *quarantineTx) add(gateway, reason string, r hubapi.AuditRecord) (kept bool, err error) {
	if q.n >= maxQuarantine {
		return false, nil
	}
	seq, err := q.b.NextSequence()
	if err != nil {
		return false, err
	}
	raw, err := json.Marshal(QuarantinedRecord{Gateway: gateway, ReceivedAt: r.ReceivedAt, Reason: reason, Record: r})
	if err != nil {
		return false, err
	}
	q.n++
	return true, q.b.Put(binary.BigEndian.AppendUint64(nil, seq), raw)
}

// readQuarantine lists the quarantine in the order it was filled.
func readQuarantine(tx *bolt.Tx) ([]QuarantinedRecord, error) {
	out := []QuarantinedRecord{}
	b := tx.Bucket(bucketQuarantine)
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		var q QuarantinedRecord
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("reading quarantined record %d: %w", binary.BigEndian.Uint64(k), err)
		}
		out = append(out, q)
		return nil
	})
	return out, err
}

// Quarantine lists the gateway audit records the hub could not chain.
func (a *Access) Quarantine() ([]QuarantinedRecord, error) {
	var out []QuarantinedRecord
	err := a.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readQuarantine(tx)
		return err
	})
	return out, err
}

// quarantineSize is the number of records in the quarantine.
func (a *Access) quarantineSize() (int, error) {
	n := 0
	err := a.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketQuarantine); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// writeQuarantineMetrics adds the quarantine's size and what it dropped.
func (a *Access) writeQuarantineMetrics(w io.Writer) error {
	n, err := a.quarantineSize()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# HELP devenv_hub_audit_quarantined Gateway audit records kept outside the chain: the hub cannot attribute them.\n# TYPE devenv_hub_audit_quarantined gauge\n")
	fmt.Fprintf(w, "devenv_hub_audit_quarantined %d\n", n)
	fmt.Fprintf(w, "# HELP devenv_hub_audit_quarantine_dropped_total Gateway audit records dropped since the hub started: the quarantine was full.\n# TYPE devenv_hub_audit_quarantine_dropped_total counter\n")
	fmt.Fprintf(w, "devenv_hub_audit_quarantine_dropped_total %d\n", a.quarantineDropped.Load())
	return nil
}

func (a *Access) adminListQuarantine(w http.ResponseWriter, _ *http.Request) error {
	q, err := a.Quarantine()
	if err != nil {
		return err
	}
	hub.WriteJSON(w, http.StatusOK, q)
	return nil
}

// Quarantine lists the running hub's quarantined gateway audit records.
func (c *AdminClient) Quarantine(ctx context.Context) ([]QuarantinedRecord, error) {
	var out []QuarantinedRecord
	err := c.Do(ctx, http.MethodGet, adminQuarantine, nil, &out)
	return out, err
}

// LoadQuarantine lists the quarantine of the hub on dataDir: through the
// admin socket while the hub runs, else from its store.
func LoadQuarantine(ctx context.Context, dataDir string) ([]QuarantinedRecord, error) {
	q, err := NewAdminClient(dataDir).Quarantine(ctx)
	if !errors.Is(err, hub.ErrNoHub) {
		return q, err
	}
	path := filepath.Join(dataDir, hub.StoreFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, hub.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		q, err = readQuarantine(tx)
		return err
	})
	return q, err
}
