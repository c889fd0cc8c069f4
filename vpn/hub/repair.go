package hub

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// indexes are the buckets whose values name a record in another bucket,
// the hub's and its extensions'. A repair drops an entry whose record did
// not survive, so that no address, key or token stays bound to nothing.
func indexes() []struct{ index, records []byte } {
	ixs := []struct{ index, records []byte }{
		{bucketLeases, bucketDevices}, {bucketNames, bucketDevices}, {bucketKeys, bucketDevices},
		{bucketTokens, bucketDevices},
	}
	for _, b := range extensionBuckets() {
		if b.Names != nil {
			ixs = append(ixs, struct{ index, records []byte }{b.Name, b.Names})
		}
	}
	return ixs
}

// salvage is what one bucket of a damaged store yields.
type salvage struct {
	name []byte
	seq  uint64
	kvs  [][2][]byte
	lost []Damage
}

// take keeps a record that parses, and notes one that does not.
func (s *salvage) take(k, v []byte) {
	if problem := checkRecord(s.name, v); problem != "" {
		s.lost = append(s.lost, Damage{Where: recordName(s.name, k), What: problem})
		return
	}
	if v == nil {
		s.lost = append(s.lost, Damage{Where: recordName(s.name, k), What: "a nested bucket; the hub keeps none, it was not copied"})
		return
	}
	s.kvs = append(s.kvs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
}

// repair copies every readable record of src into a new store at out,
// written beside it and renamed into place once complete.
func repair(src *bolt.DB, out string) (RepairReport, error) {
	rep := RepairReport{Store: out, Copied: map[string]int{}, Lost: []Damage{}}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.partial")
	if err != nil {
		return rep, fmt.Errorf("creating the repaired store: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	dst, err := bolt.Open(tmp.Name(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return rep, fmt.Errorf("creating the repaired store: %w", err)
	}
	names, lost := storeBuckets(src)
	rep.Lost = append(rep.Lost, lost...)
	for _, name := range names {
		s := readBucket(src, name)
		rep.Lost = append(rep.Lost, s.lost...)
		if err := writeBucket(dst, s); err != nil {
			dst.Close()
			return rep, fmt.Errorf("writing the repaired store: %w", err)
		}
		rep.Copied[string(name)] = len(s.kvs)
	}
	dropped, err := dropDangling(dst)
	if err != nil {
		dst.Close()
		return rep, fmt.Errorf("writing the repaired store: %w", err)
	}
	for _, d := range dropped {
		rep.Copied[d.bucket]--
		rep.Lost = append(rep.Lost, d.Damage)
	}
	rep.Lost = collapse(rep.Lost)
	rep.AuditIntact, rep.Audit = repairedAudit(dst, lostAudit(rep.Lost))
	if err := dst.Close(); err != nil {
		return rep, fmt.Errorf("writing the repaired store: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return rep, fmt.Errorf("writing the repaired store: %w", err)
	}
	return rep, nil
}

// lostAudit says whether any audit record is among the losses.
func lostAudit(lost []Damage) bool {
	return slices.ContainsFunc(lost, func(d Damage) bool {
		if strings.HasPrefix(d.Where, "audit ") || d.Where == "bucket list" {
			return true
		}
		_, names, isBucket := strings.Cut(d.Where, " ") // "bucket audit", "buckets users, audit"
		isBucket = isBucket && strings.HasPrefix(d.Where, "bucket")
		return isBucket && slices.Contains(strings.Split(names, ", "), "audit")
	})
}

// storeBuckets lists the store's buckets; when its root page cannot be
// read, the buckets the hub knows are tried one by one.
func storeBuckets(src *bolt.DB) ([][]byte, []Damage) {
	var names [][]byte
	err := safely(func() error {
		return src.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, bytes.Clone(name))
				return nil
			})
		})
	})
	if err == nil {
		return names, nil
	}
	return allBuckets(), []Damage{{Where: "bucket list", What: fmt.Sprintf("unreadable (%v); the hub's buckets were looked up by name", err)}}
}

// readBucket reads a bucket forwards until a damaged page stops it, then
// backwards from its end down to the same place: one bad page loses only
// the records on it.
func readBucket(src *bolt.DB, name []byte) salvage {
	s := salvage{name: name}
	err := safely(func() error {
		return src.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(name)
			if b == nil {
				return nil
			}
			s.seq = b.Sequence()
			var last, first []byte // the last key read forwards, the first read backwards
			ferr := safely(func() error {
				c := b.Cursor()
				for k, v := c.First(); k != nil; k, v = c.Next() {
					s.take(k, v)
					last = bytes.Clone(k)
				}
				return nil
			})
			if ferr == nil {
				return nil
			}
			berr := safely(func() error {
				c := b.Cursor()
				for k, v := c.Last(); k != nil && (last == nil || bytes.Compare(k, last) > 0); k, v = c.Prev() {
					s.take(k, v)
					first = bytes.Clone(k)
				}
				return nil
			})
			s.lost = append(s.lost, Damage{Where: "bucket " + string(name), What: gap(name, last, first, ferr, berr)})
			return nil
		})
	})
	if err != nil {
		s.lost = append(s.lost, Damage{Where: "bucket " + string(name), What: "unreadable: " + err.Error()})
	}
	return s
}

// gap says which records a damaged page took with it.
func gap(bucket, last, first []byte, ferr, berr error) string {
	from, to := "from the first record", "to the last"
	if last != nil {
		from = "after " + recordName(bucket, last)
	}
	if first != nil {
		to = "before " + recordName(bucket, first)
	}
	what := fmt.Sprintf("the records %s %s are on damaged pages and were lost (%v)", from, to, ferr)
	if berr != nil && berr.Error() != ferr.Error() {
		what += fmt.Sprintf(" (%v)", berr)
	}
	return what
}

func writeBucket(dst *bolt.DB, s salvage) error {
	return dst.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(s.name)
		if err != nil {
			return err
		}
		for _, kv := range s.kvs {
			if err := b.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return b.SetSequence(s.seq)
	})
}

// droppedEntry is an index entry a repair removed.
type droppedEntry struct {
	bucket string
	Damage
}

// dropDangling removes the index entries whose record is not in dst.
func dropDangling(dst *bolt.DB) ([]droppedEntry, error) {
	var dropped []droppedEntry
	err := dst.Update(func(tx *bolt.Tx) error {
		for _, ix := range indexes() {
			b, records := tx.Bucket(ix.index), tx.Bucket(ix.records)
			if b == nil {
				continue
			}
			var gone [][]byte
			err := b.ForEach(func(k, v []byte) error {
				if records == nil || records.Get(v) == nil {
					gone = append(gone, bytes.Clone(k))
					dropped = append(dropped, droppedEntry{string(ix.index), Damage{Where: recordName(ix.index, k),
						What: "dropped: it pointed at " + recordName(ix.records, v) + ", which was lost"}})
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range gone {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return dropped, err
}
