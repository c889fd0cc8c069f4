package hub

import (
	"context"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// VerifyOptions say which run of the audit trail VerifyAuditTrail checks
// and against what.
type VerifyOptions struct {
	// FromSeq and ToSeq bound the run (both included; 0: the trail's first
	// and last record). A run from record 1 must start the trail: record 1,
	// with no previous hash. A later start checks the links within the run.
	FromSeq, ToSeq uint64
	// Anchors are checkpoints kept outside the hub: the run must hold each
	// one within it, with its hash, and (up to the trail's end) must not
	// end before the highest.
	Anchors []hubapi.AuditAnchor
}

// VerifyResult is what an intact run holds.
type VerifyResult struct {
	Records int
	Last    hubapi.AuditAnchor // zero when the run is empty
}

// VerifyAuditTrail checks the hash chain of the hub on dataDir (through its
// admin socket while it runs, else in its store), one record at a time. It
// returns an *hubapi.AuditError naming the first record where the trail
// breaks: edited, removed, reordered, cut off at the head or, against an
// anchor, rewritten or cut off at the tail.
func VerifyAuditTrail(ctx context.Context, dataDir string, o VerifyOptions) (VerifyResult, error) {
	v := hubapi.NewChainVerifier(o.FromSeq, o.ToSeq, o.Anchors)
	err := EachAudit(ctx, dataDir, AuditQuery{FromSeq: o.FromSeq, ToSeq: o.ToSeq}, v.Add)
	if err != nil {
		return VerifyResult{}, err
	}
	n, err := v.End()
	res := VerifyResult{Records: n}
	if last, ok := v.Last(); ok {
		res.Last = hubapi.AuditAnchor{Seq: last.Seq, Hash: last.Hash}
	}
	return res, err
}
