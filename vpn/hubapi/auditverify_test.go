package hubapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// chain makes n correctly chained records.
func chain(n int) []AuditRecord {
	var recs []AuditRecord
	prev := ""
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for i := 1; i <= n; i++ {
		r := AuditRecord{Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second), Actor: "alice", Action: "request",
			Target: "db", RequestID: fmt.Sprint("r", i), Detail: map[string]string{"for": "30m", "reason": "bug"}, PrevHash: prev}
		r.Hash = AuditHash(r)
		prev = r.Hash
		recs = append(recs, r)
	}
	return recs
}

func TestVerifyAudit(t *testing.T) {
	tests := []struct {
		name string
		edit func([]AuditRecord) []AuditRecord
		seq  uint64 // where it breaks; 0 for intact
		want string
	}{
		{name: "intact", edit: func(r []AuditRecord) []AuditRecord { return r }},
		{name: "suffix", edit: func(r []AuditRecord) []AuditRecord { return r[3:] }},
		{name: "empty", edit: func([]AuditRecord) []AuditRecord { return nil }},
		{name: "edited", seq: 3, want: "record 3: hash does not match its content (edited?)",
			edit: func(r []AuditRecord) []AuditRecord { r[2].Detail["reason"] = "nothing to see"; return r }},
		{name: "edited time", seq: 2, want: "record 2: hash does not match its content (edited?)",
			edit: func(r []AuditRecord) []AuditRecord { r[1].Time = r[1].Time.Add(time.Nanosecond); return r }},
		{name: "edited and rehashed", seq: 4, want: "record 4: previous hash does not match record 3 (removed or reordered?)",
			edit: func(r []AuditRecord) []AuditRecord { r[2].Actor = "mallory"; r[2].Hash = AuditHash(r[2]); return r }},
		{name: "removed", seq: 4, want: "record 4: follows record 2: record 3 is missing (removed?)",
			edit: func(r []AuditRecord) []AuditRecord { return append(r[:2], r[3:]...) }},
		{name: "removed two", seq: 5, want: "records 3 to 4 are missing",
			edit: func(r []AuditRecord) []AuditRecord { return append(r[:2], r[4:]...) }},
		{name: "removed and renumbered", seq: 3, want: "record 3: hash does not match its content (edited?)",
			edit: func(r []AuditRecord) []AuditRecord {
				r = append(r[:2], r[3:]...)
				for i := 2; i < len(r); i++ {
					r[i].Seq--
				}
				return r
			}},
		{name: "reordered", seq: 4, want: "record 4: comes before record 3 (reordered?)",
			edit: func(r []AuditRecord) []AuditRecord { r[2], r[3] = r[3], r[2]; return r }},
		{name: "forged first", seq: 1, want: "the first record has a previous hash",
			edit: func(r []AuditRecord) []AuditRecord { r[0].PrevHash = "x"; r[0].Hash = AuditHash(r[0]); return r }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyAudit(tt.edit(chain(6)))
			if tt.seq == 0 {
				if err != nil {
					t.Fatalf("VerifyAudit: %v", err)
				}
				return
			}
			var ae *AuditError
			if !errors.As(err, &ae) || ae.Seq != tt.seq || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("VerifyAudit = %v, want record %d: %s", err, tt.seq, tt.want)
			}
		})
	}
}

func TestAuditHashSeparatesFields(t *testing.T) {
	a := AuditRecord{Actor: "ab", Action: "c"}
	b := AuditRecord{Actor: "a", Action: "bc"}
	c := AuditRecord{Detail: map[string]string{"a": "b"}}
	d := AuditRecord{Detail: map[string]string{"ab": ""}}
	if AuditHash(a) == AuditHash(b) || AuditHash(c) == AuditHash(d) {
		t.Error("shifting bytes between fields keeps the hash")
	}
	loc := time.FixedZone("x", 3600)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if AuditHash(AuditRecord{Time: t0}) != AuditHash(AuditRecord{Time: t0.In(loc)}) {
		t.Error("the same instant in another zone hashes differently")
	}
}
