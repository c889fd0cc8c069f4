package accesshub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The requests bucket decides access (a grant's deadline, key, approver,
// state), and a record there is rewritten as the request moves on, so it
// cannot be chained itself. Instead each write of a request is sealed in
// the trail: the hub's last record about the request, in the same
// transaction, carries the digest of every field of the request as
// written (Detail "request_digest"). When the hub opens its store it
// checks every request against its last seal. One that differs was edited
// outside the hub: the hub ends it (revoked, its address released), says
// so in the trail, the log (Error) and the webhook, and serves the rest.
//
// Why the hub starts rather than refuses: the edit is confined to that
// request, which the hub can fail closed on its own; refusing to start
// would let whoever can edit one dead request in the file take every
// other user's access down, and leave no way to serve until the store
// is repaired by hand.
//
// The chain is not keyed (anyone can compute SHA-256), so whoever can
// write the store can also append a record sealing an edit. That edit is
// then no longer silent: it is in the trail for every reader, after the
// last checkpoint kept elsewhere (the hub's audit_anchor.go).

const detailRequestDigest = "request_digest"

// requestDigest is the hex SHA-256 over netstrings (as AuditHash) of every
// field of a stored request; a field added to requestRecord that decides
// access must be added here.
func requestDigest(r requestRecord) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte(',')
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	for _, s := range []string{"request v1", r.ID, r.Requester, r.Device, r.Target, r.Gateway, r.Protocol,
		strconv.Itoa(r.Port), r.PublicKey, strconv.FormatInt(int64(r.For), 10), strconv.FormatBool(r.Emergency),
		r.State, ts(r.Created), ts(r.Decided), ts(r.LapseAt), ts(r.NotAfter), r.Approver, r.ClientAddress,
		r.Reason, r.DenyReason} {
		field(s)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// sealed returns rec carrying r's digest: rec is the record of r's change.
func sealed(rec hubapi.AuditRecord, r requestRecord) hubapi.AuditRecord {
	d := make(map[string]string, len(rec.Detail)+1)
	for k, v := range rec.Detail {
		d[k] = v
	}
	d[detailRequestDigest] = requestDigest(r)
	rec.Detail = d
	return rec
}

// sealRequest makes sure the trail's last record seals r as it is about
// to be written: when the record of the change does not (a write that
// forgot), a "request_state" record does.
func sealRequest(tx *bolt.Tx, r requestRecord) error {
	digest := requestDigest(r)
	if _, raw := hub.AuditBucket(tx).Cursor().Last(); raw != nil {
		var last hubapi.AuditRecord
		if err := json.Unmarshal(raw, &last); err != nil {
			return fmt.Errorf("reading the last audit record: %w", err)
		}
		if last.RequestID == r.ID && !isGatewayActor(last.Actor) && last.Detail[detailRequestDigest] == digest {
			return nil
		}
	}
	return hub.AppendAudit(tx, sealed(hubapi.AuditRecord{Actor: hub.ActorHub, Action: "request_state", Target: r.Target,
		RequestID: r.ID, Detail: map[string]string{"state": r.State}}, r))
}

func isGatewayActor(actor string) bool { return strings.HasPrefix(actor, "gateway:") }

// lastSeals maps each request to the digest of its last seal in tx; any
// reports whether the trail holds a seal at all (stores from before seals
// hold none). Gateways' records never seal: the hub sets their actor, and
// a gateway chooses their details.
func lastSeals(tx *bolt.Tx) (seals map[string]string, any bool, err error) {
	seals = map[string]string{}
	key := []byte(`"` + detailRequestDigest + `"`)
	err = hub.AuditBucket(tx).ForEach(func(k, v []byte) error {
		if !bytes.Contains(v, key) {
			return nil // most records seal nothing; skip decoding them
		}
		var r hubapi.AuditRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("reading audit record %x: %w", k, err)
		}
		if d, ok := r.Detail[detailRequestDigest]; ok && r.RequestID != "" && !isGatewayActor(r.Actor) {
			seals[r.RequestID], any = d, true
		}
		return nil
	})
	return seals, any, err
}

// tamperedRequest is a stored request that differs from its last seal.
type tamperedRequest struct {
	r        requestRecord
	expected string // the digest its last seal holds; "" when none does
}

// checkStoredRequests checks every stored request against the trail as the
// hub opens its store, and ends those that were edited outside the hub. A
// store from before seals has its requests sealed as they are, once.
func (a *Access) checkStoredRequests() error {
	var bad []tamperedRequest
	err := a.accessUpdate(func(tx *bolt.Tx, fx *accessEffects) error {
		bad = nil
		seals, any, err := lastSeals(tx)
		if err != nil {
			return err
		}
		all, err := allRequests(tx)
		if err != nil {
			return err
		}
		for _, r := range all {
			switch want := seals[r.ID]; {
			case !any:
				err = hub.AppendAudit(tx, sealed(hubapi.AuditRecord{Actor: hub.ActorHub, Action: "request_state", Target: r.Target, RequestID: r.ID,
					Detail: map[string]string{"state": r.State, "reason": "sealed as found: the store predates request seals"}}, r))
			case want != requestDigest(r):
				bad = append(bad, tamperedRequest{r, want})
				err = a.quarantineLocked(tx, fx, r, want)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking the stored requests against the audit trail: %w", err)
	}
	for _, b := range bad {
		a.log.Error("a stored access request does not match the audit trail: it was edited outside the hub; the hub ended it and serves the rest",
			"request", b.r.ID, "user", b.r.Requester, "target", b.r.Target, "stored_state", b.r.State,
			"stored_not_after", b.r.NotAfter, "check", "devenv hub audit export")
	}
	return nil
}

// quarantineLocked ends a tampered request r: revoked by the hub, every
// address leased to it released, the stored values kept in the record.
func (a *Access) quarantineLocked(tx *bolt.Tx, fx *accessEffects, r requestRecord, expected string) error {
	if err := releaseLeasesOf(tx, r.ID); err != nil {
		return err
	}
	stored := r
	now := a.clock.Now().UTC()
	r.State, r.Approver, r.ClientAddress, r.Decided = hubapi.StateRevoked, hub.ActorHub, "", now
	fx.disarm = append(fx.disarm, r.ID)
	why := "the stored request does not match the audit trail (edited outside the hub?); it is not served"
	fx.notify = append(fx.notify, fmt.Sprintf(":warning: %s's request %s for %s was edited in the hub's store outside the hub; the hub ended it", stored.Requester, r.ID, r.Target))
	if expected == "" {
		expected = "none"
	}
	rec := hubapi.AuditRecord{Time: now, Actor: hub.ActorHub, Action: "revoke", Target: r.Target, RequestID: r.ID, Verdict: "refused",
		Detail: map[string]string{"reason": why, "was": stored.State, "stored_digest": requestDigest(stored), "sealed_digest": expected,
			"stored_not_after": stored.NotAfter.Format(time.RFC3339Nano), "stored_approver": clip(stored.Approver, maxRefusalField),
			"stored_public_key": clip(stored.PublicKey, maxRefusalField), "stored_requester": clip(stored.Requester, maxRefusalField)}}
	if err := hub.AppendAudit(tx, sealed(rec, r)); err != nil {
		return err
	}
	return putRequest(tx, fx, r)
}

// releaseLeasesOf drops every grant address leased to request id, whatever
// the (possibly edited) request says its address is.
func releaseLeasesOf(tx *bolt.Tx, id string) error {
	b := tx.Bucket(bucketGrantLeases)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if string(v) == id {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		if err == nil {
			err = b.Delete(k)
		}
	}
	return err
}
