package hub

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// ErrDamaged is returned when the hub's store is corrupt. The error says
// where; devenv hub doctor lists all of it and salvages the rest.
var ErrDamaged = errors.New("the hub's store is damaged")

// errDamagedPage is a bbolt panic (or a fault reading the mapped file)
// caught while reading the store.
var errDamagedPage = errors.New("a page of the store cannot be read")

// Damage is one thing wrong with a store.
type Damage struct {
	Where string `json:"where"` // "meta page 1", `requests "4f2a…"`, "audit 17", "pages"
	What  string `json:"what"`
}

func (d Damage) String() string { return d.Where + ": " + d.What }

// DamagedError is a store that the hub refuses to use, and why.
type DamagedError struct {
	Path   string
	Damage []Damage
}

func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the hub's store %s is damaged: ", e.Path)
	for i, d := range e.Damage {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Damage)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(d.String())
	}
	if len(e.Damage) == 1 && e.Damage[0].Where == "meta pages" {
		b.WriteString(".") // nothing to salvage: its words say to restore a backup
		return b.String()
	}
	fmt.Fprintf(&b, ". Run devenv hub doctor %s to list the damage, and add --repair NEW.db to salvage the rest into a new store", doctorArgs(e.Path))
	return b.String()
}

// doctorArgs names the store for devenv hub doctor.
func doctorArgs(path string) string {
	if filepath.Base(path) == storeName {
		return "--state-dir " + filepath.Dir(path)
	}
	return "--store " + path
}

func damagedError(path string, found []Damage) error {
	return &DamagedError{Path: path, Damage: found}
}

// damagedOr turns bbolt's refusal to open a file into the damage it is,
// or wraps any other failure (a permission, a missing directory).
func damagedOr(path string, err error) error {
	switch {
	case errors.Is(err, errDamagedPage):
		return damagedError(path, []Damage{{Where: "pages", What: err.Error()}})
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		if d := metaDamage(path); d != nil {
			return damagedError(path, []Damage{*d})
		}
		return damagedError(path, []Damage{{Where: "file", What: err.Error()}})
	}
	return fmt.Errorf("opening %s: %w", path, err)
}

// safely runs fn, turning a panic into errDamagedPage: bbolt panics on
// some corrupt pages ("invalid page type"), and a page pointing past the
// end of the file faults, which SetPanicOnFault makes a panic too.
func safely(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errDamagedPage, p)
		}
	}()
	return fn()
}

// A bbolt file starts with two meta pages. Each commit writes the one its
// transaction id selects (txid % 2), with a checksum; on open bbolt reads
// the newest valid one and silently falls back to the other. Reading
// them ourselves turns that fallback into a message.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64 // magic ... txid, checksum
	metaSumOffset  = 56 // the checksum covers the bytes before it
)

// metaPage is what one meta page says.
type metaPage struct {
	valid    bool
	problem  string // why it is not valid
	pageSize int
	txid     uint64 // as written; unreliable when !valid
}

func parseMeta(buf []byte) metaPage {
	if len(buf) < pageHeaderSize+metaSize {
		return metaPage{problem: "truncated"}
	}
	m := buf[pageHeaderSize : pageHeaderSize+metaSize]
	ne := binary.NativeEndian // bbolt writes its pages in the machine's byte order
	p := metaPage{pageSize: int(ne.Uint32(m[8:])), txid: ne.Uint64(m[48:])}
	h := fnv.New64a()
	h.Write(m[:metaSumOffset])
	switch {
	case ne.Uint32(m[0:]) != boltMagic:
		p.problem = "not a bbolt meta page (bad magic number)"
	case ne.Uint32(m[4:]) != boltVersion:
		p.problem = "unknown format version " + strconv.FormatUint(uint64(ne.Uint32(m[4:])), 10)
	case ne.Uint64(m[metaSumOffset:]) != h.Sum64():
		p.problem = "checksum mismatch"
	default:
		p.valid = true
	}
	return p
}

// readMetas reads both meta pages. When page 0 is unreadable the page
// size is unknown, so page 1 is looked for where every size would put it.
func readMetas(path string) ([2]metaPage, error) {
	var metas [2]metaPage
	f, err := os.Open(path)
	if err != nil {
		return metas, err
	}
	defer f.Close()
	read := func(off int64) []byte {
		buf := make([]byte, pageHeaderSize+metaSize)
		n, _ := f.ReadAt(buf, off)
		return buf[:n]
	}
	metas[0] = parseMeta(read(0))
	if metas[0].valid {
		metas[1] = parseMeta(read(int64(metas[0].pageSize)))
		return metas, nil
	}
	metas[1] = metaPage{problem: "not found"}
	if ps := metas[0].pageSize; ps >= 1024 && ps <= 16<<20 && ps&(ps-1) == 0 {
		// Page 0's page size may have survived the damage.
		if metas[1] = parseMeta(read(int64(ps))); metas[1].valid {
			return metas, nil
		}
	}
	for size := int64(1024); size <= 16<<20; size *= 2 {
		if m := parseMeta(read(size)); m.valid {
			metas[1] = m
			break
		}
	}
	return metas, nil
}

// metaDamage says whether a meta page is corrupt, and what was lost.
// Any corrupt meta page is damage: its transaction id is as unreliable as
// the rest of it, so a lost newest commit cannot be ruled out.
func metaDamage(path string) *Damage {
	metas, err := readMetas(path)
	if err != nil {
		return &Damage{Where: "meta pages", What: err.Error()}
	}
	switch {
	case metas[0].valid && metas[1].valid:
		return nil
	case !metas[0].valid && !metas[1].valid:
		return &Damage{Where: "meta pages", What: fmt.Sprintf("neither is valid (page 0: %s; page 1: %s): "+
			"the file cannot be read as a store; restore the last backup (devenv hub backup)", metas[0].problem, metas[1].problem)}
	}
	bad, good := 0, metas[1]
	if metas[0].valid {
		bad, good = 1, metas[0]
	}
	lost := metas[bad].txid
	if lost > good.txid && lost%2 == uint64(bad) {
		return &Damage{Where: fmt.Sprintf("meta page %d", bad), What: fmt.Sprintf("corrupt (%s), so the store's newest commit "+
			"(transaction %d) was lost: bbolt silently reads the previous one, transaction %d", metas[bad].problem, lost, good.txid)}
	}
	return &Damage{Where: fmt.Sprintf("meta page %d", bad), What: fmt.Sprintf("corrupt (%s): the store reads as of "+
		"transaction %d, and a newer commit, if this page held one, was lost", metas[bad].problem, good.txid)}
}

// recordBuckets are the buckets whose values are JSON records, the hub's
// and its extensions', with the type each must parse as.
func recordBuckets() []Bucket {
	bs := []Bucket{
		{Name: bucketUsers, Record: func() any { return new(userRecord) }},
		{Name: bucketInvites, Record: func() any { return new(inviteRecord) }},
		{Name: bucketDevices, Record: func() any { return new(deviceRecord) }},
	}
	for _, b := range extensionBuckets() {
		if b.Record != nil {
			bs = append(bs, b)
		}
	}
	return append(bs, Bucket{Name: bucketAudit, Record: func() any { return new(hubapi.AuditRecord) }})
}

// recordType is the parser of a record bucket's values; nil for others.
func recordType(bucket []byte) func() any {
	for _, rb := range recordBuckets() {
		if string(rb.Name) == string(bucket) {
			return rb.Record
		}
	}
	return nil
}

// checkRecord says what is wrong with a record; "" when it parses.
func checkRecord(bucket, v []byte) string {
	parse := recordType(bucket)
	if parse == nil {
		return ""
	}
	if v == nil {
		return "a nested bucket where a record belongs"
	}
	if err := json.Unmarshal(v, parse()); err != nil {
		return "unreadable record: " + err.Error()
	}
	return ""
}

// recordName names a record for a person: audit records by sequence
// number, other keys as text when they are text, else in hex.
func recordName(bucket, k []byte) string {
	if string(bucket) == string(bucketAudit) && len(k) == 8 {
		return fmt.Sprintf("audit %d", binary.BigEndian.Uint64(k))
	}
	printable := len(k) > 0 && strings.IndexFunc(string(k), func(r rune) bool {
		return !unicode.IsPrint(r) || r == unicode.ReplacementChar
	}) < 0
	if printable {
		return fmt.Sprintf("%s %q", bucket, k)
	}
	return fmt.Sprintf("%s %s", bucket, hex.EncodeToString(k))
}

// maxPageDamage caps what bbolt's check reports: one bad branch page can
// make thousands of pages unreachable.
const maxPageDamage = 20

// inspectStore runs bbolt's page check and parses every record.
func inspectStore(db *bolt.DB) []Damage {
	var found []Damage
	err := safely(func() error {
		return db.View(func(tx *bolt.Tx) error {
			found = append(found, checkPages(tx)...)
			for _, rb := range recordBuckets() {
				found = append(found, checkBucket(tx, rb.Name)...)
			}
			return nil
		})
	})
	if err != nil {
		found = append(found, Damage{Where: "pages", What: err.Error()})
	}
	return collapse(found)
}

// collapse merges the buckets that failed alike: one bad root page makes
// every bucket fail with the same words.
func collapse(ds []Damage) []Damage {
	var out []Damage
	at := map[string]int{} // What -> index in out of a bucket's damage
	for _, d := range ds {
		name, isBucket := strings.CutPrefix(d.Where, "bucket ")
		i, seen := at[d.What]
		switch {
		case !isBucket:
			out = append(out, d)
		case seen:
			out[i].Where = strings.Replace(out[i].Where, "bucket ", "buckets ", 1) + ", " + name
		default:
			at[d.What] = len(out)
			out = append(out, d)
		}
	}
	return out
}

// checkPages is bbolt's own consistency check (which recovers its panics).
func checkPages(tx *bolt.Tx) []Damage {
	var found []Damage
	n := 0
	for err := range tx.Check() {
		if n++; n <= maxPageDamage {
			// bbolt reports a panic it caught as "panic: …", which reads as a crash.
			found = append(found, Damage{Where: "pages", What: strings.TrimPrefix(err.Error(), "panic: ")})
		}
	}
	if n > maxPageDamage {
		found = append(found, Damage{Where: "pages", What: fmt.Sprintf("and %d more problems", n-maxPageDamage)})
	}
	return found
}

// checkBucket parses every record of one bucket.
func checkBucket(tx *bolt.Tx, name []byte) []Damage {
	var found []Damage
	err := safely(func() error {
		b := tx.Bucket(name)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if problem := checkRecord(name, v); problem != "" {
				found = append(found, Damage{Where: recordName(name, k), What: problem})
			}
		}
		return nil
	})
	if err != nil {
		found = append(found, Damage{Where: "bucket " + string(name), What: err.Error()})
	}
	return found
}
