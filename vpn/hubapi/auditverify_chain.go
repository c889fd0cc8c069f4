package hubapi

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A hash chain proves its records were not edited, but not that none were
// cut off: removing the first records, or the last, leaves a chain that
// links. ChainVerifier closes both ends. The head is fixed: a whole trail
// starts at record 1 with an empty previous hash. The tail is anchored:
// the hub emits checkpoints (AuditAnchor) that an admin keeps elsewhere,
// and a trail must hold each anchor's record with that hash and must not
// end before it.

// AuditAnchor is a checkpoint of the audit trail: the sequence number and
// hash of one record, kept outside the hub.
type AuditAnchor struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// String is the anchor as "SEQ:HASH", the form ParseAuditAnchors reads.
func (a AuditAnchor) String() string { return fmt.Sprintf("%d:%s", a.Seq, a.Hash) }

var anchorRE = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([0-9]+):([0-9a-f]{64})(?:$|[^0-9A-Za-z])`)

// ParseAuditAnchors reads the anchors in text: every SEQ:HASH (a decimal
// sequence number, a colon and 64 lowercase hex digits) it holds, so that
// a file of anchors, a copied log line or a webhook message all do. It
// fails when text holds none.
func ParseAuditAnchors(text string) ([]AuditAnchor, error) {
	var out []AuditAnchor
	for _, line := range strings.Split(text, "\n") {
		for _, m := range anchorRE.FindAllStringSubmatch(line, -1) {
			seq, err := strconv.ParseUint(m[1], 10, 64)
			if err != nil || seq == 0 {
				return nil, fmt.Errorf("anchor %s:%s: the sequence number must be 1 or more", m[1], m[2])
			}
			out = append(out, AuditAnchor{Seq: seq, Hash: m[2]})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no anchor found: want SEQ:HASH, such as 1234:%s", strings.Repeat("0", 64))
	}
	return out, nil
}

// ChainVerifier checks an audit trail record by record, as it streams from
// the hub, holding one record at a time. Feed it with Add in order and call
// End once the run is complete.
type ChainVerifier struct {
	first   uint64            // the Seq the run must start with
	last    uint64            // 0, or the Seq the run ends at (a page)
	anchors map[uint64]string // Seq -> hash
	prev    AuditRecord
	n       int
}

// NewChainVerifier checks a run of records from first (1 for the whole
// trail, which must then start with an empty previous hash) to last (0: to
// the trail's end). Anchors within the run must match; with last 0, the
// run must not end before the highest anchor.
func NewChainVerifier(first, last uint64, anchors []AuditAnchor) *ChainVerifier {
	v := &ChainVerifier{first: max(first, 1), last: last, anchors: map[uint64]string{}}
	for _, a := range anchors {
		v.anchors[a.Seq] = a.Hash
	}
	return v
}

// Add checks the next record; it returns an *AuditError at the first problem.
func (v *ChainVerifier) Add(r AuditRecord) error {
	fail := func(format string, args ...any) error {
		return &AuditError{Index: v.n, Seq: r.Seq, Problem: fmt.Sprintf(format, args...)}
	}
	var p string
	switch {
	case v.n == 0 && r.Seq != v.first && AuditHash(r) == r.Hash:
		switch {
		case v.first == 1 && r.Seq == 2:
			return fail("the trail starts here, not at record 1: record 1 is missing (removed?)")
		case v.first == 1:
			return fail("the trail starts here, not at record 1: records 1 to %d are missing (removed?)", r.Seq-1)
		}
		return fail("the run starts here, not at record %d (removed?)", v.first)
	case v.n == 0:
		p = checkFirst(r)
	default:
		p = checkLink(v.prev, r)
	}
	if p != "" {
		return fail("%s", p)
	}
	if want, ok := v.anchors[r.Seq]; ok && want != r.Hash {
		return fail("its hash %s differs from the anchor's %s: the trail was rewritten from here or earlier", short(r.Hash), short(want))
	}
	v.prev, v.n = r, v.n+1
	return nil
}

// End checks that the run did not stop short of an anchor, and returns the
// number of records checked.
func (v *ChainVerifier) End() (int, error) {
	highest := uint64(0)
	for seq := range v.anchors {
		if seq > highest && (v.last == 0 || seq <= v.last) {
			highest = seq
		}
	}
	switch {
	case highest == 0 || (v.n > 0 && v.prev.Seq >= highest):
		return v.n, nil
	case v.n == 0:
		return 0, &AuditError{Index: 0, Seq: highest, Problem: "the trail holds no records, but an anchor was kept for this one (truncated?)"}
	}
	return v.n, &AuditError{Index: v.n, Seq: highest, Problem: fmt.Sprintf(
		"an anchor was kept for this record, but the trail ends at record %d: records %d to %d at least are missing (truncated?)",
		v.prev.Seq, v.prev.Seq+1, highest)}
}

// Last is the last record checked; ok is false when there was none.
func (v *ChainVerifier) Last() (AuditRecord, bool) { return v.prev, v.n > 0 }

func short(hash string) string {
	if len(hash) > 16 {
		return hash[:16] + "…"
	}
	return hash
}
