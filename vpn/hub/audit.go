package hub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The audit log is append-only and hash-chained (hubapi.AuditHash): each
// record is written in the transaction of the change it records, so the
// log and the state never disagree, and a record is never rewritten.

// AppendAudit chains rec after the last record inside tx. It sets Seq,
// PrevHash and Hash, and Time when rec has none.
func AppendAudit(tx *bolt.Tx, rec hubapi.AuditRecord) error {
	b := tx.Bucket(bucketAudit)
	rec.Seq, rec.PrevHash = 1, ""
	if _, raw := b.Cursor().Last(); raw != nil {
		var last hubapi.AuditRecord
		if err := json.Unmarshal(raw, &last); err != nil {
			return fmt.Errorf("reading the last audit record: %w", err)
		}
		rec.Seq, rec.PrevHash = last.Seq+1, last.Hash
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	rec.Time = rec.Time.UTC()
	rec.Hash = hubapi.AuditHash(rec)
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, rec.Seq), raw)
}

// AuditFilter selects audit records; zero fields select all.
type AuditFilter struct {
	Target string    // records of this target only
	Since  time.Time // records at or after this time
}

func (f AuditFilter) keep(r hubapi.AuditRecord) bool {
	return (f.Target == "" || r.Target == f.Target) && !r.Time.Before(f.Since)
}

// AuditRecords lists the records tx holds that f keeps, in Seq order.
func AuditRecords(tx *bolt.Tx, f AuditFilter) ([]hubapi.AuditRecord, error) {
	out := []hubapi.AuditRecord{}
	err := tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
		var r hubapi.AuditRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("reading audit record %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if f.keep(r) {
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ReadAudit reads every audit record from the store in dataDir while no
// hub runs on it (the store allows one process at a time).
func ReadAudit(dataDir string) ([]hubapi.AuditRecord, error) {
	out := []hubapi.AuditRecord{}
	err := StreamAuditStore(dataDir, AuditQuery{}, func(r hubapi.AuditRecord) error { out = append(out, r); return nil })
	return out, err
}

// LoadAudit reads every audit record of the hub on dataDir: through the
// admin socket while the hub runs, else from its store. EachAudit holds
// one record at a time.
func LoadAudit(ctx context.Context, dataDir string) ([]hubapi.AuditRecord, error) {
	out := []hubapi.AuditRecord{}
	err := EachAudit(ctx, dataDir, AuditQuery{}, func(r hubapi.AuditRecord) error { out = append(out, r); return nil })
	return out, err
}
