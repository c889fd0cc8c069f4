package hubapi

import (
	"errors"
	"strings"
	"testing"
)

func TestChainVerifier(t *testing.T) {
	anchorOf := func(r AuditRecord) AuditAnchor { return AuditAnchor{Seq: r.Seq, Hash: r.Hash} }
	full := chain(20)
	rewritten := chain(20)
	rewritten[14].Actor = "mallory"
	for i := 14; i < len(rewritten); i++ {
		if i > 0 {
			rewritten[i].PrevHash = rewritten[i-1].Hash
		}
		rewritten[i].Hash = AuditHash(rewritten[i])
	}
	tests := []struct {
		name        string
		recs        []AuditRecord
		first, last uint64
		anchors     []AuditAnchor
		seq         uint64 // where it breaks; 0 for intact
		want        string
	}{
		{name: "whole", recs: full, anchors: []AuditAnchor{anchorOf(full[9]), anchorOf(full[19])}},
		{name: "head dropped", recs: full[10:], seq: 11, want: "records 1 to 10 are missing (removed?)"},
		{name: "first dropped", recs: full[1:], seq: 2, want: "not at record 1: record 1 is missing (removed?)"},
		{name: "tail cut before an anchor", recs: full[:15], anchors: []AuditAnchor{anchorOf(full[17])}, seq: 18,
			want: "the trail ends at record 15: records 16 to 18 at least are missing (truncated?)"},
		{name: "emptied", recs: nil, anchors: []AuditAnchor{anchorOf(full[3])}, seq: 4, want: "holds no records"},
		{name: "tail rewritten", recs: rewritten, anchors: []AuditAnchor{anchorOf(full[19])}, seq: 20, want: "differs from the anchor's"},
		{name: "page", recs: full[5:10], first: 6, last: 10, anchors: []AuditAnchor{anchorOf(full[7]), anchorOf(full[19])}},
		{name: "page starting late", recs: full[6:10], first: 6, last: 10, seq: 7, want: "not at record 6"},
		{name: "edited", recs: func() []AuditRecord { r := chain(5); r[2].Actor = "x"; return r }(), seq: 3, want: "edited?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewChainVerifier(tt.first, tt.last, tt.anchors)
			var err error
			for _, r := range tt.recs {
				if err = v.Add(r); err != nil {
					break
				}
			}
			if err == nil {
				_, err = v.End()
			}
			if tt.seq == 0 {
				if err != nil {
					t.Fatalf("intact run: %v", err)
				}
				return
			}
			var ae *AuditError
			if !errors.As(err, &ae) || ae.Seq != tt.seq || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want record %d: %s", err, tt.seq, tt.want)
			}
		})
	}
}

func TestParseAuditAnchors(t *testing.T) {
	h := strings.Repeat("ab", 32)
	got, err := ParseAuditAnchors("# kept anchors\n12:" + h + "\nmsg=\"Audit checkpoint 40:" + h + ": keep\"\n")
	if err != nil || len(got) != 2 || got[0] != (AuditAnchor{12, h}) || got[1].Seq != 40 {
		t.Fatalf("ParseAuditAnchors = %v, %v", got, err)
	}
	if got[0].String() != "12:"+h {
		t.Errorf("String = %s", got[0])
	}
	for _, bad := range []string{"", "12:abc", "0:" + h, "12:" + strings.ToUpper(h), "x12:" + h} {
		if _, err := ParseAuditAnchors(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
