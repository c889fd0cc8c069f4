package hubapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultBreakGlassTTL caps an emergency grant of a target that sets no
// BreakGlassTTL.
const DefaultBreakGlassTTL = 15 * time.Minute

// AuditHash is the hash a record must carry: hex SHA-256 over the record's
// canonical encoding, which is a sequence of netstrings (the decimal byte
// length, ':', the bytes, ',') of, in this order:
//
//	PrevHash
//	Seq in decimal
//	Time in UTC as RFC 3339 with nanoseconds (time.RFC3339Nano)
//	Actor, Action, Target, RequestID, Verdict
//	the number of Detail entries in decimal
//	each Detail key and its value, keys in byte order
//	"received_at" and ReceivedAt as Time is, only when ReceivedAt is set
//
// Hash itself is not part of the encoding. Netstrings make the encoding
// unambiguous whatever bytes the fields hold.
func AuditHash(r AuditRecord) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte(',')
	}
	field(r.PrevHash)
	field(strconv.FormatUint(r.Seq, 10))
	field(r.Time.UTC().Format(time.RFC3339Nano))
	for _, s := range []string{r.Actor, r.Action, r.Target, r.RequestID, r.Verdict} {
		field(s)
	}
	keys := make([]string, 0, len(r.Detail))
	for k := range r.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	field(strconv.Itoa(len(keys)))
	for _, k := range keys {
		field(k)
		field(r.Detail[k])
	}
	if !r.ReceivedAt.IsZero() { // after the counted Detail entries, so unambiguous; absent in older records
		field("received_at")
		field(r.ReceivedAt.UTC().Format(time.RFC3339Nano))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// AuditError says where a run of audit records breaks.
type AuditError struct {
	Index   int    // position in the slice given to VerifyAudit
	Seq     uint64 // the record's Seq
	Problem string
}

func (e *AuditError) Error() string {
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Problem)
}

// VerifyAudit checks a contiguous run of audit records as the hub returns
// them (all of them, or every record from some point on): each record's
// hash matches its content, Seq counts up by one, and each PrevHash is the
// hash of the record before it; a run starting at Seq 1 starts with an
// empty PrevHash. It reports the first problem as an *AuditError naming
// the record. A run filtered by target has gaps by design; verify
// unfiltered runs. Rewriting every record after an edit goes unnoticed
// unless the caller compares the last hash with one kept elsewhere.
func VerifyAudit(records []AuditRecord) error {
	for i, r := range records {
		fail := func(format string, args ...any) error {
			return &AuditError{Index: i, Seq: r.Seq, Problem: fmt.Sprintf(format, args...)}
		}
		if i == 0 {
			if p := checkFirst(r); p != "" {
				return fail("%s", p)
			}
			continue
		}
		prev := records[i-1]
		if r.Seq > prev.Seq+1 && AuditHash(r) == r.Hash && slices.ContainsFunc(records[i+1:], func(l AuditRecord) bool { return l.Seq == prev.Seq+1 }) {
			return fail("comes before record %d (reordered?)", prev.Seq+1)
		}
		if p := checkLink(prev, r); p != "" {
			return fail("%s", p)
		}
	}
	return nil
}

// checkFirst is what is wrong with the first record of a run, or "".
func checkFirst(r AuditRecord) string {
	if AuditHash(r) != r.Hash {
		return "hash does not match its content (edited?)"
	}
	if r.Seq == 1 && r.PrevHash != "" {
		return "the first record has a previous hash (records before it removed?)"
	}
	return ""
}

// checkLink is what is wrong with r following prev, or "".
func checkLink(prev, r AuditRecord) string {
	switch {
	case AuditHash(r) != r.Hash:
		return "hash does not match its content (edited?)"
	case r.Seq <= prev.Seq:
		return fmt.Sprintf("comes after record %d (reordered?)", prev.Seq)
	case r.Seq == prev.Seq+2:
		return fmt.Sprintf("follows record %d: record %d is missing (removed?)", prev.Seq, prev.Seq+1)
	case r.Seq > prev.Seq+2:
		return fmt.Sprintf("follows record %d: records %d to %d are missing (removed?)", prev.Seq, prev.Seq+1, r.Seq-1)
	case r.PrevHash != prev.Hash:
		return fmt.Sprintf("previous hash does not match record %d (removed or reordered?)", prev.Seq)
	}
	return ""
}
