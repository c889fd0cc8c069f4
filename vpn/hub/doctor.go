package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// DoctorOptions says which store Doctor examines, and whether it salvages it.
type DoctorOptions struct {
	// DataDir is a stopped hub's data directory; its hub.db is examined.
	DataDir string
	// Store is a store file to examine instead, such as a backup.
	Store string
	// RepairTo, when set, is a new file that receives every record that
	// can be read. The examined store is never modified.
	RepairTo string
}

// DoctorReport is what Doctor found and, with RepairTo, salvaged.
type DoctorReport struct {
	Store  string        `json:"store"`
	Damage []Damage      `json:"damage"` // empty when the store is sound
	Repair *RepairReport `json:"repair,omitempty"`
}

// RepairReport is what went into the new store, and what did not.
type RepairReport struct {
	Store  string         `json:"store"`
	Copied map[string]int `json:"copied"` // bucket -> keys copied
	Lost   []Damage       `json:"lost"`   // what the new store lacks
	// AuditIntact says whether the new store's audit chain verifies;
	// Audit says how many records it holds, or where it breaks.
	AuditIntact bool   `json:"audit_intact"`
	Audit       string `json:"audit"`
}

// ErrHubRunning is returned by the offline commands when a hub holds the store.
var ErrHubRunning = errors.New("the hub is running")

// Doctor checks a stopped hub's store: both meta pages, bbolt's page
// check, every record, the audit chain. With RepairTo it copies what can
// be read, key by key, into a new store.
func Doctor(opts DoctorOptions) (DoctorReport, error) {
	path := opts.Store
	if path == "" {
		path = filepath.Join(opts.DataDir, storeName)
	}
	rep := DoctorReport{Store: path, Damage: []Damage{}}
	if _, err := os.Stat(path); err != nil {
		return rep, fmt.Errorf("examining the hub's store: %w", err)
	}
	if opts.RepairTo != "" {
		if err := checkRepairTarget(path, opts.RepairTo); err != nil {
			return rep, err
		}
	}
	db, err := openForDoctor(path)
	if errors.Is(err, ErrDamaged) {
		var de *DamagedError
		errors.As(err, &de)
		rep.Damage = de.Damage
		if opts.RepairTo != "" {
			return rep, fmt.Errorf("nothing in %s can be read, so nothing can be salvaged (%s); restore the last backup", path, de.Damage[0])
		}
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer db.Close()
	if d := metaDamage(path); d != nil {
		rep.Damage = append(rep.Damage, *d)
	}
	rep.Damage = append(rep.Damage, inspectStore(db)...)
	if d := auditChainDamage(db); d != nil {
		rep.Damage = append(rep.Damage, *d)
	}
	if opts.RepairTo != "" {
		r, err := repair(db, opts.RepairTo)
		if err != nil {
			return rep, err
		}
		if d := metaDamage(path); d != nil {
			r.Lost = append([]Damage{*d}, r.Lost...)
		}
		rep.Repair = &r
	}
	return rep, nil
}

// openForDoctor opens a store read-only, refusing one a hub holds: the
// doctor must see a store nobody is writing.
func openForDoctor(path string) (*bolt.DB, error) {
	var db *bolt.DB
	err := safely(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		return err
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w on %s (it holds the store): stop it before devenv hub doctor, "+
			"or examine a copy: devenv hub backup COPY.db, then devenv hub doctor --store COPY.db", ErrHubRunning, filepath.Dir(path))
	}
	if err != nil {
		return nil, damagedOr(path, err)
	}
	return db, nil
}

// checkRepairTarget refuses a repair that would overwrite anything.
func checkRepairTarget(src, out string) error {
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("--repair %s: the file exists; the repair writes a new store and never overwrites one", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--repair %s: %w", out, err)
	}
	a, errA := filepath.Abs(src)
	b, errB := filepath.Abs(out)
	if errA == nil && errB == nil && a == b {
		return fmt.Errorf("--repair %s: that is the store being examined; name a new file", out)
	}
	return nil
}

// auditChainDamage verifies the chain of the records that can be read.
func auditChainDamage(db *bolt.DB) *Damage {
	recs, err := readableAudit(db)
	if err != nil {
		return &Damage{Where: "audit chain", What: err.Error()}
	}
	if err := hubapi.VerifyAudit(recs); err != nil {
		return &Damage{Where: "audit chain", What: "does not verify: " + err.Error()}
	}
	return nil
}

// readableAudit is every audit record that parses, in order.
func readableAudit(db *bolt.DB) ([]hubapi.AuditRecord, error) {
	var recs []hubapi.AuditRecord
	err := safely(func() error {
		return db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketAudit)
			if b == nil {
				return nil
			}
			return b.ForEach(func(_, v []byte) error {
				var r hubapi.AuditRecord
				if json.Unmarshal(v, &r) == nil {
					recs = append(recs, r)
				}
				return nil
			})
		})
	})
	return recs, err
}

// repairedAudit says how the audit chain of a repaired store stands:
// records lost anywhere in it break it, even where what is left verifies
// (a lost head or tail leaves no gap).
func repairedAudit(db *bolt.DB, lost bool) (bool, string) {
	recs, err := readableAudit(db)
	if err != nil {
		return false, err.Error()
	}
	err = hubapi.VerifyAudit(recs)
	switch {
	case err != nil:
		return false, fmt.Sprintf("%d records kept; the chain does not verify (%v): records were lost. "+
			"Keep the damaged store: it is the evidence of what the chain held", len(recs), err)
	case lost:
		return false, fmt.Sprintf("%d records kept, but audit records were lost (above), so the chain is incomplete. "+
			"Keep the damaged store: it is the evidence of what the chain held", len(recs))
	}
	return true, fmt.Sprintf("%d records; the chain verifies", len(recs))
}
